from retail.consent import ConsentState, WithdrawConsent, withdraw_consent
from retail.core import Caller, cloud_function


@cloud_function(WithdrawConsent, response=ConsentState)
def main_handler(cmd: WithdrawConsent, caller: Caller) -> ConsentState:
    return withdraw_consent(cmd, openid=caller.require_openid())
