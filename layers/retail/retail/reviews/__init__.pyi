from .moderation import HeldReviews, ReviewQueue, review_queue, settle_review_checks
from .reviews import (
    CreateReview,
    ListReviews,
    ModerateReview,
    ReviewPage,
    ReviewView,
    create_review,
    list_reviews,
    moderate_review,
)

__all__ = [
    "CreateReview",
    "HeldReviews",
    "ListReviews",
    "ModerateReview",
    "ReviewPage",
    "ReviewQueue",
    "ReviewView",
    "create_review",
    "list_reviews",
    "moderate_review",
    "review_queue",
    "settle_review_checks",
]
