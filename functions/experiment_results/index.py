from retail.core import Caller, cloud_function
from retail.experiments import ExperimentResults, ShowResults, experiment_results


@cloud_function(ShowResults, response=ExperimentResults, auth="operator")
def main_handler(cmd: ShowResults, caller: Caller) -> ExperimentResults:
    caller.require_operator("admin")
    return experiment_results(cmd)
