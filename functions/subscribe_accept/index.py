from retail.core import Caller, cloud_function
from retail.notices import AcceptSubscriptions, Subscriptions, accept_subscriptions


@cloud_function(AcceptSubscriptions, response=Subscriptions)
def main_handler(cmd: AcceptSubscriptions, caller: Caller) -> Subscriptions:
    return accept_subscriptions(cmd, openid=caller.require_openid())
