from retail.core import Caller, cloud_function
from retail.users import Login, LoginAnswer, login


@cloud_function(Login, response=LoginAnswer, auth="optional")
def main_handler(cmd: Login, caller: Caller) -> LoginAnswer:
    return login(cmd, openid=caller.openid, appid=caller.appid, unionid=caller.unionid)
