from retail.core import Caller, cloud_function
from retail.stores import FindNearby, NearbyStores, find_nearby_stores


@cloud_function(FindNearby, response=NearbyStores, auth="optional")
def main_handler(cmd: FindNearby, caller: Caller) -> NearbyStores:
    return find_nearby_stores(cmd)
