from retail.core import Caller, cloud_function
from retail.operators import RiskEvents, RiskQueue, list_risk_events


@cloud_function(RiskQueue, response=RiskEvents, auth="operator")
def main_handler(cmd: RiskQueue, caller: Caller) -> RiskEvents:
    caller.require_operator("admin", "service")
    return list_risk_events(cmd)
