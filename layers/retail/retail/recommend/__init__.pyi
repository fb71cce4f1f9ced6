from .rebuild import Rebuild, RebuildSummary, rebuild_recommendations
from .serve import Recommend, Recommendations, recommend

__all__ = [
    "Rebuild",
    "RebuildSummary",
    "Recommend",
    "Recommendations",
    "rebuild_recommendations",
    "recommend",
]
