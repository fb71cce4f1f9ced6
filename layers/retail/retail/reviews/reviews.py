"""Reviews: only the buyer of a completed order line may review it, once.

The review's id is `<order_id>:<sku_id>`, so a second review of the line is refused by the
store itself. Counting it in the product's rating (count and sum) is done by whoever holds the
review's count lease: the call that wrote it, or, once the lease has lapsed (that call died),
the one retry that takes it over by a conditional update. The holder moves the rating by one
update guarded by a marker naming the review, marks the review counted, then lifts the marker:
a crash anywhere is finished by the next holder without counting twice, and calls racing one
another never both count. Operators reply to and hide reviews (audited); a merchant only on
its own products.

Nobody sees a review before WeChat's content security has passed its text and images
(moderation.py): until then it is written hidden, `held` naming why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Forbidden, NotFound, Reason, found
from retail.common.logs import mask_name
from retail.common.models import ID, ORDER_ID, OUT, STRICT
from retail.common.operator import Operator
from retail.common.vocabulary import OrderStatus
from retail.content import Judgement, Scene, judge_text
from retail.store import Db

from .moderation import ask_missing_image_checks, settle_review_checks, show_or_hide

IMAGE_KEY = StringConstraints(max_length=200, pattern=r"^reviews/[A-Za-z0-9_-]+/[A-Za-z0-9/_.-]+$")
# Longer than any call runs (SCF stops a function after its timeout, 10 s here): a lease
# older than this belongs to a call that is gone.
COUNT_LEASE = timedelta(minutes=5)
REVIEW_ID = Field(min_length=3, max_length=120, pattern=r"^[A-Z0-9]+:[A-Za-z0-9_:-]+$")


class CreateReview(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    sku_id: str = ID
    rating: int = Field(ge=1, le=5)
    text: str = Field("", max_length=500)
    images: list[Annotated[str, IMAGE_KEY]] = Field(
        default_factory=list, max_length=9, description="COS keys under reviews/<openid>/"
    )


class ListReviews(BaseModel):
    model_config = STRICT
    product_id: str = ID
    page: int = Field(1, ge=1, le=200)
    page_size: int = Field(10, ge=1, le=50)


class ModerateReview(BaseModel):
    model_config = STRICT
    review_id: str = REVIEW_ID
    reply: str | None = Field(None, min_length=1, max_length=300)
    hidden: bool | None = None


class ReviewView(BaseModel):
    model_config = OUT
    review_id: str
    product_id: str
    sku_id: str
    spec: str | None = Field(None, description="the SKU's 规格 (review_list only)")
    rating: int
    text: str
    images: list[str]
    buyer: str
    reply: str | None = None
    held: Judgement | None = Field(
        None, description="why nobody sees it yet (content checks); null once shown"
    )
    created_at: datetime


class ReviewPage(BaseModel):
    model_config = OUT
    product_id: str
    count: int
    average: float | None
    reviews: list[ReviewView]
    has_more: bool


def _view(doc: dict[str, Any]) -> ReviewView:
    fields = {k: v for k, v in doc.items() if k in ReviewView.model_fields}
    return ReviewView(**{**fields, "review_id": doc["_id"]})


def create_review(cmd: CreateReview, *, buyer: str, db: Db | None = None) -> ReviewView:
    """Raises NotFound (not the caller's completed order line), Forbidden (images outside
    the caller's folder) or Conflict (already reviewed)."""
    db = db if db is not None else database()
    order = db.orders.find_one({"_id": cmd.order_id, "openid": buyer})
    line = next((ln for ln in (order or {}).get("lines", []) if ln["sku_id"] == cmd.sku_id), None)
    if order is None or line is None:
        raise NotFound(f"no line {cmd.sku_id!r} in your order {cmd.order_id!r}")
    if order["status"] != OrderStatus.COMPLETED:
        raise Conflict("only a completed order can be reviewed", status=order["status"])
    folder = f"reviews/{buyer}/"
    if any(not key.startswith(folder) for key in cmd.images):
        raise Forbidden(f"images must be your own uploads under {folder}")
    user = db.users.find_one({"_id": buyer}, {"nickname": 1}) or {}
    text = judge_text(buyer, Scene.COMMENT, cmd.text)
    held = Judgement.PENDING if cmd.images and text.judgement is Judgement.PASS else None
    held = held or (None if text.judgement is Judgement.PASS else text.judgement)
    now = utcnow()
    review = {
        "_id": f"{cmd.order_id}:{cmd.sku_id}",
        "openid": buyer,
        "product_id": line["product_id"],
        "merchant_id": line["merchant_id"],
        "sku_id": cmd.sku_id,
        "rating": cmd.rating,
        "text": cmd.text,
        "images": cmd.images,
        "buyer": mask_name(user.get("nickname") or "微信用户"),
        "reply": None,
        "text_check": {"judgement": text.judgement, "label": text.label},
        "held": held,
        "hidden": held is not None,
        "counted": False,
        "count_lease": now,
        "created_at": now,
    }
    try:
        db.reviews.insert_one(review)
    except DuplicateKeyError:
        review = _take_over_count(db, review["_id"], now)
    _count(db, review)  # before any image is asked: a check's answer then finds it counted
    ask_missing_image_checks(db, review)
    settle_review_checks(db, review["_id"])
    return _view(found(db.reviews.find_one({"_id": review["_id"]}), "review"))


def _take_over_count(db: Db, review_id: str, now: datetime) -> dict[str, Any]:
    """The review a call that died left uncounted, now this call's to count. Raises
    Conflict when it is counted, or another call still holds its lease."""
    taken: dict[str, Any] | None = db.reviews.find_one_and_update(
        {
            "_id": review_id,
            "counted": False,
            # a lapsed lease, or none (a review written before leases, never counted)
            "$or": [{"count_lease": {"$lt": now - COUNT_LEASE}}, {"count_lease": None}],
        },
        {"$set": {"count_lease": now}},
        return_document=ReturnDocument.AFTER,
    )
    if taken is None:
        counted = db.reviews.find_one({"_id": review_id, "counted": True})
        if counted is not None and counted.get("held") == Judgement.PENDING:
            # its writer counted it and may have died before asking about its images
            ask_missing_image_checks(db, counted)
            settle_review_checks(db, review_id)
        raise Conflict("this line is already reviewed")
    return taken


def _count(db: Db, review: dict[str, Any]) -> None:
    """Into the rating, unless it was hidden before it was counted (hiding and showing move
    the rating of counted reviews only)."""
    marker = f"ops.{review['_id'].replace(':', '_')}"
    hidden = (db.reviews.find_one({"_id": review["_id"]}, {"hidden": 1}) or {}).get("hidden")
    if not hidden:
        db.products.update_one(
            {"_id": review["product_id"], marker: {"$exists": False}},
            {"$inc": {"rating.count": 1, "rating.sum": review["rating"]}, "$set": {marker: 1}},
        )
    db.reviews.update_one(
        {"_id": review["_id"]}, {"$set": {"counted": True}, "$unset": {"count_lease": ""}}
    )
    db.products.update_one({"_id": review["product_id"]}, {"$unset": {marker: ""}})


def list_reviews(cmd: ListReviews, *, db: Db | None = None) -> ReviewPage:
    db = db if db is not None else database()
    product = db.products.find_one({"_id": cmd.product_id}, {"rating": 1})
    if product is None:
        raise NotFound(f"no product {cmd.product_id!r}")
    docs = list(
        db.reviews.find(
            {"product_id": cmd.product_id, "hidden": False},
            sort=[("created_at", -1), ("_id", 1)],
            skip=(cmd.page - 1) * cmd.page_size,
            limit=cmd.page_size + 1,
        )
    )
    shown = docs[: cmd.page_size]
    specs = {
        s["_id"]: s.get("spec")
        for s in db.skus.find({"_id": {"$in": sorted({d["sku_id"] for d in shown})}}, {"spec": 1})
    }
    rating = product.get("rating") or {}
    count = int(rating.get("count", 0))
    return ReviewPage(
        product_id=cmd.product_id,
        count=count,
        average=round(rating["sum"] / count, 2) if count else None,
        reviews=[_view({**d, "spec": specs.get(d["sku_id"])}) for d in shown],
        has_more=len(docs) > cmd.page_size,
    )


def moderate_review(cmd: ModerateReview, *, operator: Operator, db: Db | None = None) -> ReviewView:
    """An operator's reply, or hiding a review (merchants: their own products only)."""
    db = db if db is not None else database()
    review = db.reviews.find_one({"_id": cmd.review_id})
    if review is None or (
        operator.merchant_id is not None and review["merchant_id"] != operator.merchant_id
    ):
        raise NotFound(f"no review {cmd.review_id!r}")
    changes: dict[str, Any] = {}
    if cmd.reply is not None:
        changes.update(reply=cmd.reply, replied_by=operator.operator_id, replied_at=utcnow())
    if cmd.hidden is not None:
        if operator.merchant_id is not None:
            raise Forbidden("only the platform hides reviews")
        if not cmd.hidden and review.get("held") == Judgement.RISKY:
            raise Conflict(
                "WeChat's content check found this review risky: it is shown to nobody",
                reason=Reason.CONTENT_RISKY,
            )
        show_or_hide(db, review, hidden=cmd.hidden, held=None)
    if changes:
        db.reviews.update_one({"_id": cmd.review_id}, {"$set": changes})
    if changes or cmd.hidden is not None:
        shown = {"hidden": cmd.hidden, "held": None} if cmd.hidden is not None else {}
        after = {**changes, **shown}
        before = {k: review.get(k) for k in after}
        record_audit(db, operator, "review_moderate", cmd.review_id, before, after)
    return _view(found(db.reviews.find_one({"_id": cmd.review_id}), "review"))
