from retail.core import Caller, cloud_function
from retail.recommend import Recommend, Recommendations, recommend


@cloud_function(Recommend, response=Recommendations, auth="optional")
def main_handler(cmd: Recommend, caller: Caller) -> Recommendations:
    return recommend(cmd, openid=caller.openid)
