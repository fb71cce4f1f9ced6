"""The data loop: tracking, the nightly rollup, and the dashboards operators read."""

from .dashboards import (
    ActiveReport,
    ChannelReport,
    DayRange,
    FunnelReport,
    SalesQuery,
    SalesReport,
    ShowSummary,
    Slice,
    Summary,
    active_report,
    channels_report,
    funnel_report,
    retention_report,
    sales_report,
    segments_report,
)
from .rollup import RollUp, RollupSummary, roll_up
from .tracking import Track, Tracked, track

__all__ = [
    "ActiveReport",
    "ChannelReport",
    "DayRange",
    "FunnelReport",
    "RollUp",
    "RollupSummary",
    "SalesQuery",
    "SalesReport",
    "ShowSummary",
    "Slice",
    "Summary",
    "Track",
    "Tracked",
    "active_report",
    "channels_report",
    "funnel_report",
    "retention_report",
    "roll_up",
    "sales_report",
    "segments_report",
    "track",
]
