"""SQLite storage: all of costtui's SQL. Reach it through :class:`Store` (events, rollups, prices)
and its sub-stores ``store.billing`` (accounts, billed lines, quotas, manual costs) and
``store.tokens`` (tracking tokens); they return pydantic records, datetimes and Decimals, never the
storage encodings (microsecond timestamps, nano-dollars, price-version ids)."""

from costtui.store.db import RecostResult, Store, StoreError

__all__ = ["RecostResult", "Store", "StoreError"]
