"""The NPS survey a buyer answers after an order completes (0-10, once per order), and the
score over time: % promoters (9-10) minus % detractors (0-6), per week."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError

from retail.common.clock import business_day, day_of, utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, Reason
from retail.common.models import ORDER_ID, OUT, STRICT, DayRange
from retail.common.vocabulary import OrderStatus
from retail.store import Db


class AnswerSurvey(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    score: int = Field(ge=0, le=10)
    comment: str | None = Field(None, max_length=300)


class SurveyAnswer(BaseModel):
    model_config = OUT
    order_id: str
    score: int


class ShowNps(DayRange):
    pass


class NpsWeek(BaseModel):
    model_config = OUT
    week: str
    answers: int
    promoters: int
    passives: int
    detractors: int
    nps: float


class NpsReport(BaseModel):
    model_config = OUT
    weeks: list[NpsWeek]
    total: NpsWeek


def answer_survey(cmd: AnswerSurvey, *, buyer: str, db: Db | None = None) -> SurveyAnswer:
    """Raises NotFound (not the caller's order), Conflict (not completed, or answered)."""
    db = db if db is not None else database()
    order = db.orders.find_one({"_id": cmd.order_id, "openid": buyer}, {"status": 1})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    if order["status"] != OrderStatus.COMPLETED:
        raise Conflict("the survey opens when the order is completed", status=order["status"])
    now = utcnow()
    try:
        db.nps.insert_one(
            {
                "_id": cmd.order_id,
                "openid": buyer,
                "score": cmd.score,
                "comment": cmd.comment,
                "at": now,
                "day": day_of(now).isoformat(),
            }
        )
    except DuplicateKeyError:
        raise Conflict(
            "this order's survey is already answered", reason=Reason.ALREADY_ANSWERED
        ) from None
    return SurveyAnswer(order_id=cmd.order_id, score=cmd.score)


def nps_report(cmd: ShowNps, *, db: Db | None = None) -> NpsReport:
    db = db if db is not None else database()
    start, end = business_day(cmd.start)[0], business_day(cmd.end)[1]
    weeks: dict[str, list[int]] = defaultdict(list)
    every: list[int] = []
    for answer in db.nps.find({"at": {"$gte": start, "$lt": end}}, {"score": 1, "day": 1}):
        year, week, _ = date.fromisoformat(answer["day"]).isocalendar()
        weeks[f"{year}-W{week:02d}"].append(answer["score"])
        every.append(answer["score"])
    return NpsReport(
        weeks=[_score(week, scores) for week, scores in sorted(weeks.items())],
        total=_score("total", every),
    )


def _score(label: str, scores: list[int]) -> NpsWeek:
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    n = len(scores)
    return NpsWeek(
        week=label,
        answers=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        nps=round((promoters - detractors) / n * 100, 1) if n else 0.0,
    )
