from retail.core import Caller, cloud_function
from retail.operators import ProductStatus, SaveProduct, save_product


@cloud_function(SaveProduct, response=ProductStatus, auth="operator")
def main_handler(cmd: SaveProduct, caller: Caller) -> ProductStatus:
    return save_product(cmd, operator=caller.require_operator("admin", "merchant"))
