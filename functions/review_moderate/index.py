from retail.core import Caller, cloud_function
from retail.reviews import ModerateReview, ReviewView, moderate_review


@cloud_function(ModerateReview, response=ReviewView, auth="operator")
def main_handler(cmd: ModerateReview, caller: Caller) -> ReviewView:
    return moderate_review(cmd, operator=caller.require_operator("admin", "service", "merchant"))
