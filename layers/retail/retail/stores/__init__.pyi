from .nearby import FindNearby, NearbyStores, find_nearby_stores

__all__ = ["FindNearby", "NearbyStores", "find_nearby_stores"]
