"""A small document engine with the pymongo API over SQLite, safe across processes."""

from .collection import EmbeddedCollection
from .cursor import EmbeddedCursor
from .database import EmbeddedDatabase

__all__ = ["EmbeddedCollection", "EmbeddedCursor", "EmbeddedDatabase"]
