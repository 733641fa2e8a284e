"""Budgets (key 6): each budget's period so far as a bar, with the spend projected to the period's
end; add, edit and delete them; and the alerts log, with where each alert was sent and how it went.

The numbers come from ``analytics.budgets`` (the same as ``costtui budgets list`` and ``status
--json``); the app's budget watch (``ui/budget_alerts.py``) raises the alerts this log shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Header, ListItem, ListView, Static

from costtui.formatting import DATETIME, TimeZoneRule, money, safe
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from costtui.analytics.budgets import BudgetStatus
    from costtui.config import AlertSettings
    from costtui.models import AlertDelivery, BudgetAlert
    from costtui.store import Store

STATE_LOOK = {"ok": ("ok", "green"), "warning": ("warning", "yellow"), "exceeded": ("EXCEEDED", "bold red")}
DELIVERY_MARK = {"sent": "✓", "failed": "✗", "sending": "…"}
ALERT_ROWS = 100


@dataclass(frozen=True)
class BudgetsData:
    statuses: list[BudgetStatus]
    alerts: list[tuple[BudgetAlert, list[AlertDelivery]]]
    channels: str
    """The channels beyond this window, in words ("webhook hooks.slack.com, email to ops@…")."""


def channels_text(settings: AlertSettings) -> str:
    from urllib.parse import urlsplit

    parts = [f"{w.format} webhook {urlsplit(w.url).hostname}" for w in settings.webhooks]
    if settings.email is not None:
        parts.append(f"email to {', '.join(settings.email.to)}")
    here = [name for name, on_ in (("toast", settings.toast), ("bell", settings.bell)) if on_]
    return " · ".join(
        [
            f"here: {' + '.join(here) if here else 'off'}",
            "also: " + (", ".join(parts) if parts else "no webhook or email ([alerts] in the config file)"),
        ]
    )


def load_budgets(store: Store, now: datetime, settings: AlertSettings) -> BudgetsData:
    """Everything the screen shows (a thread worker: SQLite blocks)."""
    from costtui.analytics.budgets import budget_statuses

    alerts = store.budgets.alerts(limit=ALERT_ROWS)
    deliveries = store.budgets.deliveries([a.id for a in alerts if a.id is not None])
    return BudgetsData(
        statuses=budget_statuses(store, now),
        alerts=[(a, deliveries.get(a.id or 0, [])) for a in alerts],
        channels=channels_text(settings),
    )


# --------------------------------------------------------------------------- rendering


def budget_bar(status: BudgetStatus, width: int) -> Text:
    """Spent so far (solid), the projection beyond it (shaded), and the limit as the bar's end."""
    limit = status.budget.limit_usd
    spent = min(1.0, float(status.spend / limit))
    projected = min(1.0, float(status.projected / limit))
    filled = round(spent * width)
    ahead = max(0, round(projected * width) - filled)
    colour = STATE_LOOK[status.state][1]
    text = Text("█" * filled, style=colour)
    text.append("▒" * ahead, style="dim " + ("red" if status.projected_over else colour))
    text.append("░" * (width - filled - ahead), style="dim")
    return text


def _what(status: BudgetStatus) -> str:
    b = status.budget
    return f"{b.period} · {safe(b.scope_label)}" + (" · enforced" if b.enforce else "")


def render_budget(status: BudgetStatus, width: int, times: TimeZoneRule, columns: tuple[int, int] = (0, 0)) -> Text:
    """Two lines: name, period and scope, state (``columns`` pads the first two so that a list
    lines up); then the bar, spent of limit, percent, and the projection to the period's end."""
    b = status.budget
    word, style = STATE_LOOK[status.state]
    head = Text()
    head.append(safe(b.name).ljust(columns[0]), style="bold")
    head.append("  ")
    head.append(_what(status).ljust(columns[1]), style="dim")
    head.append("  ")
    head.append(word, style=style)
    bar_width = max(8, min(40, width - 56))
    line = budget_bar(status, bar_width)
    line.append(f" {money(status.spend)} of {money(b.limit_usd)} ({status.percent}%)")
    last_day = times.format(status.period_end - timedelta(days=1), "%b %-d") if status.period_end else ""
    line.append(
        f"  → {money(status.projected)} by {last_day}",
        style="bold red" if status.projected_over else "dim",
    )
    return Text.assemble(head, "\n", line)


def delivery_text(deliveries: list[AlertDelivery]) -> Text:
    if not deliveries:
        return Text("shown here only", style="dim")
    out = Text()
    for i, d in enumerate(deliveries):
        if i:
            out.append(" · ")
        failed = d.status == "failed"
        out.append(f"{DELIVERY_MARK[d.status]} {d.channel}", style="bold red" if failed else "")
        if failed and d.error:
            out.append(f": {d.error}", style="red")
    return out


class BudgetItem(ListItem):
    def __init__(self, status: BudgetStatus, width: int, times: TimeZoneRule, columns: tuple[int, int]) -> None:
        super().__init__(Static(render_budget(status, width, times, columns)))
        self.status = status


