"""Quotas (key 3): one card per provider account — spend vs limits, balances, rate-limit headroom,
health and last refresh — plus billed spend by provider over the last 30 days.

Everything shown comes from the store (``store.billing``), filled by provider sync (the
app's :class:`~costtui.ui.provider_sync.ProviderSyncRunner`, ``costtui sync`` or ``costtui
serve``); this screen never calls a provider itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from costtui.formatting import DATE, TimeZoneRule, money, safe
from costtui.ui.dialogs.account import AddAccountModal
from costtui.ui.dialogs.manual_cost import ManualCostModal
from costtui.ui.dialogs.passphrase import PassphraseModal
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar
from costtui.ui.widgets.plan_gauges import gauges

if TYPE_CHECKING:
    from costtui.analytics.plans import Burn
    from costtui.models import Account, AccountHealth, QuotaSnapshot
    from costtui.secrets import Credentials
    from costtui.store import Store

SPARK = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 24
HEALTH_STYLE = {"ok": "green", "stale": "yellow", "error": "bold red", "never": "dim", "disabled": "dim"}
HEALTH_MARK = {
    "ok": "● ok",
    "stale": "◐ stale",
    "error": "✗ error",
    "never": "○ never synced",
    "disabled": "– disabled",
}
MAX_RATE_ROWS = 6


@dataclass(frozen=True)
class AccountCard:
    account: Account
    health: AccountHealth
    quotas: list[QuotaSnapshot]
    history: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)
    billed_30d: Decimal = Decimal(0)
    key_source: str = ""
    billed_notes: list[str] = field(default_factory=list)
    """Caveats the provider attached to the billed figure (e.g. what it leaves out)."""
    burns: dict[tuple[str, str], Burn] = field(default_factory=dict)
    """When each window or balance runs out at the current rate (analytics.plans)."""


@dataclass(frozen=True)
class PlanCard:
    """A plan with no account of its own (Claude Code's status line, the Codex usage endpoint)."""

    provider: str
    account: str
    quotas: list[QuotaSnapshot]
    history: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)
    burns: dict[tuple[str, str], Burn] = field(default_factory=dict)
    last_success_at: datetime | None = None
    errors: list[str] = field(default_factory=list)
    """Each failing source's last error, in words."""


@dataclass(frozen=True)
class QuotasData:
    cards: list[AccountCard]
    backend: str
    locked: bool
    by_provider: list[tuple[str, Decimal]]
    since: str
    orphans: list[QuotaSnapshot] = field(default_factory=list)
    """Quotas of accounts that no longer exist (e.g. proxy-seen headers)."""
    plans: list[PlanCard] = field(default_factory=list)


