"""Does the bill match what was measured? Billed cost (provider cost APIs and manual entries) beside
metered cost (listener, proxy, imports) per day, provider and model.

Rules, so that the numbers can be trusted:

- Only money counts on the billed side: lines of kind ``cost`` and ``manual`` (``usage`` lines are
  token counts, ``estimate`` lines are guesses).
- A side with no data for a cell is *missing* (None), never $0: a day the provider has not
  reported yet is not a day it billed nothing. A billed cell whose every line has an unknown
  amount is missing too.
- ``difference`` is billed − metered: positive when the provider billed more than was measured
  (usage that did not go through costtui, or prices that differ); ``drift`` is that difference
  as a fraction of the billed amount. Both are None when either side is missing.
- Providers report models under their own names (dated snapshots, or no model at all on OpenAI's
  Costs API, which itemises by line item), so per-model rows may not pair up; the per-provider
  day totals always compare like with like. Providers seen on only one plane over the whole
  range are listed apart instead of filling the table with missing cells.
- Unpriced tokens are metered tokens that have no price (not in the metered cost): a reason for
  the bill to be higher than the measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import decimal_str

if TYPE_CHECKING:
    from costtui.store import EventStore
    from costtui.store.reports import BilledCell, MeteredCell


@dataclass(frozen=True)
class ReconcileRow:
    day: date
    provider: str
    model: str | None
    """None on a provider's day total."""
    billed: Decimal | None
    metered: Decimal | None
    unpriced_tokens: int = 0
    unpriced_events: int = 0
    events: int = 0

    @property
    def difference(self) -> Decimal | None:
        if self.billed is None or self.metered is None:
            return None
        return self.billed - self.metered

    @property
    def drift(self) -> Decimal | None:
        """(billed − metered) / billed; None when either side is missing or nothing was billed."""
        diff = self.difference
        if diff is None or self.billed is None or self.billed == 0:
            return None
        return diff / self.billed

    def as_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else decimal_str(value)

        drift = self.drift
        return {
            "day": self.day.isoformat(),
            "provider": self.provider,
            "model": self.model,
            "billed_usd": text(self.billed),
            "metered_usd": text(self.metered),
            "difference_usd": text(self.difference),
            "drift_pct": None if drift is None else decimal_str((drift * 100).quantize(Decimal("0.01"))),
            "unpriced_tokens": self.unpriced_tokens,
            "unpriced_events": self.unpriced_events,
            "events": self.events,
        }


@dataclass
class Reconciliation:
    start: date
    end: date
    days: list[ReconcileRow] = field(default_factory=list)
    """One row per (day, provider): the day's totals on both planes."""
    models: list[ReconcileRow] = field(default_factory=list)
    """One row per (day, provider, model) with data on either plane."""
    metered_only: list[str] = field(default_factory=list)
    """Providers with metered usage but no billed data in the range (no billing account, say)."""
    billed_only: list[str] = field(default_factory=list)
    """Providers billed in the range with nothing metered."""

    def total(self) -> ReconcileRow:
        """The whole range over the compared providers (each side summed over the days it has)."""
        billed = [r.billed for r in self.days if r.billed is not None]
        metered = [r.metered for r in self.days if r.metered is not None]
        return ReconcileRow(
            day=self.start,
            provider="",
            model=None,
            billed=sum(billed, Decimal(0)) if billed else None,
            metered=sum(metered, Decimal(0)) if metered else None,
            unpriced_tokens=sum(r.unpriced_tokens for r in self.days),
            unpriced_events=sum(r.unpriced_events for r in self.days),
            events=sum(r.events for r in self.days),
        )

    @property
    def missing_days(self) -> int:
        return sum(1 for r in self.days if r.billed is None or r.metered is None)

    def as_json(self) -> dict[str, Any]:
        total = self.total().as_json()
        for key in ("day", "provider", "model"):
            total.pop(key)
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "difference": "billed - metered; drift_pct = difference / billed * 100; null = that side has no data",
            "total": total,
            "days": [r.as_json() for r in self.days],
            "models": [r.as_json() for r in self.models],
            "metered_only_providers": self.metered_only,
            "billed_only_providers": self.billed_only,
        }


def reconcile_cells(
    start: date,
    end: date,
    billed: dict[tuple[date, str, str], BilledCell],
    metered: dict[tuple[date, str, str], MeteredCell],
) -> Reconciliation:
    """Pair billed and metered cells (pure: the store's two queries go in)."""
    billed_providers = {p for _, p, _ in billed}
    metered_providers = {p for _, p, _ in metered}
    both = billed_providers & metered_providers
    out = Reconciliation(
        start,
        end,
        metered_only=sorted(metered_providers - billed_providers),
        billed_only=sorted(billed_providers - metered_providers),
    )
    day_billed: dict[tuple[date, str], Decimal | None] = {}
    day_metered: dict[tuple[date, str], MeteredCell] = {}
    for key in sorted(set(billed) | set(metered)):
        day, provider, model = key
        if provider not in both:
            continue
        b, m = billed.get(key), metered.get(key)
        out.models.append(
            ReconcileRow(
                day,
                provider,
                model,
                billed=None if b is None else b.cost_usd,
                metered=None if m is None else m.cost_usd,
                unpriced_tokens=m.unpriced_tokens if m else 0,
                unpriced_events=m.unpriced_events if m else 0,
                events=m.events if m else 0,
            )
        )
        if b is not None and b.cost_usd is not None:
            previous = day_billed.get((day, provider))
            day_billed[(day, provider)] = (previous or Decimal(0)) + b.cost_usd
        elif b is not None:
            day_billed.setdefault((day, provider), None)
        if m is not None:
            cell = day_metered.setdefault((day, provider), _empty_metered())
            cell.cost_usd += m.cost_usd
            cell.events += m.events
            cell.unpriced_events += m.unpriced_events
            cell.unpriced_tokens += m.unpriced_tokens
    for day, provider in sorted(set(day_billed) | set(day_metered)):
        m = day_metered.get((day, provider))
        out.days.append(
            ReconcileRow(
                day,
                provider,
                None,
                billed=day_billed.get((day, provider)),
                metered=None if m is None else m.cost_usd,
                unpriced_tokens=m.unpriced_tokens if m else 0,
                unpriced_events=m.unpriced_events if m else 0,
                events=m.events if m else 0,
            )
        )
    return out


def _empty_metered() -> MeteredCell:
    from costtui.store.reports import MeteredCell

    return MeteredCell()


def reconcile(store: EventStore, start: date, end: date) -> Reconciliation:
    """Billed beside metered over [start, end] (UTC days)."""
    return reconcile_cells(
        start, end, store.reports.billed_by_day_model(start, end), store.reports.metered_by_day_model(start, end)
    )
