"""The rules the proxy enforces, as a :class:`~costtui.rules.policy.ProxyPolicy`.

Admission runs in the proxy's event loop on every call, so it never touches SQLite there: the
enforced budgets and their period spend are read in a thread and kept for a few seconds, and
everything else (model lists, the cost estimate, rate windows, content filters) is in memory.

Budgets are exact to within one request: each admitted call reserves its estimated cost until
:meth:`RuleEngine.settle` replaces the estimate by the real cost, and the check and the
reservation happen with no ``await`` between them, so any number of concurrent calls see each
other's reservations. A settled cost is counted locally until a spend read started well after
it (``SETTLE_GRACE`` seconds, time for the recorder to commit it) includes it, so a call is never
counted zero times; for a few seconds near the limit it may be counted twice, which refuses
early rather than overspend.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.config import RuleAction, RulesSettings
from costtui.formatting import money
from costtui.models import Budget, UsageEvent
from costtui.pricing import quantize
from costtui.rules import filters
from costtui.rules.policy import Decision, ProxyCall
from costtui.vocabulary import canonical_provider, is_known

if TYPE_CHECKING:
    from costtui.store import Store

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
SPEND_TTL = 2.0
"""Seconds a budget's spend read from the database is used before it is read again (in the
background: admissions go on with the last figure meanwhile)."""
BUDGETS_TTL = 5.0
"""Seconds before the list of enforced budgets is read again (a budget added in the TUI or the
CLI is enforced within this time)."""
SETTLE_GRACE = 5.0
"""Seconds a settled cost is counted locally after the call ended (see the module docstring)."""
MAX_WINDOWS = 50_000


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- model lists


class ModelMatcher:
    """Glob patterns over model names; ``provider:pattern`` limits one to a provider."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        plain: list[str] = []
        scoped: list[str] = []
        for p in patterns:
            head, sep, rest = p.partition(":")
            # A known provider before the colon scopes the pattern; otherwise the colon is part of
            # the model name (llama3:8b).
            if sep and rest and is_known(head):
                scoped.append(f"{canonical_provider(head)}:{rest.lower()}")
            else:
                plain.append(p.lower())
        self._plain = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in plain)) if plain else None
        self._scoped = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in scoped)) if scoped else None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, provider: str, model: str) -> bool:
        model = model.lower()
        if self._plain is not None and self._plain.match(model):
            return True
        return self._scoped is not None and self._scoped.match(f"{provider}:{model}") is not None


# --------------------------------------------------------------------------- rate windows


class _Entry:
    __slots__ = ("live", "tokens", "ts")

    def __init__(self, ts: float, tokens: int) -> None:
        self.ts = ts
        self.tokens = tokens
        self.live = True


class _Window:
    """Requests and tokens of one key (or app, or user) over the last minute."""

    __slots__ = ("entries", "tokens")

    def __init__(self) -> None:
        self.entries: deque[_Entry] = deque()
        self.tokens = 0

    def prune(self, now: float) -> None:
        horizon = now - WINDOW_SECONDS
        entries = self.entries
        while entries and entries[0].ts <= horizon:
            old = entries.popleft()
            old.live = False
            self.tokens -= old.tokens

    def wait_for_requests(self, now: float, over: int) -> float:
        """Seconds until ``over`` requests have left the window."""
        if over <= 0 or not self.entries:
            return 0.0
        entry = self.entries[min(over, len(self.entries)) - 1]
        return max(entry.ts + WINDOW_SECONDS - now, 0.0)

    def wait_for_tokens(self, now: float, over: int) -> float:
        """Seconds until ``over`` tokens have left the window."""
        freed = 0
        for entry in self.entries:
            freed += entry.tokens
            if freed >= over:
                return max(entry.ts + WINDOW_SECONDS - now, 0.0)
        return WINDOW_SECONDS


@dataclass(frozen=True)
class _Limit:
    dimension: str
    """``key``, ``app`` or ``user``: the ProxyCall field the window is per."""
    rpm: int | None
    tpm: int | None


# --------------------------------------------------------------------------- budgets


