"""Event filters, sorting and cursors: query parameters in, parameterised SQL out.

Every value reaches DuckDB as a bound parameter; only fixed column names and operators are ever
formatted into SQL text. A bad value is a `BadParameter` (HTTP 400) naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Any

import yaml
from fastapi import Query, Request

from tidings.serve.database import escape_like

Search = Callable[[str], tuple[str, list[Any]]]
STATUSES = ("reported", "claimed", "alleged", "denied", "unverified")
MAX_LIST = 50  # values per repeated parameter: enough for any real filter, bounds the SQL size


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


def taxonomy() -> list[tuple[str, str, str]]:
    """(event_type, sub_event_type, disorder_type) from the ACLED taxonomy data file."""
    text = resources.files("tidings.data").joinpath("acled_taxonomy.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)["event_types"]
    return [(t, s, spec["disorder_type"]) for t, spec in data.items() for s in spec["sub_event_types"]]


@cache
def event_types() -> tuple[frozenset[str], frozenset[str]]:
    rows = taxonomy()
    return frozenset(t for t, _s, _d in rows), frozenset(s for _t, s, _d in rows)


def parse_date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, f"{value[:40]!r} is not a date: use YYYY-MM-DD") from None


def parse_bbox(value: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """west,south,east,north in degrees; west > east crosses the antimeridian."""
    if not value:
        return None
    parts = value.split(",")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise BadParameter(name, "use four numbers: west,south,east,north") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise BadParameter(name, "coordinates must be finite numbers")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise BadParameter(name, "longitudes must lie in [-180, 180]")
    if not (-90 <= s <= n <= 90):
        raise BadParameter(name, "latitudes must lie in [-90, 90] with south <= north")
    return w, s, e, n


def _checked(name: str, values: list[str] | None, allowed: frozenset[str] | tuple[str, ...] | None) -> list[str]:
    values = [v for v in (values or []) if v != ""]
    if len(values) > MAX_LIST:
        raise BadParameter(name, f"at most {MAX_LIST} values")
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise BadParameter(name, f"unknown value {unknown[0][:60]!r}: choose from {', '.join(sorted(allowed))}")
    return values


@dataclass
class EventFilter:
    date_from: date | None = None
    date_to: date | None = None
    event_type: list[str] = field(default_factory=list)
    sub_event_type: list[str] = field(default_factory=list)
    actor: str | None = None
    entity: str | None = None
    country: list[str] = field(default_factory=list)
    admin1: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    status: list[str] = field(default_factory=list)
    contested: bool | None = None
    min_fatalities: int | None = None
    q: str | None = None

    def where(self, *, search: Search, dates: bool = True, bbox: bool = True) -> tuple[str, list[Any]]:
        """SQL `WHERE ...` (or '') over `events` and its parameters; `search(q)` gives the SQL selecting the
        event_ids matching `q`, with its parameters. `dates=False` leaves the date range
        out (the timeline shows the whole range around a brushed selection); `bbox=False` the box."""
        sql: list[str] = []
        params: list[Any] = []
        if dates and self.date_from:
            sql.append("event_date >= ?")
            params.append(self.date_from)
        if dates and self.date_to:
            sql.append("event_date <= ?")
            params.append(self.date_to)
        for column in ("event_type", "sub_event_type", "country", "admin1", "status"):
            values = getattr(self, column)
            if values:
                sql.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if self.actor:
            pattern = f"%{escape_like(self.actor)}%"
            sql.append("(actor1 ILIKE ? ESCAPE '\\' OR actor2 ILIKE ? ESCAPE '\\' OR assoc_actor_1 ILIKE ? ESCAPE '\\'"
                       " OR assoc_actor_2 ILIKE ? ESCAPE '\\')")
            params.extend([pattern] * 4)
        if self.entity:
            sql.append("(actor1_id = ? OR actor2_id = ?)")
            params.extend([self.entity] * 2)
        if bbox and self.bbox:
            w, s, e, n = self.bbox
            sql.append("latitude BETWEEN ? AND ?")
            params.extend([s, n])
            if w <= e:
                sql.append("longitude BETWEEN ? AND ?")
                params.extend([w, e])
            else:
                sql.append("(longitude >= ? OR longitude <= ?)")
                params.extend([w, e])
        if self.contested is not None:
            sql.append("coalesce(contested, false) = ?")
            params.append(self.contested)
        if self.min_fatalities is not None:
            sql.append("coalesce(fatalities, 0) >= ?")
            params.append(self.min_fatalities)
        if self.q:
            found, found_params = search(self.q)
            sql.append(f"event_id IN ({found})")
            params.extend(found_params)
        return ("WHERE " + " AND ".join(sql)) if sql else "", params


def event_filter(
    request: Request,
    date_from: Annotated[str | None, Query(description="first day, YYYY-MM-DD (inclusive)")] = None,
    date_to: Annotated[str | None, Query(description="last day, YYYY-MM-DD (inclusive)")] = None,
    event_type: Annotated[list[str] | None, Query(description="ACLED event type; repeat for several")] = None,
    sub_event_type: Annotated[list[str] | None, Query(description="ACLED sub-event type; repeat for several")] = None,
    actor: Annotated[str | None, Query(max_length=200, description="part of an actor's name")] = None,
    entity: Annotated[str | None, Query(max_length=200, description="entity id of actor 1 or actor 2")] = None,
    country: Annotated[list[str] | None, Query(description="country name; repeat for several")] = None,
    admin1: Annotated[list[str] | None, Query(description="first-level region; repeat for several")] = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north in degrees")] = None,
    status: Annotated[list[str] | None, Query(description="one of reported, claimed, alleged, denied, unverified; repeat for several")] = None,
    contested: Annotated[bool | None, Query(description="only events whose sources disagree (or only not)")] = None,
    min_fatalities: Annotated[int | None, Query(ge=0, description="at least this many fatalities")] = None,
    q: Annotated[str | None, Query(max_length=200, description="full-text search over notes and source sentences")] = None,
) -> EventFilter:
    """The event filter shared by the list, stats and download endpoints (a FastAPI dependency). Types are
    checked against the ACLED taxonomy and whatever else the ledger holds, so a typo is an error, not an
    empty result."""
    types, subtypes = event_types()
    held = getattr(request.app.state, "ledger", None)
    if held is not None:
        types, subtypes = types | held.event_types, subtypes | held.sub_event_types
    parsed = EventFilter(
        date_from=parse_date("date_from", date_from), date_to=parse_date("date_to", date_to),
        event_type=_checked("event_type", event_type, types),
        sub_event_type=_checked("sub_event_type", sub_event_type, subtypes),
        actor=actor.strip() or None if actor else None, entity=entity or None,
        country=_checked("country", country, None), admin1=_checked("admin1", admin1, None),
        bbox=parse_bbox(bbox), status=_checked("status", status, STATUSES), contested=contested,
        min_fatalities=min_fatalities, q=q.strip() or None if q else None)
    if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
        raise BadParameter("date_from", "is after date_to")
    return parsed


# --- sorting and cursors ------------------------------------------------------------------------
# Sort keys are made non-null so that keyset pagination (key, event_id) is a total order.
SORTS: dict[str, tuple[str, str]] = {
    "date": ("coalesce(event_date, DATE '0001-01-01')", "DATE"),
    "fatalities": ("coalesce(fatalities, -1)", "INTEGER"),
    "sources": ("coalesce(source_count, 0)", "INTEGER"),
}


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @classmethod
    def parse(cls, value: str) -> Sort:
        key = value.removeprefix("-")
        if key not in SORTS:
            choices = ", ".join(f"{k}, -{k}" for k in SORTS)
            raise BadParameter("sort", f"unknown sort {value[:40]!r}: choose one of {choices}")
        return cls(key, value.startswith("-"))

    @property
    def name(self) -> str:
        return ("-" if self.descending else "") + self.key

    @property
    def expr(self) -> str:
        return SORTS[self.key][0]

    def order_by(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return f"ORDER BY {SORTS[self.key][0]} {direction}, event_id {direction}"

    def after(self, cursor: dict[str, Any]) -> tuple[str, list[Any]]:
        """The condition for rows strictly after the cursor's (key, event_id) in this order."""
        expr, sql_type = SORTS[self.key]
        op = "<" if self.descending else ">"
        return (f"({expr} {op} CAST(? AS {sql_type}) OR ({expr} = CAST(? AS {sql_type}) AND event_id {op} ?))",
                [cursor["k"], cursor["k"], cursor["id"]])


def encode_cursor(sort: Sort, key: Any, event_id: str) -> str:
    if isinstance(key, date):
        key = key.isoformat()
    raw = json.dumps({"s": sort.name, "k": key, "id": event_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str, sort: Sort) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadParameter("cursor", "not a cursor returned by this API") from None
    if not isinstance(data, dict) or not {"s", "k", "id"} <= data.keys() or not isinstance(data["id"], str):
        raise BadParameter("cursor", "not a cursor returned by this API")
    if data["s"] != sort.name:
        raise BadParameter("cursor", f"was made for sort={data['s']!r}, not sort={sort.name!r}")
    key = data["k"]
    # The key is cast to the sort's SQL type: a non-string, empty or out-of-range key was an HTTP 500.
    if sort.key == "date":
        if not isinstance(key, str) or parse_date("cursor", key) is None:
            raise BadParameter("cursor", "not a cursor returned by this API")
    elif not isinstance(key, int) or isinstance(key, bool) or not -(2**31) <= key < 2**31:
        raise BadParameter("cursor", "not a cursor returned by this API")
    return data
