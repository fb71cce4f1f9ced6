from .assignment import (
    Assignments,
    ShowAssignments,
    arm_for,
    assign,
    bucket,
    feature_enabled,
    flag_on,
    forget_cached_definitions,
    running_experiments,
)
from .definitions import (
    ExperimentView,
    FlagView,
    SaveExperiment,
    SaveFlag,
    save_experiment,
    save_flag,
)
from .results import ArmResult, ExperimentResults, ShowResults, experiment_results

__all__ = [
    "ArmResult",
    "Assignments",
    "ExperimentResults",
    "ExperimentView",
    "FlagView",
    "SaveExperiment",
    "SaveFlag",
    "ShowAssignments",
    "ShowResults",
    "arm_for",
    "assign",
    "bucket",
    "experiment_results",
    "feature_enabled",
    "flag_on",
    "forget_cached_definitions",
    "running_experiments",
    "save_experiment",
    "save_flag",
]
