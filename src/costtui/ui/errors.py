"""How failures reach the user: one readable line per exception, and error notifications.

Workers' failures end here: the app's worker handler (``CostApp.report_worker_state``) words
them with :func:`worker_failure`, and code running in a thread worker reports its own with
:func:`notify_error_from_thread`. No traceback ever reaches the screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ERROR_TIMEOUT = 8.0
"""Seconds an error notification stays: longer than the default, so it can be read."""

WORKER_TASKS = {
    "poll": "Checking the database for changes",
    "reload": "Loading data",
    "page": "Loading more events",
    "prices": "Saving the price",
}
"""What a worker group does, as the start of "… failed: reason"."""


def describe_error(error: BaseException | None) -> str:
    """One readable line for an exception (no traceback on screen).

    Errors written for users (the store's, the OS's, SQLite's) speak for themselves; for anything
    else the exception's name is kept, since its text alone (a KeyError's "'x'") says little.
    """
    # Imported here: the store pulls in the price engine, which the first paint must not wait for.
    from costtui.store import DATABASE_ERRORS

    if error is None:
        return "unknown error"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if text and isinstance(error, (OSError, *DATABASE_ERRORS)):
        return text
    name = type(error).__name__
    return f"{text} ({name})" if text else name


def worker_failure(group: str, reason: str, db_path: str | Path) -> str:
    """The notification text for a failed worker of ``group`` (``reason`` from :func:`describe_error`)."""
    what = WORKER_TASKS.get(group, "A background task")
    where = "" if str(db_path) in reason else f" (database {db_path})"
    return f"{what} failed: {reason}{where}. Press r to retry."


def notify_error(app: Any, message: str, *, title: str = "error", timeout: float = ERROR_TIMEOUT) -> None:
    """Show an error notification (on the UI thread). The text is shown as is, never as markup."""
    app.notify(message, title=title, severity="error", timeout=timeout, markup=False)


def notify_error_from_thread(app: Any, message: str, *, title: str = "error", timeout: float = ERROR_TIMEOUT) -> None:
    """:func:`notify_error` from a thread worker."""
    app.call_from_thread(notify_error, app, message, title=title, timeout=timeout)
