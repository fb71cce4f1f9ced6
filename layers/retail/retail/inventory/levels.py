"""Where stock lives: one document per SKU and location."""

from __future__ import annotations

CENTRAL = "central"
PRESALE = "presale"


def level_id(sku_id: str, location: str) -> str:
    return f"{sku_id}@{location}"
