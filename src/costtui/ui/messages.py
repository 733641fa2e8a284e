"""App-wide messages. Screen- and widget-local messages are nested in the class that posts them."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """The store has new data (posted from any thread: the poller, an in-process listener).

    Bursts coalesce: a queued ``DataChanged`` replaces an earlier one still waiting, and the app
    debounces what is left before it reloads anything.
    """

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataChanged)
