from retail.core import Caller, cloud_function
from retail.operators import BlacklistEntry, UpdateBlacklist, update_blacklist


@cloud_function(UpdateBlacklist, response=BlacklistEntry, auth="operator")
def main_handler(cmd: UpdateBlacklist, caller: Caller) -> BlacklistEntry:
    return update_blacklist(cmd, operator=caller.require_operator("admin"))
