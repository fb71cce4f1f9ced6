from retail.catalog import Browse, BrowsePage, browse_catalog
from retail.core import Caller, cloud_function, operator_of


@cloud_function(Browse, response=BrowsePage, auth="optional")
def main_handler(cmd: Browse, caller: Caller) -> BrowsePage:
    return browse_catalog(cmd, operator=operator_of(caller))
