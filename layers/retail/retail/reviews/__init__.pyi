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
    "ListReviews",
    "ModerateReview",
    "ReviewPage",
    "ReviewView",
    "create_review",
    "list_reviews",
    "moderate_review",
]
