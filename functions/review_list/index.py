from retail.core import Caller, cloud_function
from retail.reviews import ListReviews, ReviewPage, list_reviews


@cloud_function(ListReviews, response=ReviewPage, auth="optional")
def main_handler(cmd: ListReviews, caller: Caller) -> ReviewPage:
    return list_reviews(cmd)
