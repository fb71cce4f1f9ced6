from retail.core import Caller, cloud_function
from retail.operators import MetricsReport, ShowMetrics, show_metrics


@cloud_function(ShowMetrics, response=MetricsReport, auth="operator")
def main_handler(cmd: ShowMetrics, caller: Caller) -> MetricsReport:
    return show_metrics(cmd, operator=caller.require_operator("admin"))
