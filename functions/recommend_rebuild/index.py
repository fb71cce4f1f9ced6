from retail.core import Caller, cloud_function
from retail.recommend import Rebuild, RebuildSummary, rebuild_recommendations


@cloud_function(Rebuild, response=RebuildSummary, auth="timer")
def main_handler(cmd: Rebuild, caller: Caller) -> RebuildSummary:
    return rebuild_recommendations(cmd)
