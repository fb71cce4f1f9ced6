"""Every operator action leaves an audit entry: who, what, on which record, before and after."""

from __future__ import annotations

from typing import Any

from retail.common.clock import utcnow


def record_audit(
    db: Any,
    operator: Any,
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
