from retail.core import Caller, cloud_function
from retail.operators import ReviewRisk, RiskEventView, review_risk_event


@cloud_function(ReviewRisk, response=RiskEventView, auth="operator")
def main_handler(cmd: ReviewRisk, caller: Caller) -> RiskEventView:
    return review_risk_event(cmd, operator=caller.require_operator("admin", "service"))
