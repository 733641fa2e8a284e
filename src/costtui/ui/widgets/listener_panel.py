"""Settings → Listener (:class:`ListenerSection`): address, ingest key fingerprint, tracking tokens
with create / enable-disable / delete-with-confirmation, integration snippets.

The listener runs in the app's loop through :class:`costtui.ui.listener_runner.EmbeddedListener`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from costtui.ui.screens.settings import SettingsSection
from costtui.ui.widgets.kv import kv_table

if TYPE_CHECKING:
    from costtui.listener.tokens import NewToken
    from costtui.store import Store
    from costtui.ui.app import CostApp
    from costtui.ui.listener_runner import EmbeddedListener


# --------------------------------------------------------------------------- dialogs

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .dialog {{ width: 72; max-width: 95%; height: auto; max-height: 80%; border: thick $primary;
    background: $surface; padding: 1 2; }}
{name} .dialog-buttons {{ height: auto; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-right: 2; }}
{name} OptionList {{ height: auto; max-height: 16; }}
"""


class TokenNameScreen(ModalScreen[str | None]):
    """Ask for the app name of a new tracking token."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TokenNameScreen")
    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New tracking token: the app name its events are attributed to")
            yield Input(placeholder="e.g. billing-bot", id="token-name", max_length=64)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.dismiss(self.query_one(Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickTokenScreen(ModalScreen[str | None]):
    """Pick one tracking token (by app name)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PickTokenScreen")
    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, names: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            yield OptionList(
                *(Option(Text(f"{name}  ({state})"), id=name) for name, state in self.names), id="token-pick"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no before something that cannot be undone (No is focused)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel"), Binding("y", "yes", "Yes", show=False)]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete", variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


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
        from costtui.listener.keys import INGEST_KEY, KeyUnavailable, ListenerKeys

        s = app.settings.listener
        emb = _embedded(app)
        info = None
        key_text = "not generated yet (the listener creates it when it starts; or `costtui tokens key`)"
        if emb is not None and emb.listener is not None:
            # The running listener's own key: what it checks is what this panel shows.
            url = emb.listener.url
            info = emb.listener.ingest_key
            if info is None:
                key_text = "none: the key file could not be written, so local apps push without a key"
        else:
            host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
            url = emb.viewer_of if emb is not None and emb.viewer_of else f"http://{host}:{s.port}"
            try:
                info = ListenerKeys(app.credentials).get(INGEST_KEY, generate=False)
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
            status=status, url=url, key=key_text, tokens=store.tokens.list(), header=s.tracking_token_header
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
                    t.created_at.isoformat()[:16],
                    t.last_used_at.isoformat()[:16] if t.last_used_at else "—",
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
                app.call_from_thread(
                    app.notify, str(exc), title="tracking tokens", severity="error", timeout=8, markup=False
                )
                return
            emb = _embedded(app)
            if emb is not None:
                app.call_from_thread(emb.tokens_changed)
            app.call_from_thread(app.notify, message, title="tracking tokens", timeout=5, markup=False)
            app.call_from_thread(self._reload)

        self.run_worker(run, thread=True, group="tokens", exit_on_error=False)

    def action_new_token(self) -> None:
        def named(name: str | None) -> None:
            if not name:
                return

            def make() -> NewToken:
                from costtui.listener.tokens import create_token

                new = create_token(self.cost_app.get_store(), name)
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
                names = [
                    (t.name, "enabled" if t.enabled else "disabled") for t in self.cost_app.get_store().tokens.list()
                ]
            except Exception as exc:
                app.call_from_thread(app.notify, str(exc), title="tracking tokens", severity="error", markup=False)
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
                repo = self.cost_app.get_store().tokens
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
                        lambda: self.cost_app.get_store().tokens.delete(name),
                        lambda _: f"Deleted the tracking token of {name!r}.",
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
        from costtui.listener.keys import INGEST_KEY, ListenerKeys

        app = self.cost_app
        emb = _embedded(app)
        running = emb.listener.ingest_key if emb is not None and emb.listener is not None else None

        def run() -> None:
            try:
                info = running or ListenerKeys(app.credentials).get(INGEST_KEY, generate=False)
            except Exception as exc:
                app.call_from_thread(app.notify, str(exc), title="ingest key", severity="error", markup=False)
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