def load_quotas(store: Store, settings: Any, now: datetime, credentials: Credentials | None = None) -> QuotasData:
    """Everything the screen shows (runs in a thread worker: SQLite and keyring lookups block)."""
    from costtui import secrets
    from costtui.analytics.health import account_health
    from costtui.analytics.plans import burn, is_plan, left_of
    from costtui.models import MONEY_KINDS, billed_notes

    cred = credentials or secrets.Credentials()

    accounts = store.billing.list_accounts()
    quotas = store.billing.latest_quotas()
    today = now.astimezone(UTC).date()
    since = today - timedelta(days=29)
    used_pct = store.plans.used_history(now - timedelta(days=8))

    def trends(mine: list[QuotaSnapshot]) -> tuple[dict[tuple[str, str], list[Decimal]], dict[tuple[str, str], Burn]]:
        """Each quota's history for its sparkline, and when it runs out at the current rate."""
        history: dict[tuple[str, str], list[Decimal]] = {}
        burns: dict[tuple[str, str], Burn] = {}
        for q in mine:
            key = (q.kind, q.scope)
            if is_plan(q) and q.limit is not None:
                points = used_pct.get((q.provider, q.account, q.kind, q.scope), [])
                history[key] = [v for _, v in points]
                left_pct = [(t, Decimal(100) - v) for t, v in points]
                now_left = left_of(q)
                if now_left is not None and q.limit > 0:
                    burns[key] = burn(left_pct, now_left / q.limit * 100, now, q.resets_at)
            elif q.kind in ("balance", "credits", "key_limit", "spend_limit"):
                snaps = store.billing.quota_history(
                    q.provider, q.account, q.kind, q.scope, since=now - timedelta(days=30)
                )
                values = [p.remaining if p.remaining is not None else p.used for p in snaps]
                history[key] = [v for v in values if v is not None]
                series = [(p.taken_at, v) for p in snaps if (v := left_of(p)) is not None]
                burns[key] = burn(series, left_of(q), now, q.resets_at)
        return history, burns

    cards = []
    known = set()
    for a in accounts:
        mine = [q for q in quotas if (q.provider, q.account) == (a.provider, a.name)]
        known.add((a.provider, a.name))
        history, burns = trends(mine)
        lines = store.billing.billed_lines(
            provider=a.provider, account=a.name, kinds=list(MONEY_KINDS), start=since, end=today
        )
        billed = sum((ln.cost_usd or Decimal(0) for ln in lines), start=Decimal(0))
        env = secrets.env_secret(a.secret_name)
        cards.append(
            AccountCard(
                account=a,
                health=account_health(store, a, settings, now),
                quotas=mine,
                history=history,
                billed_30d=billed,
                key_source=f"env {env[0]}" if env else "",
                billed_notes=billed_notes(lines),
                burns=burns,
            )
        )
    # Plans with no account: every quota of a (provider, account) that has plan windows.
    source_health = store.plans.health()
    plan_keys = sorted({(q.provider, q.account) for q in quotas if is_plan(q) and (q.provider, q.account) not in known})
    plan_cards = []
    for key in plan_keys:
        mine = [q for q in quotas if (q.provider, q.account) == key]
        history, burns = trends(mine)
        health = [h for h in source_health if (h.provider, h.account) == key]
        plan_cards.append(
            PlanCard(
                provider=key[0],
                account=key[1],
                quotas=mine,
                history=history,
                burns=burns,
                last_success_at=max((h.last_success_at for h in health if h.last_success_at), default=None),
                errors=[h.last_error for h in health if h.last_error],
            )
        )
    known.update(plan_keys)
    summary = store.billing.billed_summary(since, today)
    try:
        backend = cred.backend_name()
        locked = cred.needs_passphrase([a.secret_name for a in accounts if not a.is_demo])
    except secrets.SecretsError as exc:
        backend, locked = f"unavailable: {exc}", False
    return QuotasData(
        cards=cards,
        backend=backend,
        locked=locked,
        by_provider=sorted(summary.by_provider.items(), key=lambda kv: kv[1], reverse=True),
        since=since.isoformat(),
        orphans=[q for q in quotas if (q.provider, q.account) not in known],
        plans=plan_cards,
    )


# --------------------------------------------------------------------------- rendering


def bar(fraction: float | None, width: int = BAR_WIDTH) -> Text:
    """A text progress bar that reads without colour (NO_COLOR, screenshots)."""
    if fraction is None:
        return Text("░" * width, style="dim")
    filled = round(max(0.0, min(1.0, fraction)) * width)
    style = "red" if fraction >= 0.9 else "yellow" if fraction >= 0.75 else "green"
    text = Text("█" * filled, style=style)
    text.append("░" * (width - filled), style="dim")
    return text


def sparkline(values: Sequence[Decimal], width: int = 16) -> str:
    if len(values) < 2:
        return ""
    vals = [float(v) for v in values[-width:]]
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return SPARK[3] * len(vals)
    return "".join(SPARK[round((v - lo) / (hi - lo) * (len(SPARK) - 1))] for v in vals)


def amount(value: Decimal | None, unit: str) -> str:
    from costtui.formatting import quota_amount

    return quota_amount(value, unit)


def until(ts: datetime | None, now: datetime, times: TimeZoneRule | None = None) -> str:
    if ts is None:
        return ""
    seconds = (ts - now).total_seconds()
    if seconds <= 0:
        return "now"
    if seconds < 90:
        return f"in {seconds:.0f}s"
    if seconds < 5400:
        return f"in {seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"in {seconds / 3600:.0f} h"
    return (times or TimeZoneRule()).format(ts, DATE)


