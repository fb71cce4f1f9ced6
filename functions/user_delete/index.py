from retail.core import Caller, cloud_function
from retail.privacy import DeleteMe, Erased, delete_my_data


@cloud_function(DeleteMe, response=Erased, notes_visitor=False)
def main_handler(cmd: DeleteMe, caller: Caller) -> Erased:
    return delete_my_data(cmd, openid=caller.require_openid())
