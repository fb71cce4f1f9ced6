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
