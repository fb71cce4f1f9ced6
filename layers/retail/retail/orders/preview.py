"""Pricing a prospective order exactly as order_place would, without reserving anything,
and refusing it as order_place would when a line's stock location lacks the units, or when it
carries an address its buyer has not consented to hand over."""

from __future__ import annotations

from retail.common.database import database
from retail.common.errors import OutOfStock
from retail.common.vocabulary import FailureCode
from retail.consent import require_consent
from retail.inventory import available_at
from retail.store import Db

from .models import OrderRequest, Quote
from .pricing import quote_order


def preview_order(cmd: OrderRequest, *, buyer: str, db: Db | None = None) -> Quote:
    """Raises what order_place would before reserving (Forbidden CONSENT_REQUIRED for an
    address sent without the buyer's consents), and OutOfStock (naming the SKU and the
    location) for a line the chosen delivery's stock cannot cover now."""
    db = db if db is not None else database()
    if cmd.address is not None:
        require_consent(db, buyer, "delivery address", shared=True)
    quote = quote_order(db, cmd, buyer)
    available = available_at(db, {line.sku_id: line.location for line in quote.lines})
    for line in quote.lines:
        if available[line.sku_id] < line.qty:
            raise OutOfStock(
                f"not enough stock for {line.sku_id}",
                reason=FailureCode.OUT_OF_STOCK,
                sku_id=line.sku_id,
                location=line.location,
                available=available[line.sku_id],
            )
    return quote
