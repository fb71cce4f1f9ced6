from retail.core import Caller, cloud_function
from retail.payments import PaymentParams, Prepay, prepare_payment


@cloud_function(Prepay, response=PaymentParams)
def main_handler(cmd: Prepay, caller: Caller) -> PaymentParams:
    return prepare_payment(cmd, buyer=caller.require_openid())
