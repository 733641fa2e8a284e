"""The "Proxy rules" block of the Settings screen: the rules in effect, the enforced budgets, and
where they are set (``l`` edits them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from costtui import paths
from costtui.config import ConfigError, RulesSettings, load_settings, save_rules
from costtui.rules.describe import describe, describe_budgets, env_overrides
from costtui.ui.sections import SettingsSection
from costtui.ui.widgets.kv import kv_table

if TYPE_CHECKING:
    from costtui.store import Store
    from costtui.ui.app import CostApp


def config_file(app: CostApp) -> Path:
    """The config file the app was started with (``--config``, ``COSTTUI_CONFIG`` or the usual one)."""
    return app.config_file or paths.config_path()


@dataclass(frozen=True)
class RulesInfo:
    rules: RulesSettings
    budgets: str
    config: Path
    overrides: list[str]


class RulesSection(SettingsSection):
    TITLE = "Proxy rules"

    @classmethod
    def load(cls, app: CostApp, store: Store) -> RulesInfo:
        return RulesInfo(
            rules=app.settings.rules,
            budgets=describe_budgets(store.budgets.all()),
            config=config_file(app),
            overrides=env_overrides(),
        )

    def render_data(self, data: RulesInfo) -> RenderableType:
        app: CostApp = self.app  # type: ignore[assignment]
        key = app.key_display("settings.rules", "l")
        rows = [*describe(data.rules), ("enforced budgets", data.budgets)]
        parts: list[RenderableType] = []
        if not data.rules.any_rule:
            parts.append(Text("No rules set: the proxy forwards every call (enforced budgets apply).\n", style="dim"))
        parts.append(kv_table(rows))
        where = f"\n[rules] in {data.config} · {key} edits them · costtui rules check"
        parts.append(Text(where, style="dim"))
        if data.overrides:
            parts.append(
                Text(f"set by the environment, which wins over the file: {', '.join(data.overrides)}", style="bold")
            )
        return Group(*parts)


def edit_rules(app: CostApp, on_saved: Callable[[], object] | None = None) -> None:
    """Open the rules dialog; what it returns is written to the config file in a worker and is in
    effect in this app at once."""
    from costtui.ui.dialogs.rules import RulesDialog

    overrides = env_overrides()
    note = f"Set in the environment, and winning over what is saved here: {', '.join(overrides)}." if overrides else ""

    def saved(rules: RulesSettings | None) -> None:
        if rules is not None:
            app.run_worker(_save(app, rules, on_saved), group="rules", exit_on_error=False)

    app.push_screen(RulesDialog(app.settings.rules, note=note), saved)


async def _save(app: CostApp, rules: RulesSettings, on_saved: Callable[[], object] | None) -> None:
    path = config_file(app)

    def write() -> RulesSettings:
        save_rules(path, rules)
        # Read back as the app would at start (the environment still wins over the file).
        return load_settings(path).rules

    try:
        effective = await asyncio.to_thread(write)
    except ConfigError as exc:
        app.notify(str(exc), title="rules", severity="error", timeout=10, markup=False)
        return
    app.settings.rules = effective
    listener = app.embedded_listener.listener
    if listener is not None:
        listener.set_rules(effective)
    app.notify(f"Rules saved to {path}.", title="rules", timeout=6, markup=False)
    if on_saved is not None:
        on_saved()
