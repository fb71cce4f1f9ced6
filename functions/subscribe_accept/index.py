from retail.campaigns import AcceptSubscriptions, Subscriptions, accept_subscriptions
from retail.core import Caller, cloud_function


@cloud_function(AcceptSubscriptions, response=Subscriptions)
def main_handler(cmd: AcceptSubscriptions, caller: Caller) -> Subscriptions:
    return accept_subscriptions(cmd, openid=caller.require_openid())
