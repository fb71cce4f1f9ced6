"""Risk events: each rule hit with its evidence, for the operator review queue.

An event's id names the rule and what it judged (an order, a transaction, a claim), so a
retried call records it once. Status: OPEN until an operator RELEASEs or REJECTs it.
"""

from __future__ import annotations

from typing import Any, Literal

from retail.common.clock import utcnow
from retail.common.logs import log
from retail.common.vocabulary import RiskStatus
from retail.store import Db

Action = Literal["block", "hold", "flag"]


def record_risk_event(
    db: Db,
    key: str,
    kind: str,
    action: Action,
    *,
    openid: str | None = None,
    order_id: str | None = None,
    **evidence: Any,
) -> str:
    """Record the event once under `key`; returns its id."""
    db.risk_events.update_one(
        {"_id": key},
        {
            "$setOnInsert": {
                "kind": kind,
                "action": action,
                "status": RiskStatus.OPEN,
                "openid": openid,
                "order_id": order_id,
                "evidence": evidence,
                "created_at": utcnow(),
            }
        },
        upsert=True,
    )
    log("risk_event_recorded", "WARNING", kind=kind, action=action, order_id=order_id)
    return key
