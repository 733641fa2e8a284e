"""Records of the billed and limits planes: accounts, billed cost lines, quota snapshots.

Usage events (the metered plane, :mod:`costtui.models`) are requests; these are what a
provider *says*: daily buckets of cost and usage, balances, spend limits and rate limits.

Where provider **token usage** goes: usage-API buckets (OpenAI ``/organization/usage/*``,
Anthropic ``usage_report/messages``, Claude Code) are stored as :class:`BilledLine` rows with
``kind="usage"`` in the same ``billed_costs`` table as the money rows (``kind="cost"``), not as
metered :class:`~costtui.models.UsageEvent`\\ s. Reasons: they are daily aggregates, not requests
(turning them into events would fake request counts and be re-priced by our price table); they
share the upsert key (account, day, model, line item, project, key) and the window-replace rule
of the cost rows; and reconciliation can compare, per day and model, billed tokens, billed
dollars and metered events with one query. Totals of *money* only ever sum ``kind in
("cost", "manual")``: OpenAI's docs say Usage and Costs need not reconcile, and Costs is the
invoice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from costtui.models import to_decimal, utc

KeyKind = Literal["admin", "inference", "management", "none"]
"""admin: org admin/billing key (OpenAI ``sk-admin-``, Anthropic ``sk-ant-admin``);
inference: an ordinary API key; management: OpenRouter/xAI management keys; none: manual only."""

BilledKind = Literal["cost", "usage", "manual", "estimate"]
Health = Literal["ok", "stale", "error", "never", "disabled"]
HEALTH_ORDER = {"error": 0, "stale": 1, "never": 2, "ok": 3, "disabled": 4}


def money(value: Any) -> Decimal:
    """Decimal from a JSON number or string (floats go through str())."""
    return to_decimal(value)


def cents(value: Any) -> Decimal:
    """Dollars from an amount in cents (Anthropic cost report strings, Claude Code numbers, xAI)."""
    return to_decimal(value) / 100


class Account(BaseModel):
    """A provider account: where to pull from and with which kind of key (the key is in the keyring)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    provider: str
    name: str = "default"
    key_kind: KeyKind = "inference"
    base_url: str | None = None
    """Override of the provider's API base (a gateway, a test server)."""
    enabled: bool = True
    key_fp: str | None = None
    """Fingerprint of the key (prefix…last4); never the key."""
    options: dict[str, str] = Field(default_factory=dict)
    """Provider-specific settings, e.g. xAI ``team_id``; never secrets."""
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.name}"

    @property
    def secret_name(self) -> str:
        from costtui.secrets import account_secret_name

        return account_secret_name(self.provider, self.name, admin=self.key_kind == "admin")


class AccountHealth(BaseModel):
    """How an account's last syncs went."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    health: Health = "never"
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    usage_synced_through: date | None = None
    """Last UTC day fully covered by a usage/cost sync (the next sync starts a few days before)."""


class BilledLine(BaseModel):
    """One daily bucket of billed cost or provider-reported usage.

    Upsert key: (provider, account, stream, day, model, line_item, project, api_key).
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    stream: str
    """Which endpoint produced it (``openai.costs``, ``anthropic.usage.messages``, ``manual``…)."""
    kind: BilledKind
    day: date
    model: str = ""
    line_item: str = ""
    project: str = ""
    """Project (OpenAI) or workspace (Anthropic); '' when not grouped or the default."""
    api_key: str = ""
    """Provider's API key id (not a secret), or ''."""
    cost_usd: Decimal | None = None
    currency: str = "usd"
    input_tokens: int = 0
    """Uncached input tokens (normalised: cache reads and writes are separate)."""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    quantity: Decimal | None = None
    quantity_unit: str | None = None
    note: str | None = None

    @field_validator("cost_usd", "quantity", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal | None:
        return None if value is None else to_decimal(value)

    @field_validator("model", "line_item", "project", "api_key", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> str:
        return "" if value is None else str(value)

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        return (str(value) if value else "usd").lower()


class StoredBilledLine(BilledLine):
    id: int
    updated_at: datetime


class BilledWindow(BaseModel):
    """A complete re-read of one stream for one account over [start, end]: rows of that stream in
    the window that the provider no longer returns are deleted (late corrections, regrouping)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    stream: str
    start: date
    end: date


class QuotaSnapshot(BaseModel):
    """One limit of one account at one moment: a balance, a spend limit or a rate limit."""

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    kind: str
    """``balance``, ``spend_limit``, ``key_limit``, ``credits``, ``rate_limit.requests``,
    ``rate_limit.tokens``, ``rate_limit.input_tokens``, ``configured_rate_limit``…"""
    scope: str = ""
    """What the limit applies to within the account: a model, a project, a currency; '' = all."""
    used: Decimal | None = None
    limit: Decimal | None = None
    remaining: Decimal | None = None
    unit: str = "usd"
    """``usd``, ``cny``, ``requests``, ``tokens``, ``requests/min``…"""
    window: str | None = None
    """``month``, ``day``, ``minute``… when the limit is periodic."""
    resets_at: datetime | None = None
    taken_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: Literal["api", "probe", "proxy", "manual"] = "api"
    detail: str | None = None

    @field_validator("used", "limit", "remaining", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal | None:
        return None if value is None else to_decimal(value)

    @field_validator("resets_at", "taken_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)

    @property
    def fraction_used(self) -> float | None:
        if self.limit is None or self.limit <= 0:
            return None
        if self.used is not None:
            used = self.used
        elif self.remaining is not None:
            used = self.limit - self.remaining
        else:
            return None
        return float(max(Decimal(0), min(used / self.limit, Decimal(1))))


class ManualCost(BaseModel):
    """A cost typed in by the user (providers with no billing API); spread evenly over its days."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    provider: str
    account: str = "default"
    start: date
    end: date
    """Inclusive."""
    amount_usd: Decimal
    input_tokens: int = 0
    output_tokens: int = 0
    note: str | None = None
    created_at: datetime | None = None

    @field_validator("amount_usd", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal:
        result = to_decimal(value)
        if result < 0:
            raise ValueError("amount must not be negative")
        return result

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Credential(BaseModel):
    """An account with its key, only in memory, only while a sync runs."""

    model_config = ConfigDict(frozen=True)

    account: Account
    key: SecretStr


def billed_notes(lines: Iterable[BilledLine]) -> list[str]:
    """The distinct caveats a provider attached to its billed lines (what its figure leaves out,
    how a day was estimated), in first-seen order. Manual entries' notes are the user's own text."""
    notes: list[str] = []
    for line in lines:
        if line.kind != "manual" and line.note and line.note not in notes:
            notes.append(line.note)
    return notes


def quota_amount(value: Decimal | None, unit: str) -> str:
    """A quota value for people: ``$17.42``, ``110.00 CNY``, ``4,999 requests``."""
    from costtui.formatting import money as fmt_money

    if value is None:
        return "—"
    if unit == "usd":
        return fmt_money(value)
    if unit in ("cny", "eur"):
        return f"{value:,.2f} {unit.upper()}"
    number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"
    return f"{number} {unit}".strip()
