from retail.core import Caller, cloud_function
from retail.orders import OrderSearch, SearchResults, search_orders


@cloud_function(OrderSearch, response=SearchResults, auth="operator")
def main_handler(cmd: OrderSearch, caller: Caller) -> SearchResults:
    return search_orders(cmd, operator=caller.require_operator("admin", "service", "merchant"))
