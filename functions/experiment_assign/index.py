from retail.core import Caller, cloud_function
from retail.experiments import Assignments, ShowAssignments, assign


@cloud_function(ShowAssignments, response=Assignments)
def main_handler(cmd: ShowAssignments, caller: Caller) -> Assignments:
    return assign(cmd, openid=caller.require_openid())