def ago(ts: datetime | None, now: datetime, times: TimeZoneRule | None = None) -> str:
    if ts is None:
        return "never"
    seconds = (now - ts).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h ago"
    return (times or TimeZoneRule()).stamp(ts)


LABELS = {
    "spend_limit": "spend limit",
    "key_limit": "key limit",
    "credits": "credits",
    "balance": "balance",
    "usage.day": "used today",
    "usage.week": "used this week",
    "usage.month": "used this month",
}


def quota_row(
    q: QuotaSnapshot,
    history: Sequence[Decimal],
    now: datetime,
    width: int = BAR_WIDTH,
    times: TimeZoneRule | None = None,
    burn: Burn | None = None,
) -> tuple[Text, Text]:
    label = LABELS.get(q.kind, safe(q.kind).replace("rate_limit.", "rate limit ").replace("_", " "))
    if q.window and q.kind in ("spend_limit", "key_limit"):
        label += f" ({safe(q.window)})"
    if q.scope and q.kind not in ("balance",):
        label += f" · {safe(q.scope)}"
    elif q.kind == "balance" and q.scope:
        label += f" {safe(q.scope).upper()}"
    line = Text()
    frac = q.fraction_used
    if q.kind.startswith("rate_limit") and q.limit is not None and q.remaining is not None:
        line.append_text(bar(frac, width))
        line.append(f"  {q.remaining:,} / {q.limit:,} {safe(q.unit)} left", style="bold")
    elif q.limit is not None and (q.used is not None or q.remaining is not None):
        line.append_text(bar(frac, width))
        used = q.used if q.used is not None else (q.limit - q.remaining if q.remaining is not None else None)
        line.append(f"  {amount(used, q.unit)} of {amount(q.limit, q.unit)}")
        if q.remaining is not None:
            line.append(f" · {amount(q.remaining, q.unit)} left", style="bold")
    elif q.remaining is not None:
        line.append(f"{amount(q.remaining, q.unit)} left", style="bold")
    elif q.limit is not None:
        line.append(f"limit {amount(q.limit, q.unit)}")
    elif q.used is not None:
        line.append(amount(q.used, q.unit))
    reset = until(q.resets_at, now, times)
    if reset:
        line.append(f" · resets {reset}" if not q.kind.startswith("rate_limit") else f" · full {reset}", style="dim")
    if burn is not None and burn.runs_out_at is not None:
        line.append(f" · runs out {until(burn.runs_out_at, now, times)} at this rate", style="yellow")
    spark = sparkline(history)
    if spark:
        line.append(f"  {spark}", style="cyan")
    if q.detail and not q.kind.startswith("configured_rate_limit"):
        line.append(f"\n{safe(q.detail)}", style="dim italic")
    return Text(label, style="dim"), line