class BudgetsScreen(DataScreen):
    """Key 6: budgets with their bars and projections, and the alerts log."""

    TITLE = "Budgets"
    DEFAULT_CSS = """
    BudgetsScreen #budgets-body { height: 1fr; padding: 0 1; }
    BudgetsScreen.-empty #budgets-list { display: none; }
    BudgetsScreen #budgets-empty { display: none; height: auto; padding: 1 2; border: round $primary; margin: 1 0; }
    BudgetsScreen.-empty #budgets-empty { display: block; }
    BudgetsScreen #budgets-list { height: auto; max-height: 60%; border: round $primary 50%; }
    BudgetsScreen #budgets-list > ListItem { padding: 0 1; height: 2; }
    BudgetsScreen #alerts-log { height: 1fr; min-height: 5; border: round $primary 50%; }
    BudgetsScreen #alerts-channels { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("a", "add_budget", "Add budget", tooltip="Add a budget", id="budgets.add"),
        Binding("e", "edit_budget", "Edit", tooltip="Edit the selected budget", id="budgets.edit"),
        Binding("d", "delete_budget", "Delete", tooltip="Delete the selected budget", id="budgets.delete"),
    ]

    class Loaded(Message):
        def __init__(self, data: BudgetsData) -> None:
            super().__init__()
            self.data = data

    data: BudgetsData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", classes="loading")
        with Vertical(id="budgets-body"):
            yield Static(
                Text.assemble(
                    ("No budgets yet.\n\n", "bold"),
                    "A budget is a limit per day, week or month, over everything or one provider, account,\n"
                    "app, model, user, team or project, with alerts at 50, 80 and 100% of it.\n\n",
                    "  • press a to add one\n",
                    "  • or in a shell: costtui budgets add monthly --limit 100",
                ),
                id="budgets-empty",
            )
            budgets = ListView(id="budgets-list")
            budgets.border_title = "Budgets · this period (UTC)"
            yield budgets
            table: DataTable[Text | str] = DataTable(id="alerts-log", cursor_type="row", zebra_stripes=True)
            table.border_title = "Alerts log"
            yield table
            yield Static("", id="alerts-channels")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#alerts-log", DataTable)
        zone = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone).label(self.cost_app.now())
        table.add_columns(f"fired ({zone})", "budget", "at", "spent / limit", "sent")

    def load(self) -> None:
        self._load()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        app = self.cost_app
        self.post_if_current(self.Loaded(load_budgets(app.get_store(), app.now(), app.settings.alerts)))

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        for label in self.query(".loading"):
            label.display = False
        self.set_class(not data.statuses, "-empty")
        times = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)
        width = self.app.size.width - 6
        budgets = self.query_one("#budgets-list", ListView)
        selected = self.selected()
        index = budgets.index
        await budgets.clear()
        columns = (
            min(24, max((len(safe(s.budget.name)) for s in data.statuses), default=0)),
            min(40, max((len(_what(s)) for s in data.statuses), default=0)),
        )
        await budgets.extend(BudgetItem(s, width, times, columns) for s in data.statuses)
        if data.statuses:
            ids = [s.budget.id for s in data.statuses]
            keep = selected is not None and selected.budget.id in ids
            budgets.index = ids.index(selected.budget.id) if keep and selected else min(index or 0, len(ids) - 1)
        table = self.query_one("#alerts-log", DataTable)
        table.clear()
        for alert, deliveries in data.alerts:
            table.add_row(
                times.format(alert.fired_at, DATETIME),
                Text(safe(alert.budget_name)),
                f"{alert.threshold}%",
                f"{money(alert.spend_usd)} / {money(alert.limit_usd)}",
                delivery_text(deliveries),
            )
        # Said in the frame, not as a row: a row of words would stretch the budget column.
        table.border_subtitle = "" if data.alerts else "no alerts yet: each threshold alerts once per period"
        self.query_one("#alerts-channels", Static).update(Text(data.channels))
        if data.statuses and self.focused is None:
            budgets.focus()  # the highlighted budget is the one e and d act on: make it visible
        self.refresh_bindings()

    # ------------------------------------------------------------------ actions

    def selected(self) -> BudgetStatus | None:
        item = self.query_one("#budgets-list", ListView).highlighted_child
        return item.status if isinstance(item, BudgetItem) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Edit and delete need a budget: hidden from the footer while there is none.
        if action in ("edit_budget", "delete_budget"):
            return self.data is not None and bool(self.data.statuses)
        return True

    @on(ListView.Selected, "#budgets-list")
    def _chosen(self) -> None:
        self.action_edit_budget()

    def action_add_budget(self) -> None:
        from costtui.ui.dialogs.budget_form import BudgetFormModal

        self.app.push_screen(BudgetFormModal(), self._after_form)

    def action_edit_budget(self) -> None:
        from costtui.ui.dialogs.budget_form import BudgetFormModal

        status = self.selected()
        if status is not None:
            self.app.push_screen(BudgetFormModal(status.budget), self._after_form)

    def _after_form(self, saved: bool | None) -> None:
        if saved:
            self.reload()
            self.cost_app.check_budgets_soon()

    def action_delete_budget(self) -> None:
        from costtui.ui.dialogs.confirm import ConfirmModal

        status = self.selected()
        if status is None:
            return
        budget = status.budget

        def confirmed(yes: bool | None) -> None:
            if yes and budget.id is not None:
                self._delete(budget.id, budget.name)

        self.app.push_screen(
            ConfirmModal(f"Delete the budget {budget.name}? Its alerts stay in the log.", "Delete"), confirmed
        )

    @work(thread=True, group="budget-delete", exit_on_error=False)
    def _delete(self, budget_id: int, name: str) -> None:
        self.cost_app.get_store().budgets.remove(budget_id)
        self.app.call_from_thread(self.notify, f"Budget {safe(name)} deleted.", markup=False)
        self.app.call_from_thread(self.reload)

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("budgets: add", "Add a budget", self.action_add_budget)
        yield SystemCommand("budgets: edit", "Edit the selected budget", self.action_edit_budget)
        yield SystemCommand("budgets: delete", "Delete the selected budget", self.action_delete_budget)
