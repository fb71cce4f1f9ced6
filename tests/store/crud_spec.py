"""A runner for MongoDB's own CRUD tests (the unified test format of mongodb/specifications,
`source/crud/tests/unified`), as pymongo's source distribution ships them: each test's
initial data, operations, expected results or errors and final collection contents, written
by MongoDB's engineers against the server. Run on the embedded engine they check it against
what we did not write (issue 32 §4).

Only what a store without sessions, views or aggregation can be asked is run: the collection
operations of pymongo's API the engine offers, with the arguments that change a result.
Options that change no result (`comment`, `batchSize`, `maxTimeMS`) are dropped; a test that
needs anything else (hint, collation, let, array filters, update pipelines, fail points,
command monitoring) is not applicable and says why. Expected command events are not checked:
an embedded engine sends no commands.

The format: https://github.com/mongodb/specifications/blob/master/source/unified-test-format/unified-test-format.md
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from pymongo import DeleteMany, DeleteOne, InsertOne, ReturnDocument
from pymongo import UpdateOne as UpdateOneRequest
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError

SERVER_VERSION = (7, 0)  # the server version the cases' requirements are read against
DROPPED = {"comment", "batchSize", "maxTimeMS"}
ARGUMENTS = {
    "find": {"filter", "sort", "projection", "skip", "limit"},
    "findOne": {"filter", "sort", "projection", "skip"},
    "countDocuments": {"filter", "skip", "limit"},
    "estimatedDocumentCount": set(),
    "distinct": {"fieldName", "filter"},
    "insertOne": {"document"},
    "insertMany": {"documents", "ordered"},
    "updateOne": {"filter", "update", "upsert"},
    "updateMany": {"filter", "update", "upsert"},
    "replaceOne": {"filter", "replacement", "upsert"},
    "deleteOne": {"filter"},
    "deleteMany": {"filter"},
    "findOneAndUpdate": {"filter", "update", "projection", "sort", "upsert", "returnDocument"},
    "findOneAndReplace": {
        "filter",
        "replacement",
        "projection",
        "sort",
        "upsert",
        "returnDocument",
    },
    "findOneAndDelete": {"filter", "projection", "sort"},
    "bulkWrite": {"requests", "ordered"},
}
# The bulk requests the engine runs (others it refuses with a TypeError, never runs them
# differently: retail_dev/embedded/bulk.py); the code sends no others.
BULK_REQUESTS = {
    "insertOne": (InsertOne, {"document"}),
    "updateOne": (UpdateOneRequest, {"filter", "update", "upsert"}),
    "deleteOne": (DeleteOne, {"filter"}),
    "deleteMany": (DeleteMany, {"filter"}),
}
ERROR_CODES = {"DuplicateKey": 11000}


@dataclass(frozen=True)
class Case:
    """One test of one file: its id (`file: description`), the file's entities and data."""

    id: str
    file: Mapping[str, Any]
    test: Mapping[str, Any]

    def not_applicable(self) -> str | None:
        """Why the case cannot be asked of a store like ours, or None."""
        for owner in (self.file, self.test):
            requirements = owner.get("runOnRequirements")
            if requirements and not any(map(_satisfied, requirements)):
                return f"runs only on {requirements}"
        if "skipReason" in self.test:
            return self.test["skipReason"]
        for operation in self.test["operations"]:
            why = _not_runnable(operation, self.collections())
            if why:
                return why
        return None

    def collections(self) -> dict[str, str]:
        """Collection entity id -> collection name."""
        return {
            entity["collection"]["id"]: entity["collection"]["collectionName"]
            for entity in self.file.get("createEntities", [])
            if "collection" in entity
        }


def cases(folder: Path) -> Iterator[Case]:
    for path in sorted(folder.glob("*.json")):
        file = json_util.loads(path.read_text(encoding="utf-8"))
        for test in file["tests"]:
            yield Case(f"{path.stem}: {test['description']}", file, test)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _satisfied(requirement: Mapping[str, Any]) -> bool:
    lowest = _version(requirement.get("minServerVersion", "0"))[:2]
    highest = _version(requirement.get("maxServerVersion", "99"))[:2]
    if not lowest <= SERVER_VERSION <= highest:
        return False
    if requirement.get("serverless") == "require" or requirement.get("auth") is True:
        return False
    topologies = requirement.get("topologies")
    return topologies is None or "replicaset" in topologies or "single" in topologies