def render_card(
    card: AccountCard,
    now: datetime,
    width: int = BAR_WIDTH,
    times: TimeZoneRule | None = None,
    columns: int = 2,
) -> RenderableType:
    from costtui.analytics.plans import is_plan
    from costtui.providers import get_info

    windows = [q for q in card.quotas if is_plan(q)]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=18, max_width=34)
    grid.add_column(overflow="fold")
    main = [q for q in card.quotas if not q.kind.startswith("configured_rate_limit") and not is_plan(q)]
    configured = [q for q in card.quotas if q.kind.startswith("configured_rate_limit")]
    order = ["spend_limit", "key_limit", "credits", "balance", "usage.day", "usage.week", "usage.month"]
    main.sort(key=lambda q: (order.index(q.kind) if q.kind in order else len(order), q.kind, q.scope))
    for q in main:
        key = (q.kind, q.scope)
        grid.add_row(*quota_row(q, card.history.get(key, []), now, width, times, card.burns.get(key)))
    if configured:
        shown = configured[:MAX_RATE_ROWS]
        for q in shown:
            unit = safe(q.unit)
            scope = safe(q.scope).split("/")[-1] if q.scope else ""
            grid.add_row(Text(f"limit · {scope}"[:34], style="dim"), Text(f"{amount(q.limit, '')} {unit}".strip()))
        if len(configured) > len(shown):
            grid.add_row(
                Text("", style="dim"), Text(f"+{len(configured) - len(shown)} more configured limits", style="dim")
            )
    if not card.quotas:
        info = get_info(card.account.provider)
        hint = (
            "no limits reported yet — press s to sync"
            if info.has_api
            else "no billing API: press c to add a cost by hand"
        )
        grid.add_row(Text("limits", style="dim"), Text(hint, style="dim"))
    h = card.health
    footer = Text()
    footer.append("refreshed ", style="dim")
    newest = max((q.taken_at for q in card.quotas), default=None)
    footer.append(ago(h.last_success_at or newest, now, times))
    footer.append(" · billed 30 days ", style="dim")
    footer.append(money(card.billed_30d))
    if card.key_source:
        footer.append(f" · key from {safe(card.key_source)}", style="dim")
    parts: list[RenderableType] = []
    if windows:
        parts.append(
            gauges(windows, card.history, card.burns, now, width=width, columns=columns, until=until, times=times)
        )
    if grid.row_count:
        parts.append(grid)
    parts.append(footer)
    parts.extend(Text(f"billed: {safe(note)}", style="dim italic") for note in card.billed_notes)
    if h.health == "error" and h.last_error:
        parts.append(Text(f"last error: {safe(h.last_error)}", style="red"))
    return Group(*parts)


SOURCE_WORDS = {"statusline": "Claude Code's status line", "api": "usage endpoint"}
PLAN_TITLES = {
    ("anthropic", "claude-code"): "Claude Pro/Max plan · Claude Code",
    ("openai", "codex"): "ChatGPT / Codex plan · Codex",
}


def plan_title(provider: str, account: str) -> str:
    from costtui.vocabulary import title

    return PLAN_TITLES.get((provider, account), f"{title(provider)} plan · {account}")


def render_plan_card(
    card: PlanCard, now: datetime, width: int = BAR_WIDTH, times: TimeZoneRule | None = None, columns: int = 2
) -> RenderableType:
    from costtui.analytics.plans import is_plan

    windows = [q for q in card.quotas if is_plan(q)]
    rest = [q for q in card.quotas if not is_plan(q)]
    parts: list[RenderableType] = [
        gauges(windows, card.history, card.burns, now, width=width, columns=columns, until=until, times=times)
    ]
    if rest:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, min_width=18, max_width=34)
        grid.add_column(overflow="fold")
        for q in rest:
            key = (q.kind, q.scope)
            grid.add_row(*quota_row(q, card.history.get(key, []), now, width, times, card.burns.get(key)))
        parts.append(grid)
    newest = max((q.taken_at for q in card.quotas), default=None)
    sources = sorted({SOURCE_WORDS.get(q.source, q.source) for q in windows})
    footer = Text()
    footer.append("data from ", style="dim")
    footer.append(ago(newest, now, times))
    if sources:
        footer.append(f" · {', '.join(safe(x) for x in sources)}", style="dim")
    parts.append(footer)
    parts.extend(Text(f"last error: {safe(err)}", style="red") for err in card.errors)
    return Group(*parts)


class PlanCardWidget(Static):
    DEFAULT_CSS = """
    PlanCardWidget { height: auto; border: round $accent 50%; padding: 0 1; }
    PlanCardWidget.-error { border: round $error; }
    """

    def __init__(
        self, card: PlanCard, now: datetime, width: int = BAR_WIDTH, times: TimeZoneRule | None = None, columns: int = 2
    ) -> None:
        super().__init__(render_plan_card(card, now, width, times, columns))
        self.border_title = Text(plan_title(card.provider, card.account))
        self.border_subtitle = HEALTH_MARK["error"] if card.errors else HEALTH_MARK["ok"]
        self.set_class(bool(card.errors), "-error")


