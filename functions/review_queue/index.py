from retail.core import Caller, cloud_function
from retail.reviews import HeldReviews, ReviewQueue, review_queue


@cloud_function(ReviewQueue, response=HeldReviews, auth="operator")
def main_handler(cmd: ReviewQueue, caller: Caller) -> HeldReviews:
    caller.require_operator("admin", "service")
    return review_queue(cmd)
