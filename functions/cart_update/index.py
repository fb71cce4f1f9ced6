from retail.cart import CartView, UpdateCart, update_cart
from retail.core import Caller, cloud_function


@cloud_function(UpdateCart, response=CartView)
def main_handler(cmd: UpdateCart, caller: Caller) -> CartView:
    return update_cart(cmd, buyer=caller.require_openid())