def render_spend(data: QuotasData) -> RenderableType:
    if not data.by_provider:
        return Text(
            "No billed costs in the last 30 days (provider costs arrive with sync; manual ones with costtui add-cost).",
            style="dim",
        )
    top = max(v for _, v in data.by_provider) or Decimal(1)
    total = sum((v for _, v in data.by_provider), start=Decimal(0))
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for provider, value in data.by_provider:
        width = max(1, round(float(value / top) * 30)) if value > 0 else 0
        share = f"{value / total * 100:.0f}%" if total > 0 else ""
        table.add_row(Text(safe(provider)), Text("█" * width, style="magenta"), money(value), Text(share, style="bold"))
    return table


def render_orphans(quotas: Sequence[QuotaSnapshot], now: datetime, times: TimeZoneRule | None = None) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=18, max_width=40)
    grid.add_column(overflow="fold")
    for q in quotas:
        label, line = quota_row(q, [], now, times=times)
        label = Text(f"{safe(q.provider)}/{safe(q.account)} ", style="dim") + label
        line.append(f" · {safe(q.source)} {ago(q.taken_at, now, times)}", style="dim")
        grid.add_row(label, line)
    return grid


class AccountCardWidget(Static):
    DEFAULT_CSS = """
    AccountCardWidget { height: auto; border: round $primary 50%; padding: 0 1; }
    AccountCardWidget.-error { border: round $error; }
    AccountCardWidget.-stale { border: round $warning; }
    AccountCardWidget.-disabled { opacity: 60%; }
    """

    def __init__(
        self,
        card: AccountCard,
        now: datetime,
        width: int = BAR_WIDTH,
        times: TimeZoneRule | None = None,
        columns: int = 2,
    ) -> None:
        super().__init__(render_card(card, now, width, times, columns))
        a, h = card.account, card.health
        # A Text, not a str: a str title is read as markup, and the name came from outside.
        self.border_title = Text(f"{safe(a.label)} · {a.key_kind} · {safe(a.key_fp) or 'no key'}")
        self.border_subtitle = HEALTH_MARK.get(h.health, h.health)
        self.add_class(f"-{h.health}")


class HeaderLimitsWidget(Static):
    DEFAULT_CSS = """
    HeaderLimitsWidget { height: auto; border: round $primary 30%; padding: 0 1; }
    """

    def __init__(self, renderable: RenderableType, *, from_logs: bool = False) -> None:
        super().__init__(renderable)
        self.border_title = (
            "Seen in response headers and agent logs" if from_logs else "Seen in response headers (proxy, probes)"
        )


