"""SQLite storage: all of costtui's SQL. Reach it through :class:`Store` (events, rollups, prices)
and its sub-stores ``store.billing`` (accounts, billed lines, quotas, manual costs) and
``store.tokens`` (tracking tokens) and ``store.budgets`` (budgets and their alerts); they return pydantic records, datetimes and Decimals, never the
storage encodings (microsecond timestamps, nano-dollars, price-version ids)."""

import sqlite3

from costtui.store.budgets import BudgetError
from costtui.store.db import RecostResult, Store, StoreError
from costtui.store.interface import EventStore

DATABASE_ERRORS: tuple[type[Exception], ...] = (StoreError, sqlite3.Error)
"""Errors whose own text tells a user what went wrong with the database (no need for a class name)."""

__all__ = ["DATABASE_ERRORS", "BudgetError", "EventStore", "RecostResult", "Store", "StoreError"]
