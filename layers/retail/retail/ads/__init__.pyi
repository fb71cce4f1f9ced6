"""Ad slots sold to merchants: scheduled placements, impressions, clicks and a report."""

from .slots import (
    AdReport,
    ListAds,
    SaveSlot,
    ShowAdReport,
    Slots,
    SlotView,
    ad_report,
    list_ads,
    save_slot,
)

__all__ = [
    "AdReport",
    "ListAds",
    "SaveSlot",
    "ShowAdReport",
    "SlotView",
    "Slots",
    "ad_report",
    "list_ads",
    "save_slot",
]
