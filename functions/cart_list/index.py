from retail.cart import CartView, ShowCart, show_cart
from retail.core import Caller, cloud_function


@cloud_function(ShowCart, response=CartView)
def main_handler(cmd: ShowCart, caller: Caller) -> CartView:
    return show_cart(cmd, buyer=caller.require_openid())
