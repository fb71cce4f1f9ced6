from retail.consent import AcceptPolicy, ConsentState, accept_policy
from retail.core import Caller, cloud_function


@cloud_function(AcceptPolicy, response=ConsentState)
def main_handler(cmd: AcceptPolicy, caller: Caller) -> ConsentState:
    return accept_policy(cmd, openid=caller.require_openid())