class _BudgetState:
    """One enforced budget: its period's spend as last read, and what this process holds on it."""

    __slots__ = (
        "budget",
        "generation",
        "period_end",
        "period_start",
        "read_at",
        "refreshing",
        "reserved",
        "settled",
        "settled_total",
        "spend",
    )

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.period_start: datetime | None = None
        self.period_end: datetime | None = None
        self.spend: Decimal | None = None
        self.read_at = 0.0
        self.reserved = Decimal(0)
        self.settled: deque[tuple[float, Decimal]] = deque()
        self.settled_total = Decimal(0)
        self.refreshing: asyncio.Task[None] | None = None
        self.generation = 0

    def used(self) -> Decimal:
        return (self.spend or Decimal(0)) + self.reserved + self.settled_total

    def forget_settled(self, horizon: float) -> None:
        """Stop counting the settled costs a spend read started at ``horizon`` + grace includes."""
        while self.settled and self.settled[0][0] <= horizon:
            self.settled_total -= self.settled.popleft()[1]


@dataclass
class Reservation:
    """What admission held for one call; :meth:`RuleEngine.settle` gives it back."""

    cost: Decimal
    tokens: int
    budgets: list[tuple[_BudgetState, int]] = field(default_factory=list)
    entries: list[tuple[_Window, _Entry]] = field(default_factory=list)
    settled: bool = False


def _budget_matches(budget: Budget, call: ProxyCall, provider: str) -> bool:
    scope, value = budget.scope, budget.scope_value
    if scope == "all":
        return True
    if scope == "key":
        return call.key_fp is not None and call.key_fp == value
    if scope == "provider":
        return provider == value
    if scope == "model":
        return call.model == value
    if scope in ("app", "user", "team", "project"):
        return getattr(call, scope) == value
    # An account budget counts billed costs per provider account, which a call does not name.
    return False


# --------------------------------------------------------------------------- the engine


