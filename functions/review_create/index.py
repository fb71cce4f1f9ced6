from retail.core import Caller, cloud_function
from retail.reviews import CreateReview, ReviewView, create_review


@cloud_function(CreateReview, response=ReviewView)
def main_handler(cmd: CreateReview, caller: Caller) -> ReviewView:
    return create_review(cmd, buyer=caller.require_openid())
