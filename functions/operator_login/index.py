from retail.core import Caller, cloud_function
from retail.operators import OperatorSession, SignIn, sign_in


@cloud_function(SignIn, response=OperatorSession, auth="sign_in")
def main_handler(cmd: SignIn, caller: Caller) -> OperatorSession:
    return sign_in(cmd, client_ip=caller.client_ip)
