from retail.core import Caller, cloud_function
from retail.experiments import FlagView, SaveFlag, save_flag


@cloud_function(SaveFlag, response=FlagView, auth="operator")
def main_handler(cmd: SaveFlag, caller: Caller) -> FlagView:
    return save_flag(cmd, operator=caller.require_operator("admin"))
