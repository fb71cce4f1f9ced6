"""Creating the project's indexes (infra/indexes.json) on either engine, idempotently, and
listing what a store lacks or holds beyond them (scripts/init_db.py --check). The file is
every index of the collections it names: one it no longer lists is dropped."""

from __future__ import annotations

from typing import Any

from pymongo.errors import OperationFailure

from retail.store import Db

# MongoDB's codes for an index that exists under these keys or this name with other options.
INDEX_CONFLICTS = {85, 86}


def apply_indexes(db: Db, spec: dict[str, Any]) -> list[str]:
    """Create every index in `spec` that is missing, replace one whose keys are there with
    other options (an index made TTL, a partial filter changed), and drop the indexes of the
    spec's collections it no longer lists (each costs every write); returns
    'collection.index' names of the indexes it holds."""
    for collection, index in extra_indexes(db, spec):
        db[collection].drop_index(index)
    created = []
    for collection, indexes in spec["collections"].items():
        for index in indexes:
            keys, options = _keys(index), _options(index)
            try:
                name = db[collection].create_index(keys, **options)
            except OperationFailure as exc:
                if exc.code not in INDEX_CONFLICTS:
                    raise
                for held, info in db[collection].index_information().items():
                    if held != "_id_" and (
                        [tuple(k) for k in info["key"]] == keys or held == options.get("name")
                    ):
                        db[collection].drop_index(held)
                name = db[collection].create_index(keys, **options)
            created.append(f"{collection}.{name}")
    return created


def missing_indexes(db: Db, spec: dict[str, Any]) -> list[str]:
    """'collection: keys options' for each index of `spec` the store does not hold as
    written (absent, or present with other options)."""
    missing = []
    for collection, indexes in spec["collections"].items():
        held = [
            _held(info)
            for name, info in db[collection].index_information().items()
            if name != "_id_"
        ]
        for index in indexes:
            wanted = (_keys(index), _comparable(_options(index)))
            if wanted not in [(keys, _comparable(options)) for keys, options in held]:
                missing.append(f"{collection}: {index['keys']} {_options(index) or ''}".rstrip())
    return missing


def extra_indexes(db: Db, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(collection, index name) of each index on a collection of `spec` that `spec` does not
    list as held (an index it dropped, or one whose options it changed)."""
    extra = []
    for collection, indexes in spec["collections"].items():
        wanted = [(_keys(index), _comparable(_options(index))) for index in indexes]
        for name, info in db[collection].index_information().items():
            keys, options = _held(info)
            if name != "_id_" and (keys, _comparable(options)) not in wanted:
                extra.append((collection, name))
    return extra


def _keys(index: dict[str, Any]) -> list[tuple[str, int]]:
    return [(name, int(way)) for name, way in index["keys"]]


def _options(index: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in index.items() if k != "keys"}


def _held(info: dict[str, Any]) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    options: dict[str, Any] = {
        k: info[k]
        for k in ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")
        if k in info
    }
    return [(name, int(way)) for name, way in info["key"]], options


def _comparable(options: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Options as they decide an index's behaviour (its name aside; false flags as absent)."""
    return tuple(sorted((k, repr(v)) for k, v in options.items() if k != "name" and v is not False))
