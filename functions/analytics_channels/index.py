from retail.analytics import ChannelReport, DayRange, channels_report
from retail.core import Caller, cloud_function


@cloud_function(DayRange, response=ChannelReport, auth="operator")
def main_handler(cmd: DayRange, caller: Caller) -> ChannelReport:
    caller.require_operator("admin")
    return channels_report(cmd)
