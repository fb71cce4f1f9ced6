"""Every operator action leaves an audit entry: who, what, on which record, before and after."""

from __future__ import annotations

from typing import Any

from retail.common.clock import utcnow
from retail.store import Db

from .operator import Operator


def record_audit(
    db: Db,
    operator: Operator,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    db.audit_log.insert_one(
        {
            "operator_id": operator.operator_id,
            "role": operator.role,
            "action": action,
            "target": target,
            "before": before,
            "after": after,
            "at": utcnow(),
        }
    )


def save_audited(
    db: Db,
    operator: Operator,
    action: str,
    collection: str,
    doc_id: str,
    fields: dict[str, Any],
    on_insert: dict[str, Any] | None = None,
) -> None:
    """Create or change the document `doc_id` with `fields` (and `on_insert` when new), and
    audit it with what it was before."""
    before = db[collection].find_one({"_id": doc_id})
    update: dict[str, Any] = {"$set": fields}
    if on_insert:
        update["$setOnInsert"] = on_insert
    db[collection].update_one({"_id": doc_id}, update, upsert=True)
    record_audit(db, operator, action, doc_id, before, fields)
