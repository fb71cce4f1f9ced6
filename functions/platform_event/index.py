from retail.core import Caller, PlainText, cloud_function
from retail.wechat_events import PushRequest, handle_push, is_from_wechat


@cloud_function(PushRequest, auth="webhook", verify=is_from_wechat)
def main_handler(cmd: PushRequest, caller: Caller) -> PlainText:
    return handle_push(cmd)
