"""Where stock lives: one document per SKU and location."""

from __future__ import annotations

CENTRAL = "central"  # the warehouse; a store's stock sits at its store_id
PRESALE = "presale"  # a presale product's quota, sold before the goods exist


def level_id(sku_id: str, location: str) -> str:
    return f"{sku_id}@{location}"