class RuleEngine:
    """Enforces the ``[rules]`` settings and the enforced budgets of ``store``.

    ``clock`` returns the current time (aware, UTC); tests pass a fake one.
    """

    def __init__(self, settings: RulesSettings, store: Store, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.clock = clock
        self._budgets: dict[int, _BudgetState] = {}
        self._budgets_read_at: float | None = None
        self._budgets_task: asyncio.Task[None] | None = None
        self._windows: dict[tuple[str, str], _Window] = {}
        self._templates: dict[tuple[str, str, date], UsageEvent] = {}
        self.configure(settings)

    def configure(self, settings: RulesSettings) -> None:
        """Take new settings (rate windows and budget reservations carry over)."""
        self.settings = settings
        self.allow = ModelMatcher(settings.allow_models)
        self.block = ModelMatcher(settings.block_models)
        self.keywords = filters.keyword_pattern(settings.blocklist)
        self.detectors: list[tuple[str, RuleAction]] = [
            (name, action)
            for name, action in (
                ("api_key", settings.detect_api_key),
                ("email", settings.detect_email),
                ("card", settings.detect_card),
                ("phone", settings.detect_phone),
            )
            if action != "off"
        ]
        self.limits = [
            limit
            for limit in (
                _Limit("key", settings.rpm_per_key, settings.tpm_per_key),
                _Limit("app", settings.rpm_per_app, settings.tpm_per_app),
                _Limit("user", settings.rpm_per_user, settings.tpm_per_user),
            )
            if limit.rpm or limit.tpm
        ]

    # ------------------------------------------------------------------ admission

    async def admit(self, call: ProxyCall) -> Decision:
        provider = canonical_provider(call.provider)
        refusal = self._check_model(provider, call.model)
        if refusal is not None:
            return refusal
        flags: list[str] = []
        refusal = self._check_content(call.text, flags)
        if refusal is not None:
            return refusal
        now = self.clock()
        estimate = self._estimate(provider, call, now)
        max_cost = self.settings.max_cost_per_call_usd
        if max_cost is not None:
            refusal = self._check_cost(call, estimate, max_cost)
            if refusal is not None:
                return refusal
        cost = estimate or Decimal(0)
        tokens = call.input_tokens_estimate + (call.max_output_tokens or 0)

        # Everything that may wait (reading budgets and their spend) happens before the check and
        # the reservation, which run with no await between them.
        states = await self._matching_budgets(call, provider, now)

        ts = now.timestamp()
        windows: list[tuple[_Limit, _Window]] = []
        for limit in self.limits:
            who = self._who(call, limit.dimension)
            if who is None:
                continue
            window = self._window(limit.dimension, who)
            window.prune(ts)
            refusal = self._check_window(limit, window, tokens, ts)
            if refusal is not None:
                return refusal
            windows.append((limit, window))
        for state in states:
            used = state.used()
            limit_usd = state.budget.limit_usd
            if used >= limit_usd or used + cost > limit_usd:
                return self._budget_refusal(state, used, cost)

        reservation = Reservation(cost=cost, tokens=tokens)
        for state in states:
            state.reserved += cost
            reservation.budgets.append((state, state.generation))
        for _limit, window in windows:
            entry = _Entry(ts, tokens)
            window.entries.append(entry)
            window.tokens += tokens
            reservation.entries.append((window, entry))
        return Decision(flags=flags, reservation=reservation)

    def _check_model(self, provider: str, model: str) -> Decision | None:
        if self.allow and not self.allow.matches(provider, model):
            return Decision(
                allowed=False,
                status=403,
                rule="model_allowlist",
                message=f"model {model!r} is not in the allowed models ({', '.join(self.allow.patterns)});"
                " use one of them, or add it to rules.allow_models in the costtui config",
            )
        if self.block and self.block.matches(provider, model):
            return Decision(
                allowed=False,
                status=403,
                rule="model_blocklist",
                message=f"model {model!r} is blocked by rules.block_models in the costtui config; use another model",
            )
        return None

    def _check_content(self, text: str, flags: list[str]) -> Decision | None:
        if not text:
            return None
        if self.keywords is not None and self.keywords.search(text):
            if self.settings.blocklist_action == "block":
                return self._content_refusal("keyword", "a blocklisted word or phrase (rules.blocklist)")
            flags.append("content:keyword")
        for name, action in self.detectors:
            if filters.FINDERS[name](text):
                if action == "block":
                    return self._content_refusal(name, _DETECTOR_WHAT[name])
                flags.append(f"content:{_RULE_NAMES[name]}")
        return None

    def _content_refusal(self, name: str, what: str) -> Decision:
        setting = "rules.blocklist_action" if name == "keyword" else f"rules.detect_{name}"
        return Decision(
            allowed=False,
            status=400,
            rule=f"content:{_RULE_NAMES[name]}",
            message=f"the request contains {what}, which the costtui rules refuse to send upstream;"
            f' remove it from the prompt (or set {setting} = "flag" in the costtui config)',
        )

    def _estimate(self, provider: str, call: ProxyCall, now: datetime) -> Decimal | None:
        """The call's cost if it used all its ``max_tokens``; None when the model has no price."""
        day = now.date()
        key = (provider, call.model, day)
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= 4096:
                self._templates.clear()
            # Validated once per model and day; each call copies it with its own token counts
            # (a validated event per call would cost more than every rule together).
            try:
                template = UsageEvent(provider=provider, model=call.model, ts=now)
            except ValueError:
                return None  # a model name no event could carry has no price either
            self._templates[key] = template
        event = template.model_copy(
            update={"input_tokens": call.input_tokens_estimate, "output_tokens": call.max_output_tokens or 0}
        )
        return self.store.pricer.price(event, keep_client_cost=False).cost_usd

    def _check_cost(self, call: ProxyCall, estimate: Decimal | None, max_cost: Decimal) -> Decision | None:
        if estimate is None:
            return Decision(
                allowed=False,
                status=400,
                rule="max_cost_per_call",
                message=f"model {call.model!r} has no known price, so its cost cannot be checked against"
                f" the {money(max_cost)} limit per call (rules.max_cost_per_call_usd); set its price with"
                f" `costtui prices set {call.model} --input X --output Y`",
            )
        if estimate <= max_cost:
            return None
        output = (
            f"max_tokens {call.max_output_tokens:,}" if call.max_output_tokens else "no max_tokens (output not counted)"
        )
        return Decision(
            allowed=False,
            status=400,
            rule="max_cost_per_call",
            message=f"this call could cost up to {money(quantize(estimate))} ({call.input_tokens_estimate:,} input"
            f" tokens, {output}), over the {money(max_cost)} limit per call (rules.max_cost_per_call_usd);"
            " lower max_tokens or shorten the prompt",
        )

    @staticmethod
    def _who(call: ProxyCall, dimension: str) -> str | None:
        if dimension == "key":
            return call.key_fp
        return call.app if dimension == "app" else call.user

    def _window(self, dimension: str, who: str) -> _Window:
        key = (dimension, who)
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= MAX_WINDOWS:
                self._drop_idle_windows()
            window = self._windows[key] = _Window()
        return window

    def _drop_idle_windows(self) -> None:
        now = self.clock().timestamp()
        for key, window in list(self._windows.items()):
            window.prune(now)
            if not window.entries:
                del self._windows[key]

    def _check_window(self, limit: _Limit, window: _Window, tokens: int, now: float) -> Decision | None:
        who = {"key": "API key", "app": "app", "user": "user"}[limit.dimension]
        if limit.rpm is not None and len(window.entries) + 1 > limit.rpm:
            wait = window.wait_for_requests(now, len(window.entries) + 1 - limit.rpm)
            return Decision(
                allowed=False,
                status=429,
                rule=f"rpm:{limit.dimension}",
                message=f"this {who} has made {len(window.entries)} requests in the last minute, the limit"
                f" (rules.rpm_per_{limit.dimension}) is {limit.rpm}; retry in {wait:.0f} s",
                retry_after=wait,
            )
        if limit.tpm is not None and window.tokens + tokens > limit.tpm:
            if tokens > limit.tpm:
                message = (
                    f"this call alone may use {tokens:,} tokens (input and max_tokens), over the limit of"
                    f" {limit.tpm:,} tokens per minute per {who} (rules.tpm_per_{limit.dimension}); lower max_tokens"
                )
                return Decision(allowed=False, status=429, rule=f"tpm:{limit.dimension}", message=message)
            wait = window.wait_for_tokens(now, window.tokens + tokens - limit.tpm)
            return Decision(
                allowed=False,
                status=429,
                rule=f"tpm:{limit.dimension}",
                message=f"this {who} has used {window.tokens:,} tokens in the last minute and this call may use"
                f" {tokens:,} more, over the limit (rules.tpm_per_{limit.dimension}) of {limit.tpm:,}; retry in {wait:.0f} s",
                retry_after=wait,
            )
        return None

    def _budget_refusal(self, state: _BudgetState, used: Decimal, cost: Decimal) -> Decision:
        budget = state.budget
        resets = state.period_end.date().isoformat() if state.period_end else "the next period"
        if used >= budget.limit_usd:
            spent = f"has reached {money(used)} of its {money(budget.limit_usd)} limit"
        else:
            spent = f"is at {money(used)} of {money(budget.limit_usd)} and this call could cost up to {money(quantize(cost))}"
        return Decision(
            allowed=False,
            status=429,
            rule=f"budget:{budget.name}",
            message=f"budget {budget.name!r} ({budget.scope_label}, per {budget.period}) {spent};"
            f" it resets on {resets} UTC. Raise the limit or stop enforcing it on the Budgets screen"
            " of costtui, or lower max_tokens",
        )

    # ------------------------------------------------------------------ budgets

    async def _matching_budgets(self, call: ProxyCall, provider: str, now: datetime) -> list[_BudgetState]:
        ts = now.timestamp()
        if self._budgets_read_at is None or ts - self._budgets_read_at > BUDGETS_TTL:
            if self._budgets_task is None:
                self._budgets_task = asyncio.create_task(self._refresh_budgets(ts))
            if self._budgets_read_at is None:
                # The first read: every call arriving meanwhile waits for the same one.
                await asyncio.shield(self._budgets_task)
        states = [s for s in self._budgets.values() if _budget_matches(s.budget, call, provider)]
        waiting = []
        for state in states:
            if state.period_end is None or now >= state.period_end:
                self._new_period(state, now)
            if state.spend is None or ts - state.read_at > SPEND_TTL:
                if state.refreshing is None:
                    state.refreshing = asyncio.create_task(self._refresh_spend(state, now))
                if state.spend is None:
                    waiting.append(state.refreshing)
        if waiting:
            # The first read of a budget's spend: wait for it (the calls arriving meanwhile wait
            # for the same read). Later reads go on in the background.
            await asyncio.gather(*waiting)
            for state in states:
                if state.period_end is not None and now >= state.period_end:
                    self._new_period(state, now)
        return states

    async def refresh(self) -> None:
        """Read the enforced budgets and their spend now, and wait for it (admission otherwise
        reads them every few seconds in the background)."""
        now = self.clock()
        await self._refresh_budgets(now.timestamp())
        for state in list(self._budgets.values()):
            if state.period_end is None or now >= state.period_end:
                self._new_period(state, now)
            await self._refresh_spend(state, now)

    def _new_period(self, state: _BudgetState, now: datetime) -> None:
        state.period_start, state.period_end = state.budget.bounds(now)
        state.spend = None
        state.reserved = Decimal(0)
        state.settled.clear()
        state.settled_total = Decimal(0)
        # Calls admitted in the old period settle into nothing (their generation is stale).
        state.generation += 1

    async def _refresh_budgets(self, ts: float) -> None:
        try:
            budgets = await asyncio.to_thread(lambda: [b for b in self.store.budgets.all() if b.enforce])
        except Exception:  # noqa: BLE001 - keep enforcing what was read last
            log.exception("cannot read the budgets; enforcing the last ones read")
            budgets = [s.budget for s in self._budgets.values()]
        finally:
            self._budgets_task = None
        fresh: dict[int, _BudgetState] = {}
        for budget in budgets:
            if budget.id is None:
                continue
            state = self._budgets.get(budget.id)
            if state is None or state.budget.scope != budget.scope or state.budget.scope_value != budget.scope_value:
                state = _BudgetState(budget)
            elif state.budget != budget:
                if state.budget.period != budget.period:
                    state.period_end = None
                state.budget = budget
            fresh[budget.id] = state
        self._budgets = fresh
        self._budgets_read_at = ts

    async def _refresh_spend(self, state: _BudgetState, now: datetime) -> None:
        started = self.clock().timestamp()
        generation = state.generation
        try:
            spend = await asyncio.to_thread(self.store.budgets.spend, state.budget, now)
        except Exception:  # noqa: BLE001 - the last figure (or zero) stands until the next read
            log.exception("cannot read the spend of budget %r", state.budget.name)
            spend = state.spend if state.spend is not None else Decimal(0)
        finally:
            state.refreshing = None
        if generation != state.generation:
            return
        state.spend = spend
        state.read_at = started
        state.forget_settled(started - SETTLE_GRACE)

    # ------------------------------------------------------------------ settling

    async def settle(self, call: ProxyCall, decision: Decision, cost_usd: Decimal | None, tokens: int) -> None:
        reservation = decision.reservation
        if not isinstance(reservation, Reservation) or reservation.settled:
            return
        reservation.settled = True
        ts = self.clock().timestamp()
        for state, generation in reservation.budgets:
            if generation != state.generation:
                continue
            state.reserved -= reservation.cost
            if cost_usd:
                state.settled.append((ts, cost_usd))
                state.settled_total += cost_usd
        for window, entry in reservation.entries:
            if entry.live:
                window.tokens += tokens - entry.tokens
            entry.tokens = tokens

    # ------------------------------------------------------------------ bodies

    def redact(self, text: str) -> str:
        return filters.redact(text, self.keywords)


_RULE_NAMES = {
    "keyword": "keyword",
    "email": "pii.email",
    "phone": "pii.phone",
    "card": "pii.card",
    "api_key": "pii.api_key",
}
_DETECTOR_WHAT = {
    "email": "an email address",
    "phone": "a phone number",
    "card": "a payment card number",
    "api_key": "something that looks like an API key or token",
}
