from retail.core import Caller, cloud_function
from retail.privacy import ExportMe, MyData, export_my_data


@cloud_function(ExportMe, response=MyData)
def main_handler(cmd: ExportMe, caller: Caller) -> MyData:
    return export_my_data(cmd, openid=caller.require_openid())
