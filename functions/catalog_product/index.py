from retail.catalog import ProductDetail, ShowProduct, show_product
from retail.core import Caller, cloud_function, operator_of


@cloud_function(ShowProduct, response=ProductDetail, auth="optional")
def main_handler(cmd: ShowProduct, caller: Caller) -> ProductDetail:
    return show_product(cmd, operator=operator_of(caller))
