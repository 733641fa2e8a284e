"""The embedded listener in the TUI: :class:`EmbeddedListener` runs it in the app's loop, and
:class:`ListenerSection` is Settings → Listener (address, ingest key fingerprint, tracking tokens
with create / enable-disable / delete-with-confirmation, integration snippets).

The listener itself (``costtui.listener``) knows nothing of Textual; this module is the glue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from costtui.ui.dialogs.confirm import ConfirmScreen
from costtui.ui.dialogs.tokens import PickTokenScreen, TokenNameScreen
from costtui.ui.errors import notify_error_from_thread
from costtui.ui.sections import SettingsSection
from costtui.ui.widgets.kv import kv_table

if TYPE_CHECKING:
    from costtui.listener import Listener
    from costtui.listener.tokens import NewToken
    from costtui.store import Store
    from costtui.ui.app import CostApp


# --------------------------------------------------------------------------- the embedded listener


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

        listener = Listener(app.db_path, app.settings.listener, on_events=committed)
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
            from costtui.ui.app import describe_error

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
            app.notify(
                "No ingest key could be read or created (keyring locked or unavailable): local apps can push "
                "without a key. Set COSTTUI_INGEST_KEY or unlock the keyring (costtui keys backend).",
                title="listener",
                severity="warning",
                timeout=12,
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


# --------------------------------------------------------------------------- the Settings section


@dataclass(frozen=True)
class ListenerInfo:
    status: str
    url: str
    key: str
    tokens: list[Any] = field(default_factory=list)
    header: str = "X-Costtui-Token"


def _embedded(app: CostApp) -> EmbeddedListener | None:
    return getattr(app, "embedded_listener", None)


class ListenerSection(SettingsSection):
    """Settings → Listener. Keys (section focused): n new token, e enable/disable, x delete,
    k show the ingest key."""

    TITLE = "Listener"
    can_focus = True
    BINDINGS: ClassVar[list[Any]] = [
        Binding("n", "new_token", "New token", id="listener.new_token"),
        Binding("e", "toggle_token", "Enable/disable token", id="listener.toggle_token"),
        Binding("x", "delete_token", "Delete token", id="listener.delete_token"),
        Binding("k", "reveal_key", "Show ingest key", id="listener.reveal_key"),
        Binding("c", "copy_token", "Copy new token", id="listener.copy_token"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.created: NewToken | None = None
        """The token created last here: its secret is shown with the snippets, never stored."""

    @classmethod
    def load(cls, app: CostApp, store: Store) -> ListenerInfo:
        from costtui.listener.keys import INGEST_KEY, KeyUnavailable, get_key
        from costtui.listener.tokens import TokenRepo

        s = app.settings.listener
        emb = _embedded(app)
        info = None
        key_text = "not generated yet (the listener creates it when it starts; or `costtui tokens key`)"
        if emb is not None and emb.listener is not None:
            url = emb.listener.url
            info = emb.listener.ingest_key
        else:
            host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
            url = emb.viewer_of if emb is not None and emb.viewer_of else f"http://{host}:{s.port}"
            try:
                info = get_key(INGEST_KEY, generate=False)
            except KeyUnavailable as exc:
                key_text = f"unavailable: {exc}"
        if info is not None and info.generated:
            # Generated by this start: shown in full this session, afterwards only its fingerprint.
            key_text = f"{info.value}\n(new, stored in the {info.source}; copy it now — later only {info.fingerprint} is shown)"
        elif info is not None:
            key_text = f"{info.fingerprint}  (from {info.source}; k shows it, or `costtui tokens key --show`)"
        if not app.listener:
            status = "off (--no-listener)"
        elif not s.enabled:
            status = "off (listener.enabled = false)"
        else:
            status = app.listener_status or "—"
        return ListenerInfo(
            status=status, url=url, key=key_text, tokens=TokenRepo(store).list(), header=s.tracking_token_header
        )

    def render_data(self, data: ListenerInfo) -> RenderableType:
        from costtui.listener.tokens import snippets

        parts: list[RenderableType] = [
            kv_table(
                [
                    ("address", data.url),
                    ("status", data.status),
                    ("ingest key", data.key),
                    ("routes", "POST /ingest · POST /v1/traces (OTLP) · GET /api/status /health /metrics"),
                ]
            )
        ]
        if data.tokens:
            table = Table(box=None, padding=(0, 1), header_style="bold")
            for col in ("app", "token", "state", "created", "last used"):
                table.add_column(col, no_wrap=True)
            for t in data.tokens:
                table.add_row(
                    Text(t.name),
                    t.display,
                    "enabled" if t.enabled else Text("disabled", style="bold red"),
                    t.created_at[:16],
                    (t.last_used_at or "—")[:16],
                )
            parts += [Text("\nTracking tokens (one per app; events are attributed to its app):", style="bold"), table]
        else:
            parts.append(Text("\nNo tracking tokens yet: press n to create one (or `costtui tokens create NAME`)."))
        created = self.created
        token = created.secret if created is not None else "<tracking token>"
        if created is not None:
            parts += [
                Text(
                    f"\nNew token for {created.token.name!r} (shown once; costtui keeps only its hash):", style="bold"
                ),
                Text(f"  {created.secret}", style="bold green"),
            ]
        snips = snippets(data.url, token, header=data.header)
        for title, key in (("curl", "curl"), ("Python, after an OpenAI SDK call", "python"), ("OpenTelemetry", "otel")):
            parts += [Text(f"\n# {title}", style="dim"), Text(snips[key])]
        parts.append(
            Text(
                "\nn new token · e enable/disable · x delete · k show the ingest key · c copy the new token (focus this section)",
                style="dim",
            )
        )
        return Group(*parts)

    # ------------------------------------------------------------------ actions

    @property
    def cost_app(self) -> CostApp:
        return self.app  # type: ignore[return-value]

    def _reload(self) -> None:
        reload = getattr(self.screen, "reload", None)
        if callable(reload):
            reload()

    def _in_thread(self, work: Any, done_message: Any) -> None:
        """Run a token change in a thread (the store blocks); report the outcome as a notification."""
        app = self.cost_app

        def run() -> None:
            try:
                message = done_message(work())
            except Exception as exc:  # TokenError's message says what to do
                notify_error_from_thread(app, str(exc), title="tracking tokens")
                return
            emb = _embedded(app)
            if emb is not None:
                app.call_from_thread(emb.tokens_changed)
            app.call_from_thread(app.notify, message, title="tracking tokens", timeout=5, markup=False)
            app.call_from_thread(self._reload)

        self.run_worker(run, thread=True, group="tokens", exit_on_error=False)

    def _repo(self) -> Any:
        from costtui.listener.tokens import TokenRepo

        return TokenRepo(self.cost_app.get_store())

    def action_new_token(self) -> None:
        def named(name: str | None) -> None:
            if not name:
                return

            def make() -> NewToken:
                new = self._repo().create(name)
                self.created = new
                return new

            self._in_thread(
                make, lambda new: f"Created a tracking token for {new.token.name!r}: copy it now, it is shown once."
            )

        self.app.push_screen(TokenNameScreen(), named)

    def _pick(self, title: str, then: Any) -> None:
        app = self.cost_app

        def run() -> None:
            try:
                names = [(t.name, "enabled" if t.enabled else "disabled") for t in self._repo().list()]
            except Exception as exc:
                notify_error_from_thread(app, str(exc), title="tracking tokens")
                return
            if not names:
                app.call_from_thread(
                    app.notify, "No tracking tokens yet: press n to create one.", title="tracking tokens", markup=False
                )
                return
            app.call_from_thread(app.push_screen, PickTokenScreen(title, names), then)

        self.run_worker(run, thread=True, group="tokens", exit_on_error=False)

    def action_toggle_token(self) -> None:
        def picked(name: str | None) -> None:
            if not name:
                return

            def toggle() -> Any:
                repo = self._repo()
                token = repo.get(name)
                if token is None:
                    raise LookupError(f"no tracking token named {name!r}")
                return repo.set_enabled(name, not token.enabled)

            self._in_thread(
                toggle, lambda t: f"{'Enabled' if t.enabled else 'Disabled'} the tracking token of {t.name!r}."
            )

        self._pick("Enable or disable which token?", picked)

    def action_delete_token(self) -> None:
        def picked(name: str | None) -> None:
            if not name:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._in_thread(
                        lambda: self._repo().delete(name), lambda _: f"Deleted the tracking token of {name!r}."
                    )

            self.app.push_screen(
                ConfirmScreen(f"Delete the tracking token of {name!r}? Apps using it will be refused (403)."), confirmed
            )

        self._pick("Delete which token?", picked)

    def action_copy_token(self) -> None:
        if self.created is None:
            self.app.notify(
                "Create a token first (n); only a new token can be copied.", title="tracking tokens", markup=False
            )
            return
        self.app.copy_to_clipboard(self.created.secret)
        self.app.notify(
            f"Copied the token of {self.created.token.name!r} to the clipboard.", title="tracking tokens", markup=False
        )

    def action_reveal_key(self) -> None:
        from costtui.listener.keys import INGEST_KEY, get_key

        app = self.cost_app

        def run() -> None:
            try:
                info = get_key(INGEST_KEY, generate=False)
            except Exception as exc:
                notify_error_from_thread(app, str(exc), title="ingest key")
                return
            if info is None:
                app.call_from_thread(
                    app.notify,
                    "No ingest key yet: it is generated when the listener starts.",
                    title="ingest key",
                    markup=False,
                )
                return
            app.call_from_thread(
                app.notify,
                f"{info.value}\n(send it as X-Ingest-Key; this message closes by itself)",
                title="ingest key",
                timeout=20,
                markup=False,
            )

        self.run_worker(run, thread=True, group="tokens", exit_on_error=False)