def _not_runnable(operation: Mapping[str, Any], collections: Mapping[str, str]) -> str | None:
    name = operation["name"]
    if operation["object"] not in collections or name not in ARGUMENTS:
        return f"{operation['object']}.{name} is not a collection operation the engine offers"
    arguments = set(operation.get("arguments", {})) - DROPPED
    extra = arguments - ARGUMENTS[name]
    if extra:
        return f"{name} with {sorted(extra)}"
    update = operation.get("arguments", {}).get("update")
    if isinstance(update, list):
        return f"{name} with an update pipeline"
    for request in operation.get("arguments", {}).get("requests", []):
        ((kind, spec),) = request.items()
        if kind not in BULK_REQUESTS or set(spec) - BULK_REQUESTS[kind][1]:
            return f"bulkWrite {kind} with {sorted(spec)}"
        if isinstance(spec.get("update"), list):
            return "bulkWrite with an update pipeline"
    return None


def load(db: Any, case: Case) -> None:
    """The case's collections emptied and given their initial data."""
    names = set(case.collections().values())
    for data in case.file.get("initialData", []):
        names.add(data["collectionName"])
    for name in names:
        db[name].drop()
    for data in case.file.get("initialData", []):
        if data["documents"]:
            db[data["collectionName"]].insert_many([dict(d) for d in data["documents"]])


