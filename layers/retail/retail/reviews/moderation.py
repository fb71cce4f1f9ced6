"""A review is shown once WeChat's content security has passed its text and every image.

Text is judged at writing time (create_review); images are sent to WeChat then and answered
by message push, which calls `settle_review_checks`. The review's `held` says why nobody sees
it: PENDING (an image's answer is awaited), REVIEW (WeChat asks a person to look: the
moderation queue), UNCHECKED (WeChat could not be asked: held, never published) or RISKY
(shown to nobody, an operator cannot show it). Showing and hiding are conditional updates
of `hidden`, each moving the product's rating once; a review already counted moves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.content import (
    LABELS,
    ImageCheck,
    Judgement,
    Scene,
    ask_image_checks,
    image_checks_of,
    worst,
)
from retail.store import Db

HELD_FOR_OPERATORS = (Judgement.REVIEW, Judgement.UNCHECKED, Judgement.PENDING, Judgement.RISKY)


def subject_of(review_id: str) -> str:
    return f"review:{review_id}"


def ask_missing_image_checks(db: Db, review: dict[str, Any]) -> None:
    """Send WeChat the review's images it has not been asked about (all of them, unless a
    call that died asked some)."""
    subject = subject_of(review["_id"])
    asked = {check.key for check in image_checks_of(db, subject)}
    missing = [key for key in review.get("images", []) if key not in asked]
    if missing:
        ask_image_checks(db, subject, review["openid"], Scene.COMMENT, missing)


def settle_review_checks(db: Db, review_id: str) -> None:
    """Apply what the checks say now: shown when text and every image passed, hidden for
    good when any is risky, otherwise held for the reason that stands. A review an operator
    hid or showed stays so, unless an image is found risky after it was shown."""
    review = db.reviews.find_one({"_id": review_id})
    if review is None:
        return
    checks = image_checks_of(db, subject_of(review_id))
    asked = {check.key for check in checks}
    parts = [Judgement(review.get("text_check", {}).get("judgement", Judgement.PASS))]
    parts += [check.judgement for check in checks]  # every answer, a key asked twice included
    parts += [Judgement.PENDING for key in review.get("images", []) if key not in asked]
    verdict = worst(*parts)
    if verdict is Judgement.RISKY:
        show_or_hide(db, review, hidden=True, held=Judgement.RISKY)
    elif review.get("held") == Judgement.PENDING:
        if verdict is Judgement.PASS:
            show_or_hide(db, review, hidden=False, held=None, only_if_held=Judgement.PENDING)
        elif verdict is not Judgement.PENDING:
            db.reviews.update_one(
                {"_id": review_id, "held": Judgement.PENDING}, {"$set": {"held": verdict}}
            )


def show_or_hide(
    db: Db,
    review: dict[str, Any],
    *,
    hidden: bool,
    held: Judgement | None,
    only_if_held: Judgement | None = None,
) -> None:
    """Set `hidden` (and why it is held), moving the rating once if the change is made and
    the review was counted. A review held as risky is left as it is by anything but another
    risky finding: nobody shows it."""
    condition: dict[str, Any] = {"_id": review["_id"]}
    if held is not Judgement.RISKY:
        condition["held"] = only_if_held if only_if_held is not None else {"$ne": Judgement.RISKY}
    changed = db.reviews.find_one_and_update(
        {**condition, "hidden": not hidden},
        {"$set": {"hidden": hidden, "held": held}},
        projection={"counted": 1},
    )
    if changed is None:
        db.reviews.update_one({**condition, "hidden": hidden}, {"$set": {"held": held}})
    elif changed.get("counted"):
        sign = -1 if hidden else 1
        db.products.update_one(
            {"_id": review["product_id"]},
            {"$inc": {"rating.count": sign, "rating.sum": sign * review["rating"]}},
        )


class ReviewQueue(BaseModel):
    model_config = STRICT
    held: Literal["REVIEW", "UNCHECKED", "PENDING", "RISKY"] | None = Field(
        None, description="one reason only; all held reviews when absent"
    )
    limit: int = Field(50, ge=1, le=200)


class HeldReview(BaseModel):
    model_config = OUT
    review_id: str
    product_id: str
    rating: int
    text: str
    images: list[ImageCheck]
    held: Judgement
    why: str = Field(description="the check's finding in words, for the console")
    created_at: datetime


class HeldReviews(BaseModel):
    model_config = OUT
    reviews: list[HeldReview]


def review_queue(cmd: ReviewQueue, *, db: Db | None = None) -> HeldReviews:
    """Held reviews, oldest first: what an operator looks at (and may show, unless risky)."""
    db = db if db is not None else database()
    reasons = [Judgement(cmd.held)] if cmd.held else list(HELD_FOR_OPERATORS)
    found = db.reviews.find(
        {"held": {"$in": reasons}}, sort=[("created_at", 1), ("_id", 1)], limit=cmd.limit
    )
    return HeldReviews(reviews=[_held(db, review) for review in found])


def _held(db: Db, review: dict[str, Any]) -> HeldReview:
    images = image_checks_of(db, subject_of(review["_id"]))
    return HeldReview(
        review_id=review["_id"],
        product_id=review["product_id"],
        rating=review["rating"],
        text=review["text"],
        images=images,
        held=Judgement(review["held"]),
        why=_why(review.get("text_check", {}), images),
        created_at=review["created_at"],
    )


def _why(text_check: dict[str, Any], images: list[ImageCheck]) -> str:
    """The findings in the console's words, e.g. "文字：违规（时政）；图片 a.jpg：检测中"."""
    findings = []
    judgement = text_check.get("judgement", Judgement.PASS)
    if judgement != Judgement.PASS:
        findings.append(f"文字：{_finding(Judgement(judgement), text_check.get('label', 0))}")
    for check in images:
        if check.judgement != Judgement.PASS:
            name = check.key.rsplit("/", 1)[-1]
            findings.append(f"图片 {name}：{_finding(check.judgement, check.label)}")
    return "；".join(findings) or "通过"


_WORDS = {
    Judgement.RISKY: "违规",
    Judgement.REVIEW: "需人工审核",
    Judgement.UNCHECKED: "未能检测",
    Judgement.PENDING: "检测中",
}


def _finding(judgement: Judgement, label: int) -> str:
    words = _WORDS.get(judgement, str(judgement))
    return f"{words}（{_label(label)}）" if label and judgement is not Judgement.PENDING else words


def _label(label: int) -> str:
    return LABELS.get(label, f"标签 {label}")
