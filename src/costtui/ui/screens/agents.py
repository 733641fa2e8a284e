"""Key 5: coding agents (Claude Code, Codex, Gemini CLI): the current 5-hour block, sessions,
projects and past blocks, from the imported logs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from costtui.formatting import SHORT, TimeZoneRule, duration, money, plural, safe, tokens
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    # Imported by the load worker: the store (and the price engine) stay out of first paint.
    from costtui.analytics.agents import AgentOverview, Block

EMPTY_HINT = (
    "No coding-agent usage yet. costtui reads Claude Code (~/.claude), Codex (~/.codex) and Gemini CLI "
    "(~/.gemini) logs while it runs, or now with `costtui import`."
)


_DATE_SUFFIX = re.compile(r"-\d{8}$")


def _short_model(models: tuple[str, ...] | set[str]) -> str:
    """One model name without its date suffix, and how many others there were."""
    names = sorted({_DATE_SUFFIX.sub("", m) for m in models if m})
    if not names:
        return "—"
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")


def _project(path: str) -> str:
    """The last two parts of a working directory (the whole path is in the tooltip-less table's
    width budget otherwise)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    return "/".join(parts[-2:]) if len(parts) > 2 else path or "—"


def render_block(data: AgentOverview, times: TimeZoneRule) -> RenderableType:
    now = data.now
    block = data.current
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True, min_width=9)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    if block is None:
        last = data.past[0] if data.past else None
        line = Text("No active block", style="bold")
        if last is not None:
            line.append(f" · last block ended {times.format(last.end, SHORT)}", style="dim")
        grid.add_row("block", line)
    else:
        official = data.official_reset()
        left = block.time_left(now)
        grid.add_row(
            "window",
            Text.assemble(
                (f"{times.format(block.start, '%H:%M')}–{times.format(block.end, '%H:%M')}", "bold"),
                f" · {duration(left)} left (estimate)",
                (f" · plan resets {times.format(official, '%H:%M')}", "bold") if official else "",
            ),
        )
        grid.add_row("spent", Text.assemble((money(block.cost_usd), "bold"), f" · {tokens(block.tokens)} tokens"))
        rate = block.burn_per_hour()
        tpm = block.tokens_per_minute()
        grid.add_row(
            "burn rate",
            Text(
                f"{money(rate)}/h · {tokens(round(tpm))} tokens/min"
                if rate is not None and tpm
                else "— (one request so far)"
            ),
        )
        projected = block.projected_cost(now)
        grid.add_row("projected", Text(money(projected) + " at block end" if projected is not None else "—"))
        names = sorted({_DATE_SUFFIX.sub("", m) for m in block.models})
        grid.add_row("models", Text(safe(", ".join(names) or "—")))
    for w in data.windows:
        pct = float(w.used_percent)
        filled = max(0, min(20, round(pct / 5)))
        bar = Text("█" * filled, style="red" if pct >= 90 else "yellow" if pct >= 70 else "green")
        bar.append("░" * (20 - filled), style="dim")
        label = f"{w.agent} {w.window or w.scope}"
        reset = f" · resets {times.format(w.resets_at, SHORT)}" if w.resets_at else ""
        grid.add_row(
            safe(label),
            Text.assemble(bar, f" {pct:.0f}% used{reset}", (f" · {safe(w.detail)}" if w.detail else "", "dim")),
        )
    if not data.windows:
        grid.add_row("limits", Text("no official limits in the logs (Codex logs carry them)", style="dim"))
    return Group(grid)


