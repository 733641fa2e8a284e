"""Period reports (spend broken down by one dimension) and receipts (line items that add up).

Reports read the daily rollups (``store.by_dimension`` and ``store.totals``), so a report's total
is the store's total for the period by construction, and a month of a million events costs a few
small queries. Receipts itemise each model's tokens × unit price (per million tokens, from
pricing.py) = amount; when the recorded cost of a model differs from that product (a client that
sent its own cost, long-context tiers, a price change inside the period) a per-model adjustment
line says so, so the lines always add up to the recorded total.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import GroupTotals, StoredEvent, Totals, UsageEvent, decimal_str

if TYPE_CHECKING:
    from costtui.store import EventStore

BREAKDOWNS: dict[str, str] = {
    "provider": "provider",
    "model": "model",
    "app": "app",
    "user": "user",
    "team": "team",
    "project": "project",
    "key": "api_key_fp",
}
"""What a report can be broken down by (the user's word → the store's dimension)."""
PERIOD_WORDS = ("day", "yesterday", "week", "last-week", "month", "last-month")
MILLION = Decimal(1_000_000)


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    """Inclusive (UTC days)."""
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        span = self.start.isoformat() if self.start == self.end else f"{self.start.isoformat()}..{self.end.isoformat()}"
        return span if self.label == span else f"{self.label} ({span})"


def parse_period(text: str, today: date) -> Period:
    """``day``, ``yesterday``, ``week`` (Monday to today), ``last-week``, ``month`` (the 1st to
    today), ``last-month``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``FROM..TO`` (inclusive)."""
    value = text.strip().lower()
    if value == "day":
        return Period(today, today, "today")
    if value == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day, "yesterday")
    if value == "week":
        return Period(today - timedelta(days=today.weekday()), today, "this week")
    if value == "last-week":
        start = today - timedelta(days=today.weekday() + 7)
        return Period(start, start + timedelta(days=6), "last week")
    if value == "month":
        return Period(today.replace(day=1), today, today.strftime("%B %Y"))
    if value == "last-month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, end.strftime("%B %Y"))
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            first = date.fromisoformat(value + "-01")
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            return Period(first, last, first.strftime("%B %Y"))
        if ".." in value:
            lo_text, hi_text = value.split("..", 1)
            lo, hi = date.fromisoformat(lo_text.strip()), date.fromisoformat(hi_text.strip())
            if hi < lo:
                raise PeriodError(f"{text!r}: the end is before the start")
            return Period(lo, hi, f"{lo.isoformat()}..{hi.isoformat()}")
        day = date.fromisoformat(value)
        return Period(day, day, day.isoformat())
    except PeriodError:
        raise
    except ValueError:
        pass
    raise PeriodError(
        f"{text!r} is not a period; use {', '.join(PERIOD_WORDS)}, YYYY-MM, YYYY-MM-DD or FROM..TO (YYYY-MM-DD..YYYY-MM-DD)"
    )


# ---------------------------------------------------------------------- reports

REPORT_COLUMNS = (
    "name",
    "events",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "cost_usd",
    "share_pct",
    "unpriced_events",
    "errors",
)


@dataclass(frozen=True)
class Report:
    period: Period
    by: str
    rows: list[GroupTotals]
    total: Totals
    generated_at: datetime

    def share(self, row: Totals) -> Decimal | None:
        if self.total.cost_usd <= 0:
            return None
        return (row.cost_usd / self.total.cost_usd * 100).quantize(Decimal("0.1"))

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per row, then the total (name "TOTAL"): what csv and json write."""
        out = []
        for row in [*self.rows, None]:
            t = self.total if row is None else row
            name = "TOTAL" if row is None else (row.name or f"(no {self.by})")
            share = self.share(t)
            out.append(
                {
                    "name": name,
                    "events": t.events,
                    "input_tokens": t.input_tokens,
                    "cache_read_tokens": t.cache_read_tokens,
                    "cache_write_tokens": t.cache_write_tokens,
                    "output_tokens": t.output_tokens,
                    "cost_usd": t.cost_usd,
                    "share_pct": share,
                    "unpriced_events": t.unpriced_events,
                    "errors": t.errors,
                }
            )
        return out

    def as_json(self) -> dict[str, Any]:
        def plain(record: dict[str, Any]) -> dict[str, Any]:
            return {k: decimal_str(v) if isinstance(v, Decimal) else v for k, v in record.items()}

        records = [plain(r) for r in self.records()]
        return {
            "period": {
                "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat(),
                "label": self.period.label,
            },
            "by": self.by,
            "generated_at": self.generated_at.isoformat(),
            "day_boundary": "UTC",
            "rows": records[:-1],
            "total": records[-1],
        }


