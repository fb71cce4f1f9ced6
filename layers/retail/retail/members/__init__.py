"""Members: an append-only points ledger, a balance kept by guarded updates, growth and level."""

from .points import award_points, level_for

__all__ = ["award_points", "level_for"]
