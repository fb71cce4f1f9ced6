from retail.catalog import ProductStatus, PublishProduct, publish_product
from retail.core import Caller, cloud_function


@cloud_function(PublishProduct, response=ProductStatus, auth="operator")
def main_handler(cmd: PublishProduct, caller: Caller) -> ProductStatus:
    return publish_product(cmd, operator=caller.require_operator("admin", "merchant"))
