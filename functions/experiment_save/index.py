from retail.core import Caller, cloud_function
from retail.experiments import ExperimentView, SaveExperiment, save_experiment


@cloud_function(SaveExperiment, response=ExperimentView, auth="operator")
def main_handler(cmd: SaveExperiment, caller: Caller) -> ExperimentView:
    return save_experiment(cmd, operator=caller.require_operator("admin"))
