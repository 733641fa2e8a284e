"""The billed and limits planes in the store: accounts and their health, billed cost lines, quotas,
manual costs, reached as ``store.billing`` (:class:`BillingStore`). The write entry points are
:meth:`BillingStore.record_billed` and :meth:`BillingStore.record_quotas`; every provider module
hands its records to them (through :mod:`costtui.services.sync`), none writes SQL.

All writes take ``store.transaction()`` (BEGIN IMMEDIATE): the TUI and ``costtui serve`` may
sync at the same time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from costtui.models import (
    HEALTH_ORDER,
    MONEY_KINDS,
    Account,
    AccountHealth,
    BilledLine,
    BilledWindow,
    ManualCost,
    QuotaSnapshot,
    StoredBilledLine,
    neutralise,
)
from costtui.store.db import Store, StoreError, from_nusd, to_nusd
from costtui.vocabulary import canonical_provider


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def _ts(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


def _dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# --------------------------------------------------------------------------- accounts


class AccountExists(StoreError):
    pass


class AccountNotFound(StoreError):
    pass


def _account_from_row(r: dict[str, Any]) -> Account:
    return Account(
        id=r["id"],
        provider=r["provider"],
        name=r["name"],
        key_kind=r["key_kind"],
        base_url=r["base_url"],
        enabled=bool(r["enabled"]),
        key_fp=r["key_fp"],
        options=json.loads(r["options"]) if r["options"] else {},
        created_at=_ts(r["created_at"]),
    )


_UPDATABLE = {"key_kind", "base_url", "enabled", "key_fp", "options"}


# --------------------------------------------------------------------------- billed lines

_BILLED_COLS = (
    "provider",
    "account",
    "stream",
    "kind",
    "day",
    "model",
    "line_item",
    "project",
    "api_key",
    "cost_nusd",
    "currency",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "requests",
    "quantity",
    "quantity_unit",
    "note",
    "updated_at",
)
_KEY = ("provider", "account", "stream", "day", "model", "line_item", "project", "api_key")
_VALUE_COLS = [c for c in _BILLED_COLS if c not in _KEY and c != "updated_at"]
_UPSERT_SQL = (
    f"INSERT INTO billed_costs ({', '.join(_BILLED_COLS)}) VALUES ({', '.join('?' for _ in _BILLED_COLS)}) "
    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in [*_VALUE_COLS, "updated_at"])
    # Only touch the row (and updated_at) when something changed: a re-sync leaves rows identical.
    + " WHERE "
    + " OR ".join(f"billed_costs.{c} IS NOT excluded.{c}" for c in _VALUE_COLS)
)


def _line_row(line: BilledLine, now: str) -> tuple[Any, ...]:
    return (
        line.provider,
        line.account,
        line.stream,
        line.kind,
        line.day.isoformat(),
        line.model,
        line.line_item,
        line.project,
        line.api_key,
        to_nusd(line.cost_usd),
        line.currency,
        line.input_tokens,
        line.cache_read_tokens,
        line.cache_write_tokens,
        line.cache_write_1h_tokens,
        line.output_tokens,
        line.requests,
        _dec_text(line.quantity),
        line.quantity_unit,
        line.note,
        now,
    )


@dataclass
class BilledResult:
    written: int = 0
    """Rows inserted or changed."""
    unchanged: int = 0
    deleted: int = 0
    """Rows of a re-read window the provider no longer returns."""


def _merge(lines: Iterable[BilledLine]) -> list[BilledLine]:
    """Sum lines that share an upsert key (e.g. two cost results differing only in an ignored field)."""
    merged: dict[tuple[Any, ...], BilledLine] = {}
    for line in lines:
        key = tuple(getattr(line, k) for k in _KEY)
        prev = merged.get(key)
        if prev is None:
            merged[key] = line
            continue
        cost = None if prev.cost_usd is None and line.cost_usd is None else (prev.cost_usd or 0) + (line.cost_usd or 0)
        qty = None if prev.quantity is None and line.quantity is None else (prev.quantity or 0) + (line.quantity or 0)
        merged[key] = prev.model_copy(
            update={
                "cost_usd": cost,
                "quantity": qty,
                **{
                    f: getattr(prev, f) + getattr(line, f)
                    for f in (
                        "input_tokens",
                        "cache_read_tokens",
                        "cache_write_tokens",
                        "cache_write_1h_tokens",
                        "output_tokens",
                        "requests",
                    )
                },
            }
        )
    return list(merged.values())


def _line_from_row(r: dict[str, Any]) -> StoredBilledLine:
    return StoredBilledLine(
        id=r["id"],
        provider=r["provider"],
        account=r["account"],
        stream=r["stream"],
        kind=r["kind"],
        day=date.fromisoformat(r["day"]),
        model=r["model"],
        line_item=r["line_item"],
        project=r["project"],
        api_key=r["api_key"],
        cost_usd=None if r["cost_nusd"] is None else from_nusd(r["cost_nusd"]),
        currency=r["currency"],
        input_tokens=r["input_tokens"],
        cache_read_tokens=r["cache_read_tokens"],
        cache_write_tokens=r["cache_write_tokens"],
        cache_write_1h_tokens=r["cache_write_1h_tokens"],
        output_tokens=r["output_tokens"],
        requests=r["requests"],
        quantity=_dec(r["quantity"]),
        quantity_unit=r["quantity_unit"],
        note=r["note"],
        updated_at=datetime.fromisoformat(r["updated_at"]),
    )


def _where(
    provider: str | None,
    account: str | None,
    kinds: Sequence[str] | None,
    start: date | None,
    end: date | None,
    streams: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    provider = _provider(provider)
    clauses: list[str] = []
    params: list[Any] = []
    if provider:
        clauses.append("provider = ?")
        params.append(provider)
    if account:
        clauses.append("account = ?")
        params.append(account)
    for column, values in (("kind", kinds), ("stream", streams)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if start:
        clauses.append("day >= ?")
        params.append(start.isoformat())
    if end:
        clauses.append("day <= ?")
        params.append(end.isoformat())
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


@dataclass
class BilledSummary:
    cost_usd: Decimal = Decimal(0)
    by_provider: dict[str, Decimal] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None
    manual_usd: Decimal = Decimal(0)
    unknown_days: int = 0
    """Days with a money line whose cost the provider could not tell (NULL): not $0, unknown."""


# --------------------------------------------------------------------------- quotas


def _same(a: dict[str, Any], snap: QuotaSnapshot) -> bool:
    return (
        a["used"] == _dec_text(snap.used)
        and a["limit_value"] == _dec_text(snap.limit)
        and a["remaining"] == _dec_text(snap.remaining)
        and a["unit"] == snap.unit
    )


HISTORY_EVERY = timedelta(hours=1)
"""An unchanged quota is written to history at most once an hour (a changed one always)."""


def _quota_from_row(r: dict[str, Any]) -> QuotaSnapshot:
    return QuotaSnapshot(
        provider=r["provider"],
        account=r["account"],
        kind=r["kind"],
        scope=r["scope"],
        used=_dec(r["used"]),
        limit=_dec(r["limit_value"]),
        remaining=_dec(r["remaining"]),
        unit=r["unit"],
        window=r.get("window"),
        resets_at=_ts(r.get("resets_at")),
        taken_at=datetime.fromisoformat(r["taken_at"]),
        source=r.get("source") or "api",
        detail=r.get("detail"),
    )


# --------------------------------------------------------------------------- manual costs


def _spread(entry: ManualCost) -> list[BilledLine]:
    """One ``manual`` line per day; the cents that do not divide evenly go to the last day."""
    assert entry.id is not None
    n = entry.days
    per_day = (entry.amount_usd / n).quantize(Decimal("0.000000001"), rounding=ROUND_DOWN)
    tin_day, tout_day = entry.input_tokens // n, entry.output_tokens // n
    lines = []
    for i in range(n):
        last = i == n - 1
        lines.append(
            BilledLine(
                provider=entry.provider,
                account=entry.account,
                stream="manual",
                kind="manual",
                day=entry.start + timedelta(days=i),
                line_item=f"manual#{entry.id}",
                cost_usd=entry.amount_usd - per_day * (n - 1) if last else per_day,
                input_tokens=entry.input_tokens - tin_day * (n - 1) if last else tin_day,
                output_tokens=entry.output_tokens - tout_day * (n - 1) if last else tout_day,
                note=entry.note,
            )
        )
    return lines


def _manual_from_row(r: dict[str, Any]) -> ManualCost:
    return ManualCost(
        id=r["id"],
        provider=r["provider"],
        account=r["account"],
        start=date.fromisoformat(r["start_day"]),
        end=date.fromisoformat(r["end_day"]),
        amount_usd=Decimal(r["amount"]),
        input_tokens=r["input_tokens"],
        output_tokens=r["output_tokens"],
        note=r["note"],
        created_at=_ts(r["created_at"]),
    )


def _check_manual(entry: ManualCost) -> None:
    if entry.end < entry.start:
        raise ValueError("the end date is before the start date")
    if entry.days > 3660:
        raise ValueError("a manual cost may span at most 10 years")


def _manual_columns(entry: ManualCost) -> tuple[Any, ...]:
    """provider, account, start_day, end_day, amount, input_tokens, output_tokens, note."""
    return (
        entry.provider,
        entry.account,
        entry.start.isoformat(),
        entry.end.isoformat(),
        str(entry.amount_usd),
        entry.input_tokens,
        entry.output_tokens,
        entry.note,
    )


_R = TypeVar("_R", Account, BilledLine, BilledWindow, ManualCost, QuotaSnapshot)


def canonical(record: _R) -> _R:
    """The record under its provider's canonical id: every write of this plane goes through it,
    so billed rows, quotas, manual costs and accounts meet the metered events of that provider."""
    pid = canonical_provider(record.provider)
    return record if pid == record.provider else record.model_copy(update={"provider": pid})


def _provider(name: str | None) -> str | None:
    """A provider filter, in the spelling rows are stored under."""
    return canonical_provider(name) if name else None


# --------------------------------------------------------------------------- the API: ``store.billing``


class BillingStore:
    """The billed and limits planes of one :class:`Store`, reached as ``store.billing``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ accounts

    def add_account(self, account: Account) -> Account:
        account = canonical(account)
        now = _iso(_now())
        with self.store.transaction() as conn:
            exists = conn.execute(
                "SELECT 1 FROM accounts WHERE provider = ? AND name = ?", (account.provider, account.name)
            ).fetchone()
            if exists:
                raise AccountExists(
                    f"an account {account.label} already exists; pick another --name or remove it first"
                )
            cur = conn.execute(
                "INSERT INTO accounts (provider, name, key_kind, base_url, enabled, key_fp, options, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    account.provider,
                    account.name,
                    account.key_kind,
                    account.base_url,
                    int(account.enabled),
                    account.key_fp,
                    json.dumps(account.options) if account.options else None,
                    now,
                    now,
                ),
            )
            new_id = cur.lastrowid
        return self.get_account_by_id(int(new_id))  # type: ignore[arg-type]

    def get_account_by_id(self, account_id: int) -> Account:
        rows = self.store.query("SELECT * FROM accounts WHERE id = ?", [account_id])
        if not rows:
            raise AccountNotFound(f"no account #{account_id}")
        return _account_from_row(rows[0])

    def find_account(self, provider: str, name: str | None = None) -> Account:
        """The account ``provider/name``; with no name, the provider's only account (or ``default``)."""
        provider = canonical_provider(provider)
        if name:
            rows = self.store.query("SELECT * FROM accounts WHERE provider = ? AND name = ?", [provider, name])
        else:
            rows = self.store.query(
                "SELECT * FROM accounts WHERE provider = ? ORDER BY name = 'default' DESC, id", [provider]
            )
            if len(rows) > 1 and rows[0]["name"] != "default":
                names = ", ".join(r["name"] for r in rows)
                raise AccountNotFound(f"{provider} has several accounts ({names}); pass --name")
        if not rows:
            label = f"{provider}/{name}" if name else provider
            raise AccountNotFound(f"no account {label}; see `costtui keys list`")
        return _account_from_row(rows[0])

    def list_accounts(self, provider: str | None = None, *, enabled_only: bool = False) -> list[Account]:
        provider = _provider(provider)
        clauses, params = [], []
        if provider:
            clauses.append("provider = ?")
            params.append(provider)
        if enabled_only:
            clauses.append("enabled = 1")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return [
            _account_from_row(r)
            for r in self.store.query(f"SELECT * FROM accounts {where} ORDER BY provider, name", params)
        ]

    def update_account(self, account_id: int, **changes: Any) -> Account:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if changes:
            values = []
            for k, v in changes.items():
                if k == "options":
                    v = json.dumps(v) if v else None
                elif k == "enabled":
                    v = int(bool(v))
                values.append(v)
            sets = ", ".join(f"{k} = ?" for k in changes)
            with self.store.transaction() as conn:
                n = conn.execute(
                    f"UPDATE accounts SET {sets}, updated_at = ? WHERE id = ?", [*values, _iso(_now()), account_id]
                ).rowcount
            if not n:
                raise AccountNotFound(f"no account #{account_id}")
        return self.get_account_by_id(account_id)

    def remove_account(self, account_id: int, *, purge: bool = False) -> None:
        """Delete an account; with ``purge`` also its billed rows and quotas (else history stays)."""
        account = self.get_account_by_id(account_id)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM account_sync WHERE account_id = ?", (account_id,))
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            conn.execute(
                "DELETE FROM quota_latest WHERE provider = ? AND account = ?", (account.provider, account.name)
            )
            if purge:
                for table in ("billed_costs", "quota_history"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE provider = ? AND account = ?", (account.provider, account.name)
                    )

    # ------------------------------------------------------------------ health

    def mark_attempt(self, account_id: int, plane: str, now: datetime | None = None) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO account_sync (account_id, plane, last_attempt_at) VALUES (?,?,?) "
                "ON CONFLICT (account_id, plane) DO UPDATE SET last_attempt_at = excluded.last_attempt_at",
                (account_id, plane, _iso(now or _now())),
            )

    def mark_success(
        self, account_id: int, plane: str, *, synced_through: date | None = None, now: datetime | None = None
    ) -> None:
        ts = _iso(now or _now())
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO account_sync (account_id, plane, last_attempt_at, last_success_at, synced_through)"
                " VALUES (?,?,?,?,?) ON CONFLICT (account_id, plane) DO UPDATE SET"
                " last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at,"
                " last_error = NULL, last_error_at = NULL,"
                " synced_through = COALESCE(excluded.synced_through, account_sync.synced_through)",
                (account_id, plane, ts, ts, synced_through.isoformat() if synced_through else None),
            )

    def mark_error(self, account_id: int, plane: str, message: str, now: datetime | None = None) -> None:
        ts = _iso(now or _now())
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO account_sync (account_id, plane, last_attempt_at, last_error, last_error_at)"
                " VALUES (?,?,?,?,?) ON CONFLICT (account_id, plane) DO UPDATE SET"
                " last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error,"
                " last_error_at = excluded.last_error_at",
                # Provider error text is kept, with control characters made visible (never raw).
                (account_id, plane, ts, neutralise(message)[:1000], ts),
            )

    def synced_through(self, account_id: int, plane: str = "usage") -> date | None:
        """The last UTC day a sync of ``plane`` covered completely (None before the first one)."""
        value = self.store.scalar(
            "SELECT synced_through FROM account_sync WHERE account_id = ? AND plane = ?", [account_id, plane]
        )
        return date.fromisoformat(value) if value else None

    def plane_sync(self, account_id: int) -> dict[str, dict[str, Any]]:
        """Per plane ("usage", "quota"): last attempt, success and error of the account's syncs."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.store.query("SELECT * FROM account_sync WHERE account_id = ? ORDER BY plane", [account_id]):
            out[r["plane"]] = {
                "last_attempt_at": _ts(r["last_attempt_at"]),
                "last_success_at": _ts(r["last_success_at"]),
                "last_error": r["last_error"],
                "last_error_at": _ts(r["last_error_at"]),
                "synced_through": date.fromisoformat(r["synced_through"]) if r["synced_through"] else None,
            }
        return out

    def account_health(
        self,
        account: Account,
        *,
        now: datetime | None = None,
        usage_interval: timedelta = timedelta(hours=1),
        quota_interval: timedelta = timedelta(minutes=5),
    ) -> AccountHealth:
        """ok / stale / error / never / disabled, worst of the two planes.

        error: the latest attempt failed. stale: the last success is older than three intervals.
        """
        assert account.id is not None
        now = now or _now()
        if not account.enabled:
            base = AccountHealth(account_id=account.id, health="disabled")
        else:
            base = AccountHealth(account_id=account.id)
        rows = {
            r["plane"]: r for r in self.store.query("SELECT * FROM account_sync WHERE account_id = ?", [account.id])
        }
        if not rows:
            return base
        worst = "ok"
        last_success: datetime | None = None
        last_attempt: datetime | None = None
        last_error, last_error_at = None, None
        for plane, r in rows.items():
            interval = usage_interval if plane == "usage" else quota_interval
            success, error_at = _ts(r["last_success_at"]), _ts(r["last_error_at"])
            attempt = _ts(r["last_attempt_at"])
            if error_at and (success is None or error_at >= success):
                state = "error"
                if last_error_at is None or error_at > last_error_at:
                    last_error, last_error_at = r["last_error"], error_at
            elif success is None:
                state = "never"
            elif now - success > 3 * interval:
                state = "stale"
            else:
                state = "ok"
            if HEALTH_ORDER[state] < HEALTH_ORDER[worst]:
                worst = state
            if success and (last_success is None or success > last_success):
                last_success = success
            if attempt and (last_attempt is None or attempt > last_attempt):
                last_attempt = attempt
        usage = rows.get("usage")
        through = date.fromisoformat(usage["synced_through"]) if usage and usage["synced_through"] else None
        return AccountHealth(
            account_id=account.id,
            health="disabled" if not account.enabled else worst,  # type: ignore[arg-type]
            last_attempt_at=last_attempt,
            last_success_at=last_success,
            last_error=last_error,
            last_error_at=last_error_at,
            usage_synced_through=through,
        )

    # ------------------------------------------------------------------ billed lines

    def record_billed(
        self, lines: Iterable[BilledLine], windows: Sequence[BilledWindow] = (), *, now: datetime | None = None
    ) -> BilledResult:
        """Upsert billed/usage lines in one transaction; the one write path of the billed plane.

        Same input twice → same rows (and the same ``updated_at``). With ``windows``, rows of that
        stream inside the window that are absent from ``lines`` are deleted: the window was re-read
        completely, so the provider's current answer replaces the old one.
        """
        batch = _merge(canonical(line) for line in lines)
        windows = [canonical(w) for w in windows]
        stamp = _iso(now or _now()) or ""
        result = BilledResult()
        with self.store.transaction() as conn:
            for w in windows:
                keep = {
                    tuple(getattr(line, k) if k != "day" else line.day.isoformat() for k in _KEY)
                    for line in batch
                    if (line.provider, line.account, line.stream) == (w.provider, w.account, w.stream)
                }
                rows = conn.execute(
                    f"SELECT id, {', '.join(_KEY)} FROM billed_costs WHERE provider = ? AND account = ? AND stream = ?"
                    " AND day >= ? AND day <= ?",
                    (w.provider, w.account, w.stream, w.start.isoformat(), w.end.isoformat()),
                ).fetchall()
                stale = [(r[0],) for r in rows if tuple(r[1:]) not in keep]
                if stale:
                    conn.executemany("DELETE FROM billed_costs WHERE id = ?", stale)
                    result.deleted += len(stale)
            for line in batch:
                n = conn.execute(_UPSERT_SQL, _line_row(line, stamp)).rowcount
                if n:
                    result.written += 1
                else:
                    result.unchanged += 1
        return result

    def billed_lines(
        self,
        *,
        provider: str | None = None,
        account: str | None = None,
        kinds: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        streams: Sequence[str] | None = None,
    ) -> list[StoredBilledLine]:
        clauses, params = _where(provider, account, kinds, start, end, streams)
        rows = self.store.query(
            f"SELECT * FROM billed_costs {clauses} ORDER BY day, provider, account, stream, model, line_item, project, api_key",
            params,
        )
        return [_line_from_row(r) for r in rows]

    def billed_summary(self, start: date | None = None, end: date | None = None) -> BilledSummary:
        """Money owed according to providers (plus manual entries), by provider, and the days covered."""
        where, params = _where(None, None, MONEY_KINDS, start, end)
        rows = self.store.query(
            f"SELECT provider, kind, SUM(cost_nusd) AS nusd, MIN(day) AS lo, MAX(day) AS hi FROM billed_costs {where}"
            " GROUP BY provider, kind ORDER BY provider",
            params,
        )
        out = BilledSummary()
        for r in rows:
            amount = from_nusd(r["nusd"])
            out.cost_usd += amount
            out.by_provider[r["provider"]] = out.by_provider.get(r["provider"], Decimal(0)) + amount
            if r["kind"] == "manual":
                out.manual_usd += amount
            lo, hi = date.fromisoformat(r["lo"]), date.fromisoformat(r["hi"])
            out.first_day = lo if out.first_day is None else min(out.first_day, lo)
            out.last_day = hi if out.last_day is None else max(out.last_day, hi)
        out.unknown_days = int(
            self.store.scalar(f"SELECT COUNT(DISTINCT day) FROM billed_costs {where} AND cost_nusd IS NULL", params)
            or 0
        )
        return out

    def billed_by_day(self, start: date, end: date, provider: str | None = None) -> dict[date, Decimal | None]:
        """Money owed per day; None for a day whose only lines have an unknown cost (absent: nothing billed)."""
        where, params = _where(provider, None, MONEY_KINDS, start, end)
        rows = self.store.query(
            f"SELECT day, SUM(cost_nusd) AS nusd FROM billed_costs {where} GROUP BY day ORDER BY day", params
        )
        return {date.fromisoformat(r["day"]): None if r["nusd"] is None else from_nusd(r["nusd"]) for r in rows}

    # ------------------------------------------------------------------ quotas

    def record_quotas(self, snapshots: Iterable[QuotaSnapshot]) -> int:
        """Upsert the latest value of each limit and append to its history; returns snapshots stored.

        Recording the same snapshots twice leaves the same rows (history is keyed by ``taken_at``).
        """
        n = 0
        with self.store.transaction() as conn:
            for s in map(canonical, snapshots):
                key = (s.provider, s.account, s.kind, s.scope)
                prev = conn.execute(
                    "SELECT used, limit_value, remaining, unit, taken_at FROM quota_latest"
                    " WHERE provider = ? AND account = ? AND kind = ? AND scope = ?",
                    key,
                ).fetchone()
                prev_d = (
                    dict(zip(("used", "limit_value", "remaining", "unit", "taken_at"), prev, strict=True))
                    if prev
                    else None
                )
                if prev_d and datetime.fromisoformat(prev_d["taken_at"]) > s.taken_at:
                    continue  # an older snapshot (e.g. a slow probe) never overwrites a newer one
                conn.execute(
                    "INSERT INTO quota_latest (provider, account, kind, scope, used, limit_value, remaining, unit, window,"
                    " resets_at, taken_at, source, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (provider, account, kind, scope) DO UPDATE SET used = excluded.used,"
                    " limit_value = excluded.limit_value, remaining = excluded.remaining, unit = excluded.unit,"
                    " window = excluded.window, resets_at = excluded.resets_at, taken_at = excluded.taken_at,"
                    " source = excluded.source, detail = excluded.detail",
                    (
                        *key,
                        _dec_text(s.used),
                        _dec_text(s.limit),
                        _dec_text(s.remaining),
                        s.unit,
                        s.window,
                        _iso(s.resets_at),
                        _iso(s.taken_at),
                        s.source,
                        s.detail,
                    ),
                )
                last_hist = conn.execute(
                    "SELECT MAX(taken_at) FROM quota_history WHERE provider = ? AND account = ? AND kind = ? AND scope = ?",
                    key,
                ).fetchone()[0]
                changed = prev_d is None or not _same(prev_d, s)
                due = last_hist is None or s.taken_at - datetime.fromisoformat(last_hist) >= HISTORY_EVERY
                if changed or due:
                    conn.execute(
                        "INSERT OR IGNORE INTO quota_history (provider, account, kind, scope, taken_at, used, limit_value,"
                        " remaining, unit) VALUES (?,?,?,?,?,?,?,?,?)",
                        (*key, _iso(s.taken_at), _dec_text(s.used), _dec_text(s.limit), _dec_text(s.remaining), s.unit),
                    )
                n += 1
        return n

    def latest_quotas(self, provider: str | None = None, account: str | None = None) -> list[QuotaSnapshot]:
        provider = _provider(provider)
        clauses, params = [], []
        if provider:
            clauses.append("provider = ?")
            params.append(provider)
        if account:
            clauses.append("account = ?")
            params.append(account)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.store.query(f"SELECT * FROM quota_latest {where} ORDER BY provider, account, kind, scope", params)
        return [_quota_from_row(r) for r in rows]

    def projects_and_models(self, provider: str, account: str, since: date) -> dict[str, set[str]]:
        """Projects with usage rows since ``since`` and the models each used (OpenAI rate limits are per project)."""
        rows = self.store.query(
            "SELECT DISTINCT project, model FROM billed_costs WHERE provider = ? AND account = ? AND kind = 'usage'"
            " AND day >= ? AND project != ''",
            [provider, account, since.isoformat()],
        )
        out: dict[str, set[str]] = {}
        for r in rows:
            models = out.setdefault(r["project"], set())
            if r["model"]:
                models.add(r["model"])
        return out

    def newest_quota_time(self, provider: str, account: str, kind_prefix: str) -> datetime | None:
        """When a limit whose kind starts with ``kind_prefix`` was last refreshed for the account."""
        newest = self.store.scalar(
            "SELECT MAX(taken_at) FROM quota_latest WHERE provider = ? AND account = ? AND kind LIKE ? ESCAPE '\\'",
            [provider, account, kind_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"],
        )
        return None if newest is None else datetime.fromisoformat(newest)

    def quota_history(
        self, provider: str, account: str, kind: str, scope: str = "", since: datetime | None = None
    ) -> list[QuotaSnapshot]:
        params: list[Any] = [canonical_provider(provider), account, kind, scope]
        extra = ""
        if since:
            extra = " AND taken_at >= ?"
            params.append(_iso(since))
        rows = self.store.query(
            "SELECT * FROM quota_history WHERE provider = ? AND account = ? AND kind = ? AND scope = ?"
            f"{extra} ORDER BY taken_at",
            params,
        )
        return [_quota_from_row(r) for r in rows]

    # ------------------------------------------------------------------ manual costs

    def add_manual_cost(self, entry: ManualCost) -> ManualCost:
        entry = canonical(entry)
        _check_manual(entry)
        now = _iso(_now())
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO manual_costs (provider, account, start_day, end_day, amount, input_tokens, output_tokens,"
                " note, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*_manual_columns(entry), now, now),
            )
            saved = entry.model_copy(update={"id": cur.lastrowid})
            for line in _spread(saved):
                conn.execute(_UPSERT_SQL, _line_row(line, now or ""))
        return saved

    def get_manual_cost(self, entry_id: int) -> ManualCost:
        rows = self.store.query("SELECT * FROM manual_costs WHERE id = ?", [entry_id])
        if not rows:
            raise StoreError(f"no manual cost #{entry_id}; see `costtui costs list`")
        return _manual_from_row(rows[0])

    def list_manual_costs(self, provider: str | None = None) -> list[ManualCost]:
        if provider:
            rows = self.store.query(
                "SELECT * FROM manual_costs WHERE provider = ? ORDER BY start_day, id", [canonical_provider(provider)]
            )
        else:
            rows = self.store.query("SELECT * FROM manual_costs ORDER BY start_day, id")
        return [_manual_from_row(r) for r in rows]

    def update_manual_cost(self, entry: ManualCost) -> ManualCost:
        assert entry.id is not None
        self.get_manual_cost(entry.id)
        entry = canonical(entry)
        _check_manual(entry)
        now = _iso(_now())
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE manual_costs SET provider = ?, account = ?, start_day = ?, end_day = ?, amount = ?,"
                " input_tokens = ?, output_tokens = ?, note = ?, updated_at = ? WHERE id = ?",
                (*_manual_columns(entry), now, entry.id),
            )
            conn.execute("DELETE FROM billed_costs WHERE stream = 'manual' AND line_item = ?", (f"manual#{entry.id}",))
            for line in _spread(entry):
                conn.execute(_UPSERT_SQL, _line_row(line, now or ""))
        return entry

    def delete_manual_cost(self, entry_id: int) -> None:
        self.get_manual_cost(entry_id)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM manual_costs WHERE id = ?", (entry_id,))
            conn.execute("DELETE FROM billed_costs WHERE stream = 'manual' AND line_item = ?", (f"manual#{entry_id}",))
