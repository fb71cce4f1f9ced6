from retail.core import Caller, cloud_function
from retail.orders import OrderRequest, Quote, preview_order


@cloud_function(OrderRequest, response=Quote)
def main_handler(cmd: OrderRequest, caller: Caller) -> Quote:
    return preview_order(cmd, buyer=caller.require_openid())
