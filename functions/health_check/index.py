from retail.core import Caller, CheckHealth, Health, check_health, cloud_function


@cloud_function(CheckHealth, response=Health, auth="optional")
def main_handler(cmd: CheckHealth, caller: Caller) -> Health:
    return check_health(cmd)