class QuotasScreen(DataScreen):
    """Key 3: limits, balances, rate-limit headroom and account health."""

    TITLE = "Quotas"
    DEFAULT_CSS = """
    QuotasScreen #quotas-body { padding: 0 1; }
    QuotasScreen.-empty #quotas-body { display: none; }
    QuotasScreen #quotas-status { height: auto; padding: 0 1; color: $text-muted; }
    QuotasScreen #quotas-locked { height: auto; padding: 0 1; margin: 0 0 1 0; display: none;
        background: $warning 15%; border-left: thick $warning; }
    QuotasScreen.-locked #quotas-locked { display: block; }
    QuotasScreen #quota-cards { height: auto; }
    QuotasScreen #quotas-spend { height: auto; border: round $primary 50%; padding: 0 1; }
    """
    BINDINGS = [
        Binding(
            "s",
            "sync_now",
            "Sync now",
            tooltip="Pull usage, costs and limits from every provider now",
            id="quotas.sync",
        ),
        Binding(
            "u", "unlock", "Unlock keys", tooltip="Type the passphrase of the encrypted key file", id="quotas.unlock"
        ),
        Binding("a", "add_account", "Add account", tooltip="Add a provider key", id="quotas.add"),
        Binding(
            "c",
            "add_cost",
            "Manual cost",
            tooltip="Record a cost by hand (providers with no billing API)",
            id="quotas.add_cost",
        ),
    ]

    class Loaded(Message):
        def __init__(self, data: QuotasData) -> None:
            super().__init__()
            self.data = data

    data: QuotasData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", classes="loading")
        yield EmptyState("accounts", id="quotas-empty")
        with VerticalScroll(id="quotas-body"):
            yield Static("", id="quotas-locked")
            yield Static("", id="quotas-status")
            yield Vertical(id="quota-cards")
            spend = Static("", id="quotas-spend")
            spend.border_title = "Share of billed spend by provider · last 30 days"
            yield spend
        yield KeyBar()

    def on_mount(self) -> None:
        self.add_class("-loading")
        self.set_interval(2.0, self._tick_status)

    def load(self) -> None:
        self._load()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        app = self.cost_app
        data = load_quotas(app.get_store(), app.settings.sync, app.now(), app.credentials)
        self.post_if_current(self.Loaded(data))

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        now = self.cost_app.now()
        self.remove_class("-loading")
        self.set_class(not data.cards and not data.orphans and not data.plans, "-empty")
        self.set_class(data.locked and bool(data.cards), "-locked")
        self.refresh_bindings()
        self.query_one("#quotas-locked", Static).update(
            Text.assemble(
                ("Keys are locked. ", "bold"),
                "No usable system keyring: the encrypted key file needs its "
                "passphrase before costtui can sync. Press u to unlock (or set COSTTUI_KEYRING_PASSPHRASE).",
            )
        )
        container = self.query_one("#quota-cards", Vertical)
        await container.remove_children()
        wide = self.app.size.width >= 100
        width = BAR_WIDTH if wide else BAR_WIDTH // 2  # 80x24 over SSH
        columns = max(2, (self.app.size.width - 6) // (width + 8))  # plan windows side by side
        times = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)
        await container.mount_all(PlanCardWidget(card, now, width, times, columns) for card in data.plans)
        await container.mount_all(AccountCardWidget(card, now, width, times, columns) for card in data.cards)
        if data.orphans:
            # Limits seen in response headers (the proxy, a probe) for keys that are not accounts here.
            await container.mount(
                HeaderLimitsWidget(
                    render_orphans(data.orphans, now, times), from_logs=any(q.source == "log" for q in data.orphans)
                )
            )
        self.query_one("#quotas-spend", Static).update(render_spend(data))
        self._tick_status()

    def _tick_status(self) -> None:
        if self.data is None:
            return
        from costtui.ui.provider_sync import runner_of

        runner = runner_of(self.app)
        parts = [f"keys: {self.data.backend}"]
        if runner is not None:
            if runner.running:
                detail = "; ".join(runner.progress.get(p, p) for p in runner.running)
                parts.append(f"syncing {detail}")
            elif not runner.enabled:
                parts.append("automatic sync off (s syncs now)")
            else:
                s = runner.app.settings.sync
                parts.append(
                    f"auto sync: limits every {s.quota_interval_minutes:g} min, usage every "
                    f"{s.usage_interval_minutes:g} min · s syncs now"
                )
        self.query_one("#quotas-status", Static).update(" · ".join(parts))

    # ------------------------------------------------------------------ actions

    def action_sync_now(self) -> None:
        from costtui.ui.provider_sync import runner_of

        runner = runner_of(self.app)
        if runner is None:
            self.notify("Sync is not available in this window; run costtui sync.", severity="warning")
            return
        runner.refresh_now()
        self.notify("Syncing every provider…", timeout=2)
        self._tick_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Unlock keys" only while the key file is locked: the footer has no room for idle keys.
        if action == "unlock":
            return self.data is not None and self.data.locked
        return True

    def action_unlock(self) -> None:
        self.app.push_screen(PassphraseModal(), lambda ok: self.reload() if ok else None)

    def action_add_account(self) -> None:
        self.app.push_screen(AddAccountModal(), lambda ok: self.cost_app.data_changed() if ok else None)

    def action_add_cost(self) -> None:
        self.app.push_screen(
            ManualCostModal(self.cost_app.now().date()), lambda ok: self.cost_app.data_changed() if ok else None
        )

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("fetch: refresh all", "Sync every provider account now", self.action_sync_now)
        yield SystemCommand("keys: unlock", "Type the passphrase of the encrypted key file", self.action_unlock)
        yield SystemCommand("keys: add account", "Add a provider key", self.action_add_account)
        yield SystemCommand("costs: add manual cost", "Record a cost by hand", self.action_add_cost)
