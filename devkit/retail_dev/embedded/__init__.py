"""A small document engine with the pymongo API over SQLite, safe across processes."""

from .collection import EmbeddedCollection
from .cursor import EmbeddedCursor
from .database import EmbeddedDatabase

# The collection calls that write, and all that reach the store: each is one trip to MongoDB
# (bench/round_trips.py counts them; tests/functions/test_order_owner.py records writers).
WRITES = (
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "delete_one",
    "delete_many",
    "bulk_write",
)
TRIPS = ("find_one", "find", "count_documents", "estimated_document_count", "distinct", *WRITES)

__all__ = ["TRIPS", "WRITES", "EmbeddedCollection", "EmbeddedCursor", "EmbeddedDatabase"]