def period_report(store: EventStore, period: Period, by: str, now: datetime | None = None) -> Report:
    """Spend over ``period`` by ``by`` (one of :data:`BREAKDOWNS`), most expensive first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}; choose from {', '.join(BREAKDOWNS)}")
    rows = store.by_dimension(BREAKDOWNS[by], period.start, period.end)
    return Report(
        period=period,
        by=by,
        rows=rows,
        total=store.totals(period.start, period.end),
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
    )


# ---------------------------------------------------------------------- receipts

TOKEN_KINDS = (
    ("input", "input_tokens", "input_per_mtok"),
    ("cache read", "cache_read_tokens", "cache_read_per_mtok"),
    ("cache write", "cache_write_tokens", "cache_write_per_mtok"),
    ("output", "output_tokens", "output_per_mtok"),
)
"""(line item, token count field, PriceInfo field) for each kind of token a receipt itemises."""


@dataclass(frozen=True)
class ReceiptLine:
    provider: str
    model: str
    item: str
    """``input``, ``cache read``, ``cache write``, ``output`` or ``adjustment``."""
    tokens: int
    unit_price: Decimal | None
    """USD per million tokens; None when the model has no price (or on an adjustment line)."""
    amount: Decimal | None
    """tokens × unit price / 1M; None when unpriced."""


@dataclass
class Receipt:
    title: str
    period: Period
    account: str
    lines: list[ReceiptLine] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    reference: str = ""
    """The event id for a one-request receipt."""
    unpriced_models: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount is not None), Decimal(0))

    def subtotals(self) -> dict[tuple[str, str], Decimal]:
        out: dict[tuple[str, str], Decimal] = {}
        for line in self.lines:
            if line.amount is not None:
                key = (line.provider, line.model)
                out[key] = out.get(key, Decimal(0)) + line.amount
        return out

    def as_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else decimal_str(value)

        return {
            "title": self.title,
            "reference": self.reference,
            "account": self.account,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "generated_at": self.generated_at.isoformat(),
            "lines": [
                {
                    "provider": li.provider,
                    "model": li.model,
                    "item": li.item,
                    "tokens": li.tokens,
                    "unit_price_per_mtok": text(li.unit_price),
                    "amount_usd": text(li.amount),
                }
                for li in self.lines
            ],
            "total_usd": text(self.total),
            "unpriced_models": self.unpriced_models,
        }


PROBE_TOKENS = 10_000
"""Tokens priced to find a unit price: below every long-context tier (which start at 128k-200k
input tokens), so the unit price is the ordinary one."""


def unit_price(store: EventStore, provider: str, model: str, count_field: str, on: date) -> Decimal | None:
    """USD per million tokens of one kind (input, cache read, cache write, output) on a day, as the
    store's pricer (overrides first, then genai-prices) would charge it; None when unpriced."""
    probe = UsageEvent.model_validate(
        {
            "event_id": "receipt-unit-price",
            "ts": datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
            "provider": provider,
            "model": model,
            count_field: PROBE_TOKENS,
        }
    )
    cost = store.pricer.price(probe, keep_client_cost=False).cost_usd
    return None if cost is None else (cost * MILLION / PROBE_TOKENS).normalize()


def _model_lines(
    store: EventStore, provider: str, model: str, counts: dict[str, int], recorded: Decimal | None, on: date
) -> list[ReceiptLine]:
    from costtui.pricing import quantize  # the price engine loads only when a receipt is made

    lines = []
    for item, count_field, _ in TOKEN_KINDS:
        n = counts.get(count_field, 0)
        if not n:
            continue
        price = unit_price(store, provider, model, count_field, on)
        amount = quantize(Decimal(n) * price / MILLION) if price is not None else None
        lines.append(ReceiptLine(provider, model, item, n, price, amount))
    if recorded is not None:
        itemised = sum((li.amount for li in lines if li.amount is not None), Decimal(0))
        if recorded != itemised:
            # Recorded cost is what the totals everywhere else use: the difference is shown, not hidden.
            lines.append(ReceiptLine(provider, model, "adjustment", 0, None, recorded - itemised))
    return lines


def period_receipt(
    store: EventStore,
    period: Period,
    *,
    provider: str | None = None,
    model: str | None = None,
    account: str | None = None,
    now: datetime | None = None,
) -> Receipt:
    """A receipt for the metered usage of a period, per model (optionally one provider or model)."""
    usage = store.reports.usage_by_model(period.start, period.end, provider)
    if model is not None:
        usage = [u for u in usage if u.model == model]
    receipt = Receipt(
        title="Receipt: AI API usage",
        period=period,
        account=account or _accounts_text(store, {u.provider for u in usage}),
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
    )
    for u in usage:
        counts = {
            "input_tokens": u.input_tokens,
            "cache_read_tokens": u.cache_read_tokens,
            "cache_write_tokens": u.cache_write_tokens,
            "output_tokens": u.output_tokens,
        }
        # Unpriced events are not in the recorded cost; a model with none priced has no amount.
        recorded = u.cost_usd if u.unpriced_events < u.events else None
        lines = _model_lines(store, u.provider, u.model, counts, recorded, period.end)
        if recorded is None or any(li.amount is None for li in lines):
            receipt.unpriced_models.append(f"{u.provider}/{u.model}")
        receipt.lines.extend(lines)
    return receipt


def event_receipt(
    store: EventStore, event: StoredEvent, *, account: str | None = None, now: datetime | None = None
) -> Receipt:
    """A receipt for one request."""
    day = event.ts.astimezone(UTC).date()
    who = account or ", ".join(
        part
        for part in (event.app and f"app {event.app}", event.user and f"user {event.user}", event.api_key_fp)
        if part
    )
    receipt = Receipt(
        title="Receipt: one AI API request",
        period=Period(day, day, day.isoformat()),
        account=who or "metered usage",
        reference=event.event_id or f"#{event.row_id}",
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
    )
    counts = {
        "input_tokens": event.input_tokens,
        "cache_read_tokens": event.cache_read_tokens,
        "cache_write_tokens": event.cache_write_tokens,
        "output_tokens": event.output_tokens,
    }
    receipt.lines = _model_lines(store, event.provider, event.model, counts, event.cost_usd, day)
    if event.cost_usd is None:
        receipt.unpriced_models.append(f"{event.provider}/{event.model}")
    return receipt


def _accounts_text(store: EventStore, providers: set[str]) -> str:
    names = sorted(
        f"{a.provider}/{a.name}" for a in store.billing.list_accounts() if a.provider in providers and not a.is_demo
    )
    return ", ".join(names) if names else f"metered usage ({store.path.name})"
