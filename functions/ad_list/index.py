from retail.ads import ListAds, Slots, list_ads
from retail.core import Caller, cloud_function


@cloud_function(ListAds, response=Slots, auth="optional")
def main_handler(cmd: ListAds, caller: Caller) -> Slots:
    return list_ads(cmd, openid=caller.openid)
