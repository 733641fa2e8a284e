"""The costtui terminal UI: one App, one screen per mode, data loaded in thread workers.

Data flow: workers query the store (sqlite blocks, so thread workers) and post immutable results
back to their screen, which swaps them in whole. Another process writing the database is noticed
by polling ``PRAGMA data_version`` on a connection of our own; an in-process writer (the embedded
listener) calls :meth:`CostApp.data_changed`. Both end in one debounced reload of the visible
screen; hidden screens are only marked stale and reload when they are shown again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.css.query import NoMatches
from textual.events import Resize
from textual.notifications import Notification
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Header
from textual.widgets._header import HeaderTitle
from textual.widgets._toast import ToastRack
from textual.worker import Worker, WorkerState, get_current_worker

from costtui.config import Settings
from costtui.formatting import safe
from costtui.secrets import Credentials
from costtui.ui.dialogs.help import HelpScreen
from costtui.ui.errors import describe_error, notify_error, worker_failure
from costtui.ui.listener_runner import EmbeddedListener
from costtui.ui.messages import DataChanged
from costtui.ui.palette import TEXTUAL_COMMANDS, PaletteCommands, action_of, screen_commands, screen_key_actions
from costtui.ui.screens.activity import ActivityScreen
from costtui.ui.screens.agents import AgentsScreen
from costtui.ui.screens.base import DataScreen
from costtui.ui.screens.budgets import BudgetsScreen
from costtui.ui.screens.dashboard import RANGES, DashboardScreen
from costtui.ui.screens.proxy import ProxyScreen
from costtui.ui.screens.quotas import QuotasScreen
from costtui.ui.screens.reports import ReportsScreen
from costtui.ui.screens.settings import SettingsScreen
from costtui.ui.screens.too_small import check_terminal_size

if TYPE_CHECKING:
    # The store pulls in the price engine (~0.25 s of imports): it is imported by the first
    # worker that needs it, so the first paint never waits for it.
    from costtui.store import Store


@dataclass(frozen=True)
class ModeSpec:
    """One top-level screen: adding a screen is adding one entry to :data:`MODE_TABLE`."""

    name: str
    key: str
    title: str
    screen: Callable[[], Screen[Any]]
    description: str


MODE_TABLE: list[ModeSpec] = [
    ModeSpec("dashboard", "1", "Dashboard", DashboardScreen, "What you spent, where, and what is unpriced"),
    ModeSpec("activity", "2", "Activity", ActivityScreen, "Every event: filter, search, details"),
    ModeSpec("quotas", "3", "Quotas", QuotasScreen, "Limits, balances, rate-limit headroom, account health"),
    ModeSpec("proxy", "4", "Proxy", ProxyScreen, "Calls through the proxy: live log, cache savings, refusals, keys"),
    ModeSpec("agents", "5", "Agents", AgentsScreen, "Coding agents: sessions, projects, 5-hour blocks"),
    ModeSpec("budgets", "6", "Budgets", BudgetsScreen, "Budgets, projections and the alerts log"),
    ModeSpec("reports", "7", "Reports", ReportsScreen, "Period reports, reconciliation, anomalies, receipts, exports"),
    ModeSpec("settings", "0", "Settings", SettingsScreen, "Database, prices, theme and keys"),
]

NO_DATA_HINT = (
    "No usage yet — run `costtui demo`, point an app at the listener (`POST /ingest`), or add a provider key."
)
DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
DEBOUNCE_SECONDS = 0.3
"""Changes arriving closer together than this become one reload."""


SCREENS = Binding.Group("Screens", compact=True)
"""The mode keys fold into one footer item ("12345670 Screens") when the row is short of room."""


def _mode_bindings() -> list[BindingType]:
    return [
        Binding(
            spec.key,
            f"switch_mode('{spec.name}')",
            spec.title,
            tooltip=spec.description,
            id=f"screen.{spec.name}",
            group=SCREENS,
        )
        for spec in MODE_TABLE
    ]


class CostApp(App[None]):
    """costtui's terminal UI."""

    CSS_PATH = "costtui.tcss"
    TITLE = "costtui"
    MODES = {spec.name: spec.screen for spec in MODE_TABLE}
    DEFAULT_MODE = MODE_TABLE[0].name
    BINDINGS = [
        *_mode_bindings(),
        Binding("question_mark", "help", "Help", tooltip="Every key that works here", id="app.help"),
        # f1 works in dialogs too (priority: before the dialog's inputs see it), where ? is typed.
        Binding("f1", "help", "Help", show=False, priority=True, tooltip="Keys of this dialog", id="app.help-f1"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Reload the data on this screen", id="app.refresh"),
        # Not a letter: Settings uses the letters for account and token actions.
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, tooltip="Toggle dark / light", id="app.theme"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding(
            "ctrl+p", "command_palette", "Palette", priority=True, tooltip="Every action by name", id="app.palette"
        ),
        # Textual's Keys panel (palette: "help: key panel") has no key of its own to close it.
        Binding("escape", "hide_help_panel", "Close key panel", show=False, priority=True, id="app.close-key-panel"),
    ]
    COMMANDS = {PaletteCommands}

    config_file: Path | None = None
    """The config file named when the app was started (``--config``); None: the usual one."""

    listener_status: reactive[str] = reactive("")
    """What the embedded listener is doing ("listening on 127.0.0.1:8787", "off", ...); the
    listener integration sets it and the header shows it."""

    def __init__(
        self,
        settings: Settings,
        db_path: str | Path,
        *,
        demo: bool = False,
        listener: bool = True,
        now: datetime | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.credentials = credentials or Credentials.from_settings(settings)
        """Where keys live (the same settings as the CLI that started the app: ``--config`` counts)."""
        self.db_path = Path(db_path)
        self.demo = demo
        self.listener = listener
        """Whether the embedded listener should run (the listener integration reads this)."""
        self._frozen_now = now.astimezone(UTC) if now is not None else None
        self._store: Store | None = None
        self._poll_store: Store | None = None
        self._store_lock = threading.Lock()
        self._data_version: int | None = None
        self._reload_timer: Timer | None = None
        self._poll_failed = False
        self._last_error: str | None = None
        self.poll_interval = max(0.2, min(settings.ui.refresh_seconds / 2, 60.0))
        """Half the configured refresh period, so a change shows within ``refresh_seconds``."""
        self._data_screens: list[DataScreen] = []
        if settings.ui.theme in self.available_themes:
            self.theme = settings.ui.theme
        self.set_keymap(settings.ui.keymap)
        self.set_reactive(CostApp.listener_status, "" if listener else "listener off")
        self.embedded_listener = EmbeddedListener(self)
        from costtui.ui.budget_alerts import BudgetWatch

        self.budget_watch = BudgetWatch(self)
        """Checks budgets on a timer; toasts, rings and sends the alerts this window claims."""
        self._update_sub_title()

    # ------------------------------------------------------------------ shared resources

    def now(self) -> datetime:
        """The current time (frozen in tests and screenshots)."""
        return self._frozen_now or datetime.now(UTC)

    def get_store(self) -> Store:
        """The store the screens query. Call it from worker threads: the first call opens it."""
        with self._store_lock:
            if self._store is None:
                from costtui.store import Store

                self._store = Store(self.db_path)
            return self._store

    def _get_poll_store(self) -> Store:
        # A connection of its own: data_version only moves for commits made by *other*
        # connections, and polling never queues behind a long dashboard query's lock.
        with self._store_lock:
            if self._poll_store is None:
                from costtui.store import Store

                self._poll_store = Store(self.db_path)
            return self._poll_store

    def register_data_screen(self, screen: DataScreen) -> None:
        if screen not in self._data_screens:
            self._data_screens.append(screen)

    def unregister_data_screen(self, screen: DataScreen) -> None:
        if screen in self._data_screens:
            self._data_screens.remove(screen)

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        check_terminal_size(self)
        self.screen_change_signal.subscribe(self, self._refresh_header)
        # Provider sync timers: off with a frozen clock (tests, screenshots); s syncs anyway.
        from costtui.ui.provider_sync import start_provider_sync

        start_provider_sync(self, enabled=self._frozen_now is None)
        self.budget_watch.start(enabled=self._frozen_now is None)
        # Coding-agent logs: imported in the background, then watched (not in demo or frozen time).
        from costtui.ui.agent_watch import start_agent_watch

        self.agent_watch = start_agent_watch(self, enabled=self._frozen_now is None and not self.demo)
        # The first poll takes the baseline right away; later ones are re-armed as each ends.
        self._poll()
        # listener: the embedded listener runs in this loop; bind errors never crash the app.
        if self.listener and self.settings.listener.enabled:
            self.run_worker(self.embedded_listener.start(), group="listener", exit_on_error=False)
        elif self.listener:
            self.listener_status = "listener off"

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < 100, "-narrow")
        check_terminal_size(self, event.size)
        self.call_after_refresh(self._refresh_header)

    async def on_unmount(self) -> None:
        self.budget_watch.stop()
        if hasattr(self, "agent_watch"):
            self.agent_watch.stop()
        await self.embedded_listener.stop()
        for store in (self._store, self._poll_store):
            if store is not None:
                try:
                    store.close()
                except Exception:  # closing at exit must never raise over the terminal
                    pass

    # ------------------------------------------------------------------ header

    def watch_listener_status(self) -> None:
        self._update_sub_title()

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header line, fitted to the terminal: the listener status is what a user checks, so
        the screen title goes first, then "demo database" shortens, then the status loses its
        least useful parts from the end (last event time, rate) but never its state."""
        room = self.size.width - HEADER_CHROME
        parts = [p for p in sub_title.split(" · ") if p]
        for candidate in _title_candidates(title, parts):
            if len(candidate) <= room:
                break
        return Content(candidate)

    def _refresh_header(self, *_: object) -> None:
        # The header formats its title only when the title changes: a resize must re-fit it.
        for header in self.screen.query(Header):
            header.query_one(HeaderTitle).update(header.format_title())

    def _update_sub_title(self) -> None:
        parts = []
        if self.demo:
            parts.append("demo database")
        if self.listener_status:
            parts.append(self.listener_status)
        self.sub_title = " · ".join(parts)

    # ------------------------------------------------------------------ toasts

    def _unnotify(self, notification: Notification, refresh: bool = True) -> None:
        super()._unnotify(notification, refresh=refresh)
        # Textual finds what to repaint by comparing the compositor's map before and after a layout
        # change, but builds the "before" map lazily: once any widget outside the view refreshes (a
        # table below the fold at 24 rows, a hidden status line on an empty screen), the map is
        # rebuilt after the toast has left the DOM, and the cells it covered are never repainted.
        # Repaint the screen once the toast is really gone.
        screen = self.screen
        try:
            holder = screen.get_child_by_type(ToastRack).get_child_by_id(ToastRack._toast_id(notification))
        except NoMatches:
            return
        removed = holder.remove()  # the toast removes it too: a second remove waits for the same end

        async def repaint() -> None:
            await removed
            screen.refresh()

        self.call_later(repaint)

    # ------------------------------------------------------------------ live updates

    def data_changed(self) -> None:
        """Tell the app the store has new data. Thread-safe; bursts are coalesced."""
        self.post_message(DataChanged())

    @on(DataChanged)
    def _on_data_changed(self) -> None:
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(DEBOUNCE_SECONDS, self._reload_after_change)

    def _reload_after_change(self) -> None:
        self._reload_timer = None
        for screen in list(self._data_screens):
            screen.data_changed()

    def _schedule_poll(self) -> None:
        # Re-armed after each poll finishes, so polls never overlap.
        self.set_timer(self.poll_interval, self._poll)

    @work(thread=True, group="poll", exclusive=True, exit_on_error=False)
    def _poll(self) -> None:
        version = self._get_poll_store().data_version()
        if get_current_worker().is_cancelled:
            return
        previous, self._data_version = self._data_version, version
        if previous is not None and version != previous:
            self.data_changed()

    # ------------------------------------------------------------------ workers

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event)

    def report_worker_state(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes are handled: errors become a readable notification.

        Screens forward their workers' state changes here (``Worker.StateChanged`` does not bubble).
        """
        worker, state = event.worker, event.state
        if worker.group == "poll" and state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            if state == WorkerState.ERROR and self._poll_failed:
                self._schedule_poll()
                return  # said once already; keep trying quietly
            self._poll_failed = state == WorkerState.ERROR
            self._schedule_poll()
        if state != WorkerState.ERROR:
            return
        reason = describe_error(worker.error)
        if reason == self._last_error:
            return  # one cause, one notification (the poller and the screen often share it)
        self._last_error = reason
        notify_error(self, worker_failure(worker.group, reason, self.db_path))

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Under an open dialog, mode keys would leave it stranded and q would quit from inside it:
        # escape closes dialogs (ctrl+q still quits from anywhere).
        if action in ("switch_mode", "quit") and isinstance(self.screen, ModalScreen):
            return False
        if action == "hide_help_panel":  # escape belongs to the screen unless the panel is open
            return bool(self.screen.query("HelpPanel"))
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_refresh(self) -> None:
        self._last_error = None  # a retry that fails again says so again
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.reload()
        self.notify("Refreshing…", timeout=1.5)

    def check_budgets_soon(self) -> None:
        """Check the budgets now (a budget was just saved): a threshold it crossed alerts at once."""
        self.budget_watch.check_now()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every command, in the order the palette lists them, named ``category: action`` with the
        footer's words: the screens, the keys of the screen below (generated from its bindings),
        then the rest."""
        for spec in MODE_TABLE:
            yield SystemCommand(
                f"screen: {spec.title.lower()}",
                f"{spec.description} (key {self.key_display(f'screen.{spec.name}', spec.key)})",
                lambda name=spec.name: self.switch_mode(name),
            )
        yield from screen_commands(self, screen)
        for days in RANGES:
            yield SystemCommand(
                f"range: {days} days",
                f"Show the last {days} days on the dashboard",
                lambda days=days: self._dashboard_range(days),
            )
        yield SystemCommand(
            "prices: set a price", "Your own price for a model (re-prices stored events)", self.open_price_form
        )
        yield SystemCommand("data: refresh", "Reload the data on this screen (key r)", self.action_refresh)
        yield SystemCommand("help: keys", "Every key that works here (key ?)", self.action_help)
        yield SystemCommand(
            "theme: toggle dark/light", "Switch between the dark and light themes", self.action_toggle_theme
        )
        for command in super().get_system_commands(screen):
            title = TEXTUAL_COMMANDS.get(command.title, f"app: {command.title.lower()}")
            yield command._replace(title=title)
        if isinstance(screen, DataScreen):
            # A screen's own commands, unless a key of it already made one (one name per action).
            keyed = screen_key_actions(self, screen)
            yield from (c for c in screen.commands() if action_of(c.callback) not in keyed)

    def _dashboard_range(self, days: int) -> None:
        self.switch_mode("dashboard")
        self.call_after_refresh(
            lambda: self.screen.set_range(days) if isinstance(self.screen, DashboardScreen) else None
        )

    # ------------------------------------------------------------------ prices

    def open_price_form(self, model: str = "", provider: str = "") -> None:
        """Ask for a price override (prefilled with an unpriced model), then save it in a worker."""
        from costtui.ui.dialogs.price_form import PriceFormScreen, PriceRequest

        def saved(request: PriceRequest | None) -> None:
            if request is not None:
                self._save_price(request)

        self.push_screen(PriceFormScreen(model, provider), saved)

    @work(thread=True, group="prices", exit_on_error=False)
    def _save_price(self, request: Any) -> None:
        from costtui.formatting import money, plural

        store = self.get_store()
        override = store.add_price_override(request.override)
        message = f"Override #{override.id} saved for {safe(override.model)}."
        if request.recost:
            result = store.recost(request.override.effective_from)
            message += (
                f" Re-priced {plural(result.events, 'event')}: {money(result.before)} → {money(result.after)}"
                + (f" ({result.newly_priced:,} no longer unpriced)." if result.newly_priced else ".")
            )
        else:
            message += " Run `costtui recost` to re-price stored events."
        self.call_from_thread(self.notify, message, title="prices", timeout=8, markup=False)
        self.data_changed()

    def key_display(self, binding_id: str | None, default: str) -> str:
        """How the key of a binding is shown after the user's keymap ("?", "^p", ...), for help texts."""
        keys = self.settings.ui.keymap.get(binding_id or "")
        key = keys.split(",")[0].strip() if keys else default
        return self.get_key_display(Binding(key, ""))


HEADER_CHROME = 18
"""Columns of the header that are not title: the icon (8) and the space kept for a clock (10)."""


def _title_candidates(title: str, parts: list[str]) -> Iterator[str]:
    """Header texts from the fullest to the shortest (the last may still need the ellipsis)."""
    yield f"{title} — {' · '.join(parts)}" if parts else title
    if not parts:
        return
    yield " · ".join(parts)
    parts = ["demo" if p == "demo database" else p for p in parts]
    yield " · ".join(parts)
    while len(parts) > 1 and parts[-1] != parts[0]:
        parts = parts[:-1]
        if parts[-1] == "demo":
            break
        yield " · ".join(parts)


def make_app(
    settings: Settings,
    db_path: str | Path,
    *,
    demo: bool = False,
    listener: bool = True,
    now: datetime | None = None,
    credentials: Credentials | None = None,
) -> CostApp:
    """Build the app: the CLI, the tests and the screenshot script all come through here."""
    if demo:
        from costtui.services.demo import demo_settings

        settings = demo_settings(settings)
    return CostApp(settings, db_path, demo=demo, listener=listener, now=now, credentials=credentials)
