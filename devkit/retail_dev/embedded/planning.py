"""Choosing how a query finds its candidate rows, as MongoDB's planner would: by `_id`, by the
secondary index its conditions narrow most, by the union of one probe per `$or` clause, or,
when none of these applies, by reading the whole collection (a scan, reported).

A probe is a superset: every candidate is still checked against the full filter, so a plan
can only be slower or faster, never wrong. A partial index is used only when the query
implies its filter, as on MongoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codec import index_value
from .indexes import IndexSpec, lookup_values, range_condition
from .matching import Filter, equal, is_operator_expression

EXACT = 100  # an `_id` lookup: nothing narrows more


@dataclass(frozen=True)
class Probe:
    """Candidate ids from one table: `index` None means the documents' primary key."""

    index: IndexSpec | None
    where: str
    params: tuple[Any, ...]
    score: int


def plan(specs: list[IndexSpec], query: Filter) -> list[Probe] | None:
    """The probes whose union holds every document matching `query`; None for a scan."""
    conjuncts = _flatten(query)
    best = _best_probe(specs, conjuncts)
    if best is not None and best.score >= 2:
        return [best]
    for branches in _or_branches(conjuncts):
        union = []
        rest = {k: v for k, v in conjuncts.items() if k != "$or"}
        for branch in branches:
            probe = (
                _best_probe(specs, {**rest, **_flatten(branch)})
                if isinstance(branch, dict)
                else None
            )
            if probe is None:
                break
            union.append(probe)
        else:
            return union
    return [best] if best is not None else None


def _flatten(query: Filter) -> Filter:
    """The query's conditions with `$and` lifted to the top, where no field appears twice:
    what every matching document must satisfy, for planning only."""
    flat: Filter = {}
    for key, cond in query.items():
        if key == "$and" and isinstance(cond, list) and all(isinstance(c, dict) for c in cond):
            for sub in cond:
                for sub_key, sub_cond in _flatten(sub).items():
                    if sub_key not in flat:
                        flat[sub_key] = sub_cond
        elif key not in flat:
            flat[key] = cond
    return flat


def _or_branches(conjuncts: Filter) -> list[list[Any]]:
    branches = conjuncts.get("$or")
    return [branches] if isinstance(branches, list) and branches else []


def _best_probe(specs: list[IndexSpec], query: Filter) -> Probe | None:
    best = _id_probe(query)
    if best is not None and best.score >= EXACT:
        return best
    for spec in specs:
        if not spec.covers_every_document() and not implies(query, spec):
            continue
        probe = _index_probe(spec, query)
        if probe is not None and (best is None or probe.score > best.score):
            best = probe
    return best


def _id_probe(query: Filter) -> Probe | None:
    if "_id" not in query:
        return None
    ids = lookup_values(query["_id"])
    if ids is not None:
        return Probe(None, f"id IN ({', '.join('?' * len(ids))})", tuple(ids), EXACT)
    bounded = range_condition("id", query["_id"])
    if bounded is not None:
        return Probe(None, bounded[0], tuple(bounded[1]), 1)
    return None


def _index_probe(spec: IndexSpec, query: Filter) -> Probe | None:
    """Equalities on the index's leading fields, then at most one range."""
    clauses: list[str] = []
    params: list[Any] = []
    score = 0
    for column, name in enumerate(spec.fields):
        if name not in query:
            break
        values = lookup_values(query[name])
        if values is not None:
            clauses.append(f"k{column} IN ({', '.join('?' * len(values))})")
            params += values
            score += 2
            continue
        bounded = range_condition(f"k{column}", query[name])
        if bounded is not None:
            clauses.append(bounded[0])
            params += bounded[1]
            score += 1
        break
    if spec.partial is not None:
        score += 2  # the index holds only the documents its filter names: a to-do set
    if not clauses:
        return Probe(spec, "1", (), score) if spec.partial is not None else None
    return Probe(spec, " AND ".join(clauses), tuple(params), score)


def implies(query: Filter, spec: IndexSpec) -> bool:
    """Whether every document matching `query` is in the partial or sparse index `spec`."""
    if spec.sparse and not any(_not_null(query[name]) for name in spec.fields if name in query):
        return False
    if spec.partial is None:
        return True
    for name, wanted in spec.partial.items():
        if name.startswith("$") or name not in query:
            return False
        if wanted == {"$exists": True}:
            if not _not_null(query[name]):
                return False
        elif is_operator_expression(wanted) or not _same_literal(query[name], wanted):
            return False
    return True


def _not_null(cond: Any) -> bool:
    """Whether `cond` matches only documents where the field holds a value (not null/missing)."""
    if cond is None:
        return False
    if not is_operator_expression(cond):
        return True
    if cond.get("$exists") is True and len(cond) == 1:
        return True
    bounds = [cond[op] for op in ("$eq", "$gt", "$gte", "$lt", "$lte") if op in cond]
    if "$in" in cond and isinstance(cond["$in"], list):
        bounds += cond["$in"]
    return bool(bounds) and all(bound is not None for bound in bounds)


def _same_literal(cond: Any, wanted: Any) -> bool:
    if is_operator_expression(cond):
        cond = cond.get("$eq", object()) if set(cond) == {"$eq"} else object()
    try:
        return equal(cond, wanted) and index_value(cond) == index_value(wanted)
    except Exception:  # noqa: BLE001 - an uncomparable literal simply does not imply
        return False
