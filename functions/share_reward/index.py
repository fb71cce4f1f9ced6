from retail.core import Caller, cloud_function
from retail.referral import ShareReward, ShareVisit, claim_share_reward


@cloud_function(ShareVisit, response=ShareReward)
def main_handler(cmd: ShareVisit, caller: Caller) -> ShareReward:
    return claim_share_reward(cmd, visitor=caller.require_openid(), client_ip=caller.client_ip)
