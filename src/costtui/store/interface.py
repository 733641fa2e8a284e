"""What the sources, services and screens ask of the store, as one interface.

:class:`EventStore` names every call made from outside ``costtui.store``: the one write path
(``record``), the aggregates the Dashboard, ``status`` and ``/metrics`` read, the Activity pages,
prices, maintenance, and the two sub-stores. :class:`costtui.store.Store` (SQLite) implements it;
a server-database backend would be a second implementation of this Protocol (docs/scale.md says
what that would take). Nothing here is SQL: records in and out are the pydantic models of
:mod:`costtui.models`, dates, datetimes and Decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from costtui.models import (
    DayTotals,
    EventFilter,
    EventSort,
    GroupTotals,
    PriceOverride,
    RecordResult,
    StoredEvent,
    Totals,
    UnpricedModel,
    UsageEvent,
)

if TYPE_CHECKING:
    from costtui.pricing import Pricer
    from costtui.store.billing import BillingStore
    from costtui.store.budgets import BudgetStore
    from costtui.store.db import RecostResult
    from costtui.store.plans import PlanStore
    from costtui.store.reports import ReportStore
    from costtui.store.tokens import TokenStore


class EventStore(Protocol):
    """A costtui store: usage events, their rollups, prices, and the billing and token sub-stores."""

    path: Path
    read_only: bool

    # ---------------------------------------------------------------- sub-stores
    @property
    def billing(self) -> BillingStore: ...
    @property
    def tokens(self) -> TokenStore: ...
    @property
    def budgets(self) -> BudgetStore: ...
    @property
    def reports(self) -> ReportStore: ...
    @property
    def plans(self) -> PlanStore: ...

    pricer: Pricer

    # ---------------------------------------------------------------- the one write path
    def record(self, events: Iterable[UsageEvent]) -> RecordResult: ...

    # ---------------------------------------------------------------- aggregates (flat in the events)
    def totals(self, start: date | None = None, end: date | None = None, **filters: str | None) -> Totals: ...
    def by_day(self, start: date, end: date, **filters: str | None) -> list[DayTotals]: ...
    def by_dimension(
        self,
        dimension: str,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
        **filters: str | None,
    ) -> list[GroupTotals]: ...
    def totals_by_model(self) -> list[tuple[str, str, Totals]]: ...
    def distinct(self, dimension: str) -> list[str]: ...
    def first_day(self) -> date | None: ...
    def last_event_time(self) -> datetime | None: ...
    def unpriced_models(self) -> list[UnpricedModel]: ...

    # ---------------------------------------------------------------- raw events (Activity)
    def events_page(
        self,
        flt: EventFilter | None = None,
        *,
        before: StoredEvent | None = None,
        limit: int = 100,
        sort: EventSort | None = None,
        at: datetime | None = None,
    ) -> list[StoredEvent]: ...
    def count_events(self, flt: EventFilter | None = None) -> int: ...
    def event_totals(self, flt: EventFilter | None = None) -> Totals: ...
    def get_event(self, row_id: int) -> StoredEvent | None: ...

    # ---------------------------------------------------------------- prices
    def price_overrides(self) -> list[PriceOverride]: ...
    def reload_overrides(self) -> None: ...
    def add_price_override(self, override: PriceOverride) -> PriceOverride: ...
    def remove_price_override(self, override_id: int) -> bool: ...
    def recost(
        self,
        since: date | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RecostResult: ...

    # ---------------------------------------------------------------- maintenance and health
    def prune(
        self,
        keep_days: int,
        *,
        now: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
        slice_rows: int = ...,
    ) -> int: ...
    def vacuum(self, progress: Callable[[float], None] | None = None) -> tuple[int, int]: ...
    def backup(self, dest: str | Path) -> Path: ...
    def reset(self) -> None: ...
    def file_size(self) -> int: ...
    def ping(self) -> None: ...
    def data_version(self) -> int: ...
    def schema_version(self) -> int: ...
    def close(self) -> None: ...
