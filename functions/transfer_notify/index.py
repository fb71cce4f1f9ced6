from retail.core import Caller, cloud_function
from retail.payments import (
    Acknowledged,
    Notification,
    handle_transfer_notification,
    is_from_wechatpay,
)


@cloud_function(Notification, response=Acknowledged, auth="webhook", verify=is_from_wechatpay)
def main_handler(cmd: Notification, caller: Caller) -> Acknowledged:
    return handle_transfer_notification(cmd)
