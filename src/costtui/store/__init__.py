"""SQLite storage: schema migrations, the single write entry point, and the queries."""

from costtui.store.db import RecostResult, Store, StoreError, from_nusd, to_nusd

__all__ = ["RecostResult", "Store", "StoreError", "from_nusd", "to_nusd"]
