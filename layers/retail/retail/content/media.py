"""Image checks: each image is sent to WeChat (media_check_async) as a link it can download,
and WeChat's answer arrives later by message push, matched by the trace_id it gave.

One document per asked image in `media_checks` (`_id` the trace_id), naming what it belongs
to (`subject`, e.g. "review:<id>") and whose writer asked (`openid`: erased and exported with
the writer's data). The answer may reach us before the asking call has
written the document (WeChat is quick, the call is slow): both sides upsert the same
document, so whichever comes second completes it, and the subject is judged when every
image of it has an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from retail.adapters.object_storage import download_link
from retail.adapters.wechat import wechat_api
from retail.common.clock import utcnow
from retail.common.errors import ConfigurationError, error_fields
from retail.common.logs import log
from retail.common.models import OUT
from retail.store import Db

from .judgements import Judgement, Scene, from_wechat

# How long WeChat may take to download an image: its answer comes within minutes.
LINK_SECONDS = 3600


class ImageCheck(BaseModel):
    model_config = OUT
    key: str
    judgement: Judgement
    label: int = 0
    asked_at: datetime | None = None


def ask_image_checks(
    db: Db, subject: str, openid: str, scene: Scene, keys: list[str]
) -> list[ImageCheck]:
    """Ask WeChat about each image; an image WeChat did not take is UNCHECKED (held)."""
    checks: list[ImageCheck] = []
    for key in keys:
        now = utcnow()
        trace_id = _ask(openid, scene, key)
        if trace_id is None:
            unchecked = {"subject": subject, "key": key, "openid": openid, "asked_at": now}
            _upsert(db, f"{subject}:{key}", {**unchecked, "judgement": Judgement.UNCHECKED})
            checks.append(ImageCheck(key=key, judgement=Judgement.UNCHECKED, asked_at=now))
            continue
        _upsert(db, trace_id, {"subject": subject, "key": key, "openid": openid, "asked_at": now})
        checks.append(_view(db.media_checks.find_one({"_id": trace_id}) or {"key": key}))
    return checks


def _ask(openid: str, scene: Scene, key: str) -> str | None:
    """The trace_id WeChat gave, or None: WeChat did not take it, or no link could be made
    (object storage not configured), which holds the image as unchecked all the same."""
    try:
        link = download_link(key, LINK_SECONDS)
    except ConfigurationError as exc:
        log("media_check_link_failed", "ERROR", **error_fields(exc))
        return None
    return wechat_api().check_image_async(openid, int(scene), link)


def record_image_result(db: Db, trace_id: str, suggest: str, label: int) -> str | None:
    """WeChat's answer for one image; the subject it belongs to, or None while the asking
    call has not recorded it yet (that call then sees the answer)."""
    judgement = from_wechat(suggest)
    _upsert(db, trace_id, {"judgement": judgement, "label": label, "answered_at": utcnow()})
    record = db.media_checks.find_one({"_id": trace_id}, {"subject": 1})
    return record.get("subject") if record else None


def image_checks_of(db: Db, subject: str) -> list[ImageCheck]:
    """The subject's images as judged so far (PENDING where WeChat has not answered)."""
    found = db.media_checks.find({"subject": subject}, sort=[("asked_at", 1), ("_id", 1)])
    return [_view(record) for record in found]


def _upsert(db: Db, trace_id: str, fields: dict[str, object]) -> None:
    """Equality on the key alone, so two first writes at once are one document (a
    duplicate-key loser writes again, now as an update)."""
    try:
        db.media_checks.update_one({"_id": trace_id}, {"$set": fields}, upsert=True)
    except DuplicateKeyError:
        db.media_checks.update_one({"_id": trace_id}, {"$set": fields})


def _view(record: Mapping[str, object]) -> ImageCheck:
    label = record.get("label")
    asked = record.get("asked_at")
    return ImageCheck(
        key=str(record.get("key", "")),
        judgement=Judgement(str(record.get("judgement") or Judgement.PENDING)),
        label=label if isinstance(label, int) and not isinstance(label, bool) else 0,
        asked_at=asked if isinstance(asked, datetime) else None,
    )
