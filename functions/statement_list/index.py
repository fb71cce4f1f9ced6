from retail.core import Caller, cloud_function
from retail.settlement import ListStatements, StatementPage, list_statements


@cloud_function(ListStatements, response=StatementPage, auth="operator")
def main_handler(cmd: ListStatements, caller: Caller) -> StatementPage:
    return list_statements(cmd, operator=caller.require_operator("admin", "merchant"))
