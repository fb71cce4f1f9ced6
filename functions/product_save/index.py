from retail.catalog import ProductStatus, SaveProduct, save_product
from retail.core import Caller, cloud_function


@cloud_function(SaveProduct, response=ProductStatus, auth="operator")
def main_handler(cmd: SaveProduct, caller: Caller) -> ProductStatus:
    return save_product(cmd, operator=caller.require_operator("admin", "merchant"))