def run(db: Any, case: Case) -> None:
    """Every operation of the case, its result and error checked; then the outcome."""
    collections = case.collections()
    for operation in case.test["operations"]:
        collection = db[collections[operation["object"]]]
        arguments = {k: v for k, v in operation.get("arguments", {}).items() if k not in DROPPED}
        try:
            result = _call(collection, operation["name"], arguments)
        except PyMongoError as error:
            if "expectError" not in operation:
                raise
            _check_error(error, operation["expectError"])
            continue
        except (TypeError, ValueError):  # pymongo's own client-side refusals
            if not operation.get("expectError", {}).get("isClientError"):
                raise
            continue
        assert "expectError" not in operation, f"expected an error, got {result!r}"
        if "expectResult" in operation:
            assert_matches(operation["expectResult"], result, root=True)
    for outcome in case.test.get("outcome", []):
        actual = list(db[outcome["collectionName"]].find({}, sort=[("_id", 1)]))
        expected = sorted(outcome["documents"], key=lambda d: _order(d["_id"]))
        assert [_plain(d) for d in actual] == [_plain(d) for d in expected]


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _plain(value: Any) -> Any:
    """A value for exact comparison: 1 and 1.0 equal (as the format asks), True and 1 not."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return ("bool", value)
    return value


def _call(collection: Any, name: str, arguments: dict[str, Any]) -> Any:
    a = dict(arguments)
    if "sort" in a:
        a["sort"] = list(a["sort"].items())
    return OPERATIONS[name](collection, a)


def _find(collection: Any, a: dict[str, Any]) -> Any:
    return list(collection.find(a.pop("filter", {}), **a))


def _find_one(collection: Any, a: dict[str, Any]) -> Any:
    return collection.find_one(a.pop("filter", {}), **a)


def _insert_many(collection: Any, a: dict[str, Any]) -> Any:
    ids = collection.insert_many(a["documents"], ordered=a.get("ordered", True)).inserted_ids
    return {"insertedIds": {str(i): v for i, v in enumerate(ids)}}


def _update(method: str) -> Any:
    def call(collection: Any, a: dict[str, Any]) -> Any:
        change = a.get("update", a.get("replacement"))
        done = getattr(collection, method)(a["filter"], change, upsert=a.get("upsert", False))
        return {
            "matchedCount": done.matched_count,
            "modifiedCount": done.modified_count,
            "upsertedCount": 0 if done.upserted_id is None else 1,
            "upsertedId": done.upserted_id,
        }

    return call


def _find_and_modify(method: str) -> Any:
    def call(collection: Any, a: dict[str, Any]) -> Any:
        change = a.pop("update", None) or a.pop("replacement")
        after = a.pop("returnDocument", "Before") == "After"
        returned = ReturnDocument.AFTER if after else ReturnDocument.BEFORE
        return getattr(collection, method)(a.pop("filter"), change, return_document=returned, **a)

    return call


def _bulk_write(collection: Any, a: dict[str, Any]) -> Any:
    requests = []
    for request in a["requests"]:
        ((kind, spec),) = request.items()
        spec = dict(spec)
        if "upsert" not in spec and kind == "updateOne":
            spec["upsert"] = False
        requests.append(BULK_REQUESTS[kind][0](**spec))
    done = collection.bulk_write(requests, ordered=a.get("ordered", True))
    return _bulk_result(done.bulk_api_result)


OPERATIONS: dict[str, Any] = {
    "find": _find,
    "findOne": _find_one,
    "countDocuments": lambda c, a: c.count_documents(a.pop("filter"), **a),
    "estimatedDocumentCount": lambda c, a: c.estimated_document_count(),
    "distinct": lambda c, a: c.distinct(a["fieldName"], a.get("filter")),
    "insertOne": lambda c, a: {"insertedId": c.insert_one(a["document"]).inserted_id},
    "insertMany": _insert_many,
    "updateOne": _update("update_one"),
    "updateMany": _update("update_many"),
    "replaceOne": _update("replace_one"),
    "deleteOne": lambda c, a: {"deletedCount": c.delete_one(a["filter"]).deleted_count},
    "deleteMany": lambda c, a: {"deletedCount": c.delete_many(a["filter"]).deleted_count},
    "findOneAndUpdate": _find_and_modify("find_one_and_update"),
    "findOneAndReplace": _find_and_modify("find_one_and_replace"),
    "findOneAndDelete": lambda c, a: c.find_one_and_delete(a.pop("filter"), **a),
    "bulkWrite": _bulk_write,
}


def _bulk_result(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "deletedCount": raw["nRemoved"],
        "insertedCount": raw["nInserted"],
        "matchedCount": raw["nMatched"],
        "modifiedCount": raw["nModified"],
        "upsertedCount": raw["nUpserted"],
        "upsertedIds": {str(u["index"]): u["_id"] for u in raw["upserted"]},
    }


def _check_error(error: PyMongoError, expected: Mapping[str, Any]) -> None:
    assert not expected.get("isClientError"), f"a client-side error was expected, got {error!r}"
    if "errorContains" in expected:
        assert expected["errorContains"].lower() in str(error).lower(), str(error)
    code = expected.get("errorCode", ERROR_CODES.get(expected.get("errorCodeName", "")))
    if code is not None:
        assert isinstance(error, (OperationFailure, DuplicateKeyError)), repr(error)
        codes = {error.code}
        if isinstance(error, BulkWriteError):
            codes |= {e["code"] for e in error.details["writeErrors"]}
        assert code in codes, f"expected error code {code}, got {codes}"
    if "expectResult" in expected and isinstance(error, BulkWriteError):
        assert_matches(expected["expectResult"], _bulk_result(error.details), root=True)


TYPES: dict[str, tuple[type, ...]] = {
    "double": (float,),
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "objectId": (ObjectId,),
    "bool": (bool,),
    "null": (type(None),),
    "int": (int,),
    "long": (int,),
}


def assert_matches(expected: Any, actual: Any, *, root: bool = False, path: str = "$") -> None:
    """The unified format's rules: extra fields are allowed in a root document only; numbers
    compare by value; the $$ operators this corpus uses ($$unsetOrMatches, $$exists, $$type)."""
    if _special(expected, actual, root, path):
        return
    assert actual is not _UNSET, f"{path}: missing, expected {expected!r}"
    if isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{path}: expected a document, got {actual!r}"
        for key, value in expected.items():
            if isinstance(value, Mapping) and set(value) == {"$$exists"}:
                assert (key in actual) is value["$$exists"], f"{path}.{key}: exists?"
                continue
            assert_matches(value, actual.get(key, _UNSET), path=f"{path}.{key}")
        if not root:
            extra = set(actual) - set(expected)
            assert not extra, f"{path}: unexpected fields {sorted(extra)}"
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_matches(e, a, root=root, path=f"{path}[{i}]")  # a cursor's documents: roots
    else:
        assert _plain(actual) == _plain(expected), f"{path}: {actual!r} != {expected!r}"


def _special(expected: Any, actual: Any, root: bool, path: str) -> bool:
    """Whether `expected` was a $$ operator (then checked); any other $$ operator fails."""
    if not (isinstance(expected, Mapping) and len(expected) == 1):
        return False
    ((key, value),) = expected.items()
    if key == "$$unsetOrMatches":
        if actual is not _UNSET:
            assert_matches(value, actual, root=root, path=path)
        return True
    if key == "$$type":
        names = [value] if isinstance(value, str) else value
        kinds = tuple(t for n in names for t in TYPES[n])
        ok = isinstance(actual, kinds) and not (isinstance(actual, bool) and bool not in kinds)
        assert ok, f"{path}: {actual!r} is not of type {names}"
        return True
    assert not key.startswith("$$") or key == "$$exists", f"{path}: {key} is not supported"
    return False


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()
