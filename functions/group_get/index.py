from retail.core import Caller, cloud_function
from retail.groupbuy import GroupRef, GroupView, show_group


@cloud_function(GroupRef, response=GroupView, auth="optional")
def main_handler(cmd: GroupRef, caller: Caller) -> GroupView:
    return show_group(cmd, caller.openid)
