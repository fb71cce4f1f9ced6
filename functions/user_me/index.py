from retail.core import Caller, cloud_function
from retail.users import MyProfile, ShowMe, show_me


@cloud_function(ShowMe, response=MyProfile)
def main_handler(cmd: ShowMe, caller: Caller) -> MyProfile:
    return show_me(cmd, openid=caller.require_openid())
