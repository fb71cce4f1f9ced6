from retail.core import Caller, cloud_function
from retail.referral import CreateShare, ShareLink, create_share


@cloud_function(CreateShare, response=ShareLink)
def main_handler(cmd: CreateShare, caller: Caller) -> ShareLink:
    return create_share(cmd, inviter=caller.require_openid())
