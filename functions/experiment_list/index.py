from retail.core import Caller, cloud_function
from retail.experiments import Experiments, ListExperiments, list_experiments


@cloud_function(ListExperiments, response=Experiments, auth="operator")
def main_handler(cmd: ListExperiments, caller: Caller) -> Experiments:
    caller.require_operator("admin")
    return list_experiments(cmd)
