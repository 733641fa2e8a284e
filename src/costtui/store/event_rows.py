"""How a :class:`~costtui.models.UsageEvent` is stored: the ``events`` columns and rows, derived
from the model.

Every field is stored under its own name, as it is, except those declared below: those with a
storage encoding (``ts`` in integer microseconds, ``tags`` and ``flags`` as JSON lists, ``cache_hit``
as 0/1, ``saved_usd`` as integer nano-dollars in ``saved_nusd``)
and the pricing fields, which come from the pricer's answer rather than the event (``cost_usd`` as
integer nano-dollars in ``cost_nusd``, ``price_version`` as an id into ``price_versions``,
``unpriced`` not stored: it is ``cost_nusd IS NULL``). A new field on the model needs a migration
adding its column and nothing else here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from costtui.models import EVENT_FIELDS, UsageEvent

NANO_PER_USD = 1_000_000_000
US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_US_PER_DAY = 86_400 * US


def ts_to_us(ts: datetime) -> int:
    return (ts - EPOCH) // _ONE_US


def us_to_ts(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def to_nusd(amount: Decimal | None) -> int | None:
    """Dollars to integer nano-dollars, rounded half-even (as :func:`costtui.pricing.quantize`)."""
    return None if amount is None else int(amount.scaleb(9).to_integral_value(ROUND_HALF_EVEN))


def from_nusd(value: int | None) -> Decimal:
    """Nano-dollars back to dollars, without trailing zeros (0.00021, not 0.000210000)."""
    amount = Decimal(value or 0).scaleb(-9).normalize()
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount


_tag_json: dict[tuple[str, ...], str] = {}


def _tags_to_db(tags: list[str]) -> str | None:
    # The same few tag lists come back on nearly every event of an import: each is encoded once.
    if not tags:
        return None
    key = tuple(tags)
    found = _tag_json.get(key)
    if found is None:
        if len(_tag_json) > 10_000:
            _tag_json.clear()
        found = _tag_json[key] = json.dumps(tags)
    return found


def _tags_from_db(value: str | None) -> list[str]:
    return json.loads(value) if value else []


def _nusd_or_none(value: int | None) -> Decimal | None:
    return None if value is None else from_nusd(value)


# Fields stored with an encoding: (to the column, back from it).
ENCODED: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "ts": (ts_to_us, us_to_ts),
    "tags": (_tags_to_db, _tags_from_db),
    "cache_hit": (int, bool),
    "flags": (_tags_to_db, _tags_from_db),
    "saved_usd": (to_nusd, _nusd_or_none),
}
# Money is stored in nano-dollars under a ``_nusd`` column, as the cost is.
COLUMN_OF: dict[str, str] = {"saved_usd": "saved_nusd"}
# The pricing fields: written from the pricer's answer, in this order, under these columns
# (None: not stored).
PRICED: dict[str, str | None] = {
    "cost_usd": "cost_nusd",
    "cost_source": "cost_source",
    "price_version": "price_version_id",
    "unpriced": None,
}

STORED_FIELDS = tuple(name for name in EVENT_FIELDS if name not in PRICED)
"""The fields read straight from the event, in the model's order."""
EVENT_COLUMNS: tuple[str, ...] = tuple(COLUMN_OF.get(n, n) for n in STORED_FIELDS) + tuple(
    col for col in PRICED.values() if col is not None
)
"""The columns an event row fills, in row order."""
COLUMN_INDEX: Mapping[str, int] = {col: i for i, col in enumerate(EVENT_COLUMNS)}
_ROW_MARKS = f"({', '.join('?' for _ in EVENT_COLUMNS)})"
INSERT_EVENT_SQL = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES {_ROW_MARKS} ON CONFLICT (event_id) DO NOTHING"
)


@lru_cache(maxsize=16)
def _insert_many_sql(rows: int) -> str:
    values = ", ".join([_ROW_MARKS] * rows)
    return f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES {values} ON CONFLICT (event_id) DO NOTHING"


def insert_events(conn: sqlite3.Connection, rows: list[list[Any]]) -> None:
    """Insert event rows (``event_row`` values), hundreds per statement.

    One statement per row (executemany) hands the GIL over around every row's step; with the
    listener's other threads busy, each hand-back waits its turn, which cost more than the insert.
    Row counts are taken in a few fixed sizes so that the prepared statements stay cached.
    """
    limit = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(EVENT_COLUMNS))
    done = 0
    for size in _CHUNK_ROWS:
        if size > limit:
            continue
        sql = None
        while len(rows) - done >= size:
            sql = sql or _insert_many_sql(size)
            conn.execute(sql, [value for row in rows[done : done + size] for value in row])
            done += size
    if done < len(rows):
        conn.executemany(INSERT_EVENT_SQL, rows[done:])


_CHUNK_ROWS = (500, 100, 20, 5)

# A model's fields live in its __dict__: one itemgetter reads them all in C.
_read = itemgetter(*STORED_FIELDS)
_encoders = tuple((COLUMN_INDEX[COLUMN_OF.get(name, name)], encode) for name, (encode, _) in ENCODED.items())
_decoders = {name: decode for name, (_, decode) in ENCODED.items()}


def event_row(event: UsageEvent, cost_nusd: int | None, cost_source: str, price_version_id: int | None) -> list[Any]:
    """The values of ``EVENT_COLUMNS`` for one priced event."""
    row = list(_read(event.__dict__))
    for i, encode in _encoders:
        row[i] = encode(row[i])
    row += (cost_nusd, cost_source, price_version_id)
    return row


def event_fields(row: Mapping[str, Any], price_label: Callable[[int | None], str | None]) -> dict[str, Any]:
    """The UsageEvent fields of a stored ``events`` row (the inverse of :func:`event_row`)."""
    fields = {name: row[COLUMN_OF.get(name, name)] for name in STORED_FIELDS}
    for name, decode in _decoders.items():
        fields[name] = decode(fields[name])
    cost = row["cost_nusd"]
    fields.update(
        cost_usd=None if cost is None else from_nusd(cost),
        cost_source=row["cost_source"],
        price_version=price_label(row["price_version_id"]),
        unpriced=cost is None,
    )
    return fields


_days: dict[int, str] = {}


def day_of_us(ts_us: int) -> str:
    """The UTC day (YYYY-MM-DD) of a microsecond timestamp."""
    n = ts_us // _US_PER_DAY
    day = _days.get(n)
    if day is None:
        if len(_days) > 10_000:
            _days.clear()
        day = _days[n] = (EPOCH + timedelta(days=n)).date().isoformat()
    return day
