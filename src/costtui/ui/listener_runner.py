"""The embedded listener in the TUI: :class:`EmbeddedListener` runs it in the app's loop.

The listener itself (``costtui.listener``) knows nothing of Textual; this module is the glue.
Settings → Listener (:mod:`costtui.ui.widgets.listener_panel`) shows what it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costtui.listener import Listener
    from costtui.ui.app import CostApp


class EmbeddedListener:
    """Starts the listener in the app's asyncio loop and keeps ``app.listener_status`` current.

    * port held by another costtui (``costtui serve``): the app is a viewer of the same database
      (it already notices other writers by polling) and the header says so;
    * any other bind error: a notification, never a crash;
    * new events: the listener's plain callback calls ``app.data_changed()`` (debounced there).
    """

    def __init__(self, app: CostApp) -> None:
        self.app = app
        self.listener: Listener | None = None
        self.viewer_of: str | None = None
        """URL of the other costtui when this app is only a viewer."""
        self.error: str | None = None
        self._timer: Any = None

    @property
    def running(self) -> bool:
        return self.listener is not None and self.listener.running

    async def start(self) -> None:
        from costtui.listener import Listener, ListenerError, PortHeldByCosttui

        app = self.app

        def committed(result: Any) -> None:
            if result.accepted:  # duplicates change nothing on screen
                app.data_changed()

        listener = Listener(
            app.db_path,
            app.settings.listener,
            on_events=committed,
            credentials=app.credentials,
            sync=app.settings.sync,
            proxy=app.settings.proxy,
            rules=app.settings.rules,
        )
        app.listener_status = "listener starting…"
        try:
            await listener.start()
        except PortHeldByCosttui as exc:
            self.viewer_of = exc.url
            where = exc.url.removeprefix("http://")
            if exc.same_database is False:
                app.listener_status = f"listener off · another costtui on {where} uses another database"
                message = (
                    f"Another costtui listens on {exc.url} but writes a different database than this window "
                    f"({app.db_path}): events pushed there will not show here."
                )
            else:
                app.listener_status = f"viewer · costtui serve on {where}"
                message = (
                    f"Another costtui already listens on {exc.url}: this window shows the same database as a viewer."
                )
            app.notify(
                message,
                title="listener",
                timeout=6,
                markup=False,
            )
            return
        except ListenerError as exc:
            self.error = str(exc)
            app.listener_status = "listener off (see notification)"
            app.notify(
                f"The listener did not start: {exc}", title="listener", severity="warning", timeout=12, markup=False
            )
            return
        except Exception as exc:  # never take the TUI down for the listener
            from costtui.ui.errors import describe_error

            self.error = describe_error(exc)
            app.listener_status = "listener off (error)"
            app.notify(
                f"The listener did not start: {self.error}",
                title="listener",
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        self.listener = listener
        if listener.ingest_key is None:
            # Only when no key file could be written either (a read-only data dir): rare enough to say,
            # briefly; Settings → Listener keeps the details.
            app.notify(
                "No ingest key could be created: local apps can push without one (see Settings → Listener).",
                title="listener",
                severity="warning",
                timeout=6,
                markup=False,
            )
        elif listener.ingest_key.generated:
            app.notify(
                f"Generated the listener's ingest key ({listener.ingest_key.fingerprint}); see Settings → Listener.",
                title="listener",
                timeout=8,
                markup=False,
            )
        self._refresh_status()
        self._timer = app.set_interval(1.0, self._refresh_status)

    def _refresh_status(self) -> None:
        if self.listener is not None and self.listener.running:
            self.app.listener_status = self.listener.status_line()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                await listener.stop()
            except Exception:  # stopping at exit must never raise over the terminal
                pass

    def tokens_changed(self) -> None:
        """Tokens were changed in this process: the listener forgets its cached lookups."""
        if self.listener is not None:
            self.listener.invalidate_tokens()
