"""Settings (key 0): one screen of sections. A feature adds its own section (Accounts, Listener,
...) as a :class:`~costtui.ui.sections.SettingsSection` subclass in its own module, listed in
:data:`SETTINGS_SECTIONS` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header

from costtui import paths
from costtui.formatting import TimeZoneRule, plural, price_command, safe, tokens
from costtui.ui.errors import describe_error
from costtui.ui.screens.base import DataScreen
from costtui.ui.sections import SettingsSection
from costtui.ui.widgets.accounts_panel import AccountsPanel
from costtui.ui.widgets.keybar import KeyBar
from costtui.ui.widgets.kv import kv_table
from costtui.ui.widgets.listener_panel import ListenerSection
from costtui.ui.widgets.rules_section import RulesSection, edit_rules

if TYPE_CHECKING:
    from costtui.store import Store
    from costtui.ui.app import CostApp


@dataclass(frozen=True)
class DatabaseInfo:
    path: str
    size: int
    schema: int
    events: int
    first_day: str
    last_event: str
    retention: int | None


class DatabaseSection(SettingsSection):
    TITLE = "Database"

    @classmethod
    def load(cls, app: CostApp, store: Store) -> DatabaseInfo:
        first = store.first_day()
        return DatabaseInfo(
            path=str(store.path),
            size=store.file_size(),
            schema=store.schema_version(),
            events=store.count_events(),
            first_day=first.isoformat() if first else "—",
            last_event=TimeZoneRule.from_setting(app.settings.ui.timezone).stamp(store.last_event_time()),
            retention=app.settings.retention_days,
        )

    def render_data(self, data: DatabaseInfo) -> RenderableType:
        retention = (
            f"keep {plural(data.retention, 'day')} of raw events (daily totals stay) · costtui db prune"
            if data.retention
            else "keep everything (retention_days in the config file prunes raw events)"
        )
        return kv_table(
            [
                ("file", data.path),
                ("size", f"{data.size / 1_048_576:,.1f} MB"),
                ("schema version", str(data.schema)),
                (
                    "events",
                    f"{data.events:,}"
                    if data.events
                    else "0 (no usage yet: costtui demo, POST /ingest, or a provider key)",
                ),
                ("first day", data.first_day),
                ("last event", data.last_event),
                ("retention", retention),
                ("backup", "costtui db backup [PATH]"),
            ]
        )


class DisplaySection(SettingsSection):
    TITLE = "Display and keys"

    @classmethod
    def load(cls, app: CostApp, store: Store) -> None:
        return None

    def render_data(self, data: None) -> RenderableType:
        app: CostApp = self.app  # type: ignore[assignment]
        keymap = app.settings.ui.keymap
        keys = ", ".join(f"{k} = {v}" for k, v in sorted(keymap.items())) if keymap else "default keys"
        return kv_table(
            [
                ("config file", str(paths.config_path())),
                (
                    "theme",
                    f"{app.theme} ({app.key_display('app.theme', 'ctrl+t')} toggles dark/light; "
                    "palette → theme: choose… for all themes)",
                ),
                (
                    "refresh",
                    f"checks the database every {app.poll_interval:g} s (ui.refresh_seconds = {app.settings.ui.refresh_seconds:g})",
                ),
                ("keymap", keys),
                ("rebind", 'in the config file: [ui.keymap] "screen.activity" = "a"  (ids: press ?)'),
            ]
        )


@dataclass(frozen=True)
class PricesInfo:
    overrides: list[Any]
    unpriced: list[Any]


class PricesSection(SettingsSection):
    TITLE = "Prices"

    @classmethod
    def load(cls, app: CostApp, store: Store) -> PricesInfo:
        return PricesInfo(overrides=store.price_overrides(), unpriced=store.unpriced_models())

    def render_data(self, data: PricesInfo) -> RenderableType:
        parts: list[RenderableType] = [
            Text("Bundled prices: genai-prices (offline). Your overrides win over them.", style="dim")
        ]
        if data.overrides:
            table = Table(box=None, padding=(0, 1), header_style="bold")
            for col in ("#", "model", "provider", "in $/1M", "out $/1M", "from", "to"):
                table.add_column(col, no_wrap=col != "model")
            for o in data.overrides:
                table.add_row(
                    *(
                        Text(cell)
                        for cell in (
                            str(o.id),
                            safe(o.model),
                            safe(o.provider) or "any",
                            f"{o.input_per_mtok:f}",
                            f"{o.output_per_mtok:f}",
                            str(o.effective_from or "…"),
                            str(o.effective_to or "…"),
                        )
                    )
                )
            parts += [Text("\nYour price overrides (costtui prices list / remove N):", style="bold"), table]
        else:
            parts.append(
                Text("\nNo price overrides. Press p to add one, or: costtui prices set MODEL --input X --output Y")
            )
        if data.unpriced:
            parts.append(Text("\nunpriced models (not in cost). Fix each, then run costtui recost:", style="bold"))
            for u in data.unpriced:
                line = Text(
                    f"{safe(u.provider)}/{safe(u.model)}: {plural(u.events, 'event')}, {tokens(u.tokens)} tokens\n  "
                )
                line.append(price_command(u.model), style="bold")
                parts.append(line)
        else:
            parts.append(Text("\nEvery model is priced."))
        return Group(*parts)


SETTINGS_SECTIONS: tuple[type[SettingsSection], ...] = (
    DatabaseSection,
    PricesSection,
    DisplaySection,
    AccountsPanel,
    ListenerSection,
    RulesSection,
)
"""The sections, top to bottom."""


class SettingsScreen(DataScreen):
    TITLE = "Settings"
    BINDINGS = [
        Binding("p", "set_price", "Set price", tooltip="Your own price for a model", id="settings.price"),
        Binding("l", "edit_rules", "Proxy rules", tooltip="Edit the rules the proxy enforces", id="settings.rules"),
    ]

    def action_edit_rules(self) -> None:
        edit_rules(self.cost_app, on_saved=self.reload)

    def action_set_price(self) -> None:
        unpriced = self._unpriced[0] if self._unpriced else None
        self.cost_app.open_price_form(unpriced.model if unpriced else "", unpriced.provider if unpriced else "")

    _unpriced: list[Any] = []

    class Loaded(Message):
        def __init__(self, results: dict[type[SettingsSection], tuple[bool, Any]]) -> None:
            super().__init__()
            self.results = results

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="settings-body"):
            for section in SETTINGS_SECTIONS:
                yield section()
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#settings-body").focus()

    def load(self) -> None:
        self._load()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        app = self.cost_app
        store = app.get_store()
        results: dict[type[SettingsSection], tuple[bool, Any]] = {}
        for section in SETTINGS_SECTIONS:
            # One failing section (a keyring that is locked, say) must not blank the others.
            try:
                results[section] = (True, section.load(app, store))
            except Exception as exc:  # noqa: BLE001 - shown to the user in that section
                results[section] = (False, describe_error(exc))
        self.post_if_current(self.Loaded(results))

    def show_load_error(self, message: str) -> None:
        for widget in self.query(SettingsSection):
            widget.update(Text(message))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        for widget in self.query(SettingsSection):
            ok, data = message.results.get(type(widget), (False, "not loaded"))
            if ok and isinstance(data, PricesInfo):
                self._unpriced = data.unpriced
            if ok:
                widget.show(data)
            else:
                widget.update(Text(f"error: {data}", style="bold"))