class AgentsScreen(DataScreen):
    """Key 5: coding-agent sessions and 5-hour blocks."""

    TITLE = "Agents"
    DEFAULT_CSS = """
    AgentsScreen #agents-body { padding: 0 1; }
    AgentsScreen.-empty #agents-body { display: none; }
    AgentsScreen #agents-empty { display: none; padding: 1 2; }
    AgentsScreen.-empty #agents-empty { display: block; }
    AgentsScreen #agents-status { height: auto; color: $text-muted; }
    AgentsScreen #agents-block { height: auto; border: round $primary 50%; padding: 0 1; }
    AgentsScreen DataTable { height: auto; max-height: 14; border: round $primary 30%; }
    """

    class Loaded(Message):
        def __init__(self, data: AgentOverview) -> None:
            super().__init__()
            self.data = data

    data: AgentOverview | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", classes="loading")
        yield Static(EMPTY_HINT, id="agents-empty")
        with VerticalScroll(id="agents-body"):
            yield Static("", id="agents-status")
            block = Static("", id="agents-block")
            block.border_title = "Current 5-hour block"
            yield block
            sessions: DataTable[str | Text] = DataTable(id="agents-sessions", cursor_type="row", zebra_stripes=True)
            sessions.border_title = "Sessions · last 30 days"
            yield sessions
            projects: DataTable[str | Text] = DataTable(id="agents-projects", cursor_type="row", zebra_stripes=True)
            projects.border_title = "Projects · last 30 days"
            yield projects
            past: DataTable[str | Text] = DataTable(id="agents-blocks", cursor_type="row", zebra_stripes=True)
            past.border_title = "Past 5-hour blocks"
            yield past
        yield KeyBar()

    def on_mount(self) -> None:
        self.add_class("-loading")
        t = self.query_one("#agents-sessions", DataTable)
        # Fixed widths: the tables never re-layout as rows arrive (stable live, and in snapshots).
        widths = {"last activity": 13, "agent": 11, "project": 16, "cost": 9, "tokens": 7, "duration": 8, "model": 18}
        for label, width in widths.items():
            t.add_column(label, key=label, width=width)
        p = self.query_one("#agents-projects", DataTable)
        widths = {"project": 22, "cost": 9, "tokens": 7, "sessions": 8, "agents": 18, "models": 18}
        for label, width in widths.items():
            p.add_column(label, key=label, width=width)
        b = self.query_one("#agents-blocks", DataTable)
        widths = {"start": 11, "cost": 9, "tokens": 7, "requests": 8, "active": 7, "models": 18}
        for label, width in widths.items():
            b.add_column(label, key=label, width=width)
        self.set_interval(1.0, self._tick_status)

    def load(self) -> None:
        self._load()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        from costtui.analytics.agents import overview

        app = self.cost_app
        data = overview(app.get_store(), app.now())
        self.post_if_current(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        times = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)
        self.remove_class("-loading")
        self.set_class(data.empty, "-empty")
        self.query_one("#agents-block", Static).update(render_block(data, times))
        self._fill_sessions(data, times)
        self._fill_projects(data)
        self._fill_blocks(data.past, times)
        self._tick_status()

    def _fill_sessions(self, data: AgentOverview, times: TimeZoneRule) -> None:
        t = self.query_one("#agents-sessions", DataTable)
        t.clear()
        for s in data.sessions:
            t.add_row(
                times.format(s.end, SHORT),
                s.source,
                Text(safe(_project(s.project))),
                Text(money(s.cost_usd, unpriced=s.unpriced > 0), justify="right"),
                Text(tokens(s.tokens), justify="right"),
                duration(s.end - s.start),
                Text(safe(_short_model(s.models))),
            )
        t.border_subtitle = plural(len(data.sessions), "session")

    def _fill_projects(self, data: AgentOverview) -> None:
        t = self.query_one("#agents-projects", DataTable)
        t.clear()
        for p in data.projects:
            t.add_row(
                Text(safe(_project(p.project))),
                Text(money(p.cost_usd), justify="right"),
                Text(tokens(p.tokens), justify="right"),
                str(p.sessions),
                ", ".join(p.sources),
                Text(safe(_short_model(p.models))),
            )

    def _fill_blocks(self, past: list[Block], times: TimeZoneRule) -> None:
        t = self.query_one("#agents-blocks", DataTable)
        t.clear()
        for b in past[:50]:
            t.add_row(
                times.format(b.start, SHORT),
                Text(money(b.cost_usd), justify="right"),
                Text(tokens(b.tokens), justify="right"),
                f"{b.events:,}",
                duration(b.last - b.first),
                Text(safe(_short_model(b.models))),
            )

    def _tick_status(self) -> None:
        data = self.data
        if data is None:
            return
        watcher = getattr(self.cost_app, "agent_watch", None)
        parts = []
        if watcher is not None and watcher.progress:
            parts.append(watcher.progress)
        elif watcher is not None and watcher.running:
            parts.append("watching the agents' logs")
        else:
            parts.append("logs not watched (costtui import)")
        parts.append(f"{money(data.total_cost)} over {plural(data.total_events, 'request')} in 30 days")
        self.query_one("#agents-status", Static).update(Text(" · ".join(parts)))
