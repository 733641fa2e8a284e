"""Provider sync: pull usage, costs, balances and limits for every enabled account, idempotently.

``sync()`` is what ``costtui sync`` runs. :class:`SyncSchedule` says which planes are due (quotas
every 5 minutes, usage and costs hourly, by default) and holds no store; :class:`Scheduler` runs
``sync()`` on that schedule for ``costtui serve``, and the TUI's runner runs it as workers.

Rules:

* The first usage sync of an account backfills ``backfill_days`` (90) in chunks of 31 days,
  oldest first, reporting progress; later syncs start ``overlap_days`` before the last day
  fully synced, so late provider corrections are picked up and updated in place.
* Each chunk is fetched completely before anything is written; a failure leaves the store as it
  was (no half windows, no duplicates) and is recorded on the account's health.
* A provider outage (timeouts, 5xx, 429) never raises out of ``sync()``: it becomes a failed
  :class:`SyncReport` and ``last_error`` on the account. ``asyncio.CancelledError`` does propagate
  (cancelling a sync is a user action) — whatever chunks were committed stay committed.
* Keyring reads and every SQLite read or write block, so they run in ``asyncio.to_thread``:
  nothing here touches the store on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from costtui import secrets
from costtui.config import SyncSettings
from costtui.models import Account, BilledLine, QuotaSnapshot
from costtui.providers import get_info, make_provider
from costtui.providers.base import NoNetwork, ProviderError, Sleep, Waiting, make_http_client, redact_secrets
from costtui.secrets import Credentials
from costtui.store import Store

log = logging.getLogger("costtui.sync")

Progress = Callable[[str], None]
CHUNK_DAYS = 31
PLANES = ("usage", "quota")
DEMO_SKIPPED = "demo account: synthetic data, never synced (it has no key)"


class MissingKey(secrets.SecretsError):
    """No key is stored or set for an account."""


@dataclass
class SyncReport:
    """The outcome of one plane of one account."""

    account: str
    plane: str
    ok: bool
    message: str = ""
    written: int = 0
    deleted: int = 0
    quotas: int = 0
    start: date | None = None
    end: date | None = None
    skipped: list[str] = field(default_factory=list)


def _chunks(start: date, end: date, size: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    out = []
    cur = start
    while cur <= end:
        hi = min(end, cur + timedelta(days=size - 1))
        out.append((cur, hi))
        cur = hi + timedelta(days=1)
    return out


def usage_window(
    synced_through: date | None, settings: SyncSettings, today: date, since: date | None = None
) -> tuple[date, date]:
    """The days the next usage sync should (re-)read, given the last day fully synced."""
    if since is not None:
        return min(since, today), today
    if synced_through is None:
        return today - timedelta(days=settings.backfill_days - 1), today
    return min(today, synced_through - timedelta(days=settings.overlap_days)), today


def _history(store: Store, account: Account, streams: Sequence[str]) -> list[BilledLine]:
    """The account's stored lines of ``streams`` (what a provider of running totals read before)."""
    return list(store.billing.billed_lines(provider=account.provider, account=account.name, streams=streams))


CONFIGURED_EVERY = timedelta(hours=6)
"""Configured (not live) rate limits change rarely: re-read them at most this often."""


def configured_due(last_read: datetime | None, now: datetime) -> bool:
    """Whether configured rate limits last read at ``last_read`` should be read again."""
    return last_read is None or now - last_read >= CONFIGURED_EVERY


def _fill_spend_used(store: Store, account: Account, snaps: list[QuotaSnapshot], today: date) -> list[QuotaSnapshot]:
    """A monthly spend limit without ``used``: month-to-date billed cost of the account (reads the store)."""
    out = []
    for s in snaps:
        if s.kind == "spend_limit" and s.used is None and s.window == "month" and s.limit is not None:
            lines = store.billing.billed_lines(
                provider=account.provider, account=account.name, kinds=["cost"], start=today.replace(day=1), end=today
            )
            mtd = sum((line.cost_usd or 0 for line in lines), start=Decimal(0))
            s = s.model_copy(update={"used": mtd, "remaining": s.limit - mtd})
        out.append(s)
    return out


async def _load_key(account: Account, credentials: Credentials | None) -> SecretStr:
    if account.key_kind == "none" and get_info(account.provider).credential_fields:
        # A cloud account whose credentials stay in the user's own config (an AWS profile, a
        # service-account file): the provider reads them at fetch time.
        return SecretStr("")
    creds = credentials or Credentials()
    key = await asyncio.to_thread(creds.get_secret_str, account.secret_name)
    if key is None:
        raise MissingKey(
            f"no key stored for {account.label}: run `costtui keys add {account.provider} --name {account.name}`"
            f" or set {secrets.env_names(account.secret_name)[-1]}"
        )
    return key


WAIT_NOTICE_SECONDS = 5.0
"""A call unanswered this long is said (progress) and recorded on the account's health."""


async def _pause(seconds: float) -> None:
    """Wait on the loop's own timer: the injectable ``sleep`` (instant in tests) would make the
    watcher below spin."""
    done = asyncio.get_running_loop().create_future()
    handle = asyncio.get_running_loop().call_later(seconds, done.set_result, None)
    try:
        await done
    finally:
        handle.cancel()


def _waiting_text(w: Waiting, plane: str) -> str:
    return f"waiting for {w.host} ({plane}, {w.attempt}/{w.tries} tries)"


async def sync_account(
    store: Store,
    account: Account,
    client: httpx.AsyncClient,
    *,
    planes: Sequence[str] = PLANES,
    since: date | None = None,
    settings: SyncSettings | None = None,
    progress: Progress | None = None,
    sleep: Sleep = asyncio.sleep,
    now: Callable[[], datetime] | None = None,
    credentials: Credentials | None = None,
    notice_every: float = WAIT_NOTICE_SECONDS,
) -> list[SyncReport]:
    """Sync one account; never raises for provider or keyring trouble (see the module docstring).

    The whole account is bounded by ``settings.account_timeout_seconds``: past it the sync gives
    up on the planes not done, records why and returns. While a call goes unanswered for
    ``notice_every`` seconds, ``progress`` says what it waits for and the account's health says
    it is failing, before the wait ends."""
    settings = settings or SyncSettings()
    clock = now or (lambda: datetime.now(UTC))
    account_id = account.id
    assert account_id is not None
    if account.is_demo:
        return [SyncReport(account.label, p, True, DEMO_SKIPPED) for p in planes]
    info = get_info(account.provider)
    if not info.has_api:
        return [SyncReport(account.label, p, True, f"{info.title} has no billing API: nothing to pull") for p in planes]
    key: SecretStr | None = None
    reports: list[SyncReport] = []
    try:
        key = await _load_key(account, credentials)
    except secrets.SecretsError as exc:
        for plane in planes:
            await asyncio.to_thread(store.billing.mark_error, account_id, plane, str(exc), clock())
            reports.append(SyncReport(account.label, plane, False, str(exc)))
        return reports
    provider = make_provider(
        account, key, client, sleep=sleep, max_retries=settings.max_retries, timeout=settings.timeout_seconds, now=clock
    )
    todo = [
        p for p in planes if (p == "usage" and provider.supports_usage) or (p == "quota" and provider.supports_quotas)
    ]
    current: list[str] = []  # the plane in progress (a list so the closures below see it change)

    async def on_retry(error: ProviderError, attempt: int, tries: int) -> None:
        # Failing now, whatever the retries bring: the account must not read healthy meanwhile.
        if current:
            message = f"{redact_secrets(str(error), [key])} (retrying, {attempt}/{tries} tries)"
            await asyncio.to_thread(store.billing.mark_error, account_id, current[0], message, clock())

    provider.http.on_retry = on_retry

    async def watch() -> None:
        noticed: object = None
        while True:
            await _pause(notice_every)
            w = provider.http.waiting
            if w is None or not current or time.monotonic() - w.since < notice_every:
                continue
            text = _waiting_text(w, current[0])
            if noticed is not w:
                # Recorded before it is said: whoever reads "waiting for" finds the account failing.
                noticed = w
                await asyncio.to_thread(
                    store.billing.mark_error,
                    account_id,
                    current[0],
                    f"no answer yet from {w.host} after {time.monotonic() - w.since:.0f} s ({w.path}, "
                    f"{w.attempt}/{w.tries} tries)",
                    clock(),
                )
            if progress:
                progress(f"{account.label}: {text}")

    watcher = asyncio.create_task(watch())
    unreachable: str | None = None
    finished: set[str] = set()
    try:
        async with asyncio.timeout(settings.account_timeout_seconds):
            for plane in todo:
                current[:] = [plane]
                if unreachable is not None:
                    # The host could not be reached a moment ago: the other planes fail the same way, at once.
                    await asyncio.to_thread(store.billing.mark_error, account_id, plane, unreachable, clock())
                    reports.append(SyncReport(account.label, plane, False, unreachable))
                    finished.add(plane)
                    continue
                await asyncio.to_thread(store.billing.mark_attempt, account_id, plane, clock())
                try:
                    if plane == "usage":
                        reports.append(await _sync_usage(store, account, provider, settings, since, progress, clock))
                    else:
                        reports.append(await _sync_quotas(store, account, provider, progress, clock))
                except asyncio.CancelledError:
                    raise
                except ProviderError as exc:
                    message = redact_secrets(str(exc), [key])
                    # Debug, not info or warning: the failure reaches people once, through the
                    # reports (`costtui sync` prints them, `serve` logs them, the TUI shows them).
                    log.debug("sync %s %s failed: %s", account.label, plane, message)
                    await asyncio.to_thread(store.billing.mark_error, account_id, plane, message, clock())
                    reports.append(SyncReport(account.label, plane, False, message))
                    if isinstance(exc, NoNetwork):
                        unreachable = message
                except Exception as exc:  # a bug or an unexpected shape must not stop the other accounts
                    message = redact_secrets(f"unexpected {type(exc).__name__}: {exc}", [key])
                    log.debug("sync %s %s failed: %s", account.label, plane, message, exc_info=True)
                    await asyncio.to_thread(store.billing.mark_error, account_id, plane, message[:500], clock())
                    reports.append(SyncReport(account.label, plane, False, message))
                finished.add(plane)
    except TimeoutError:
        last = provider.http.waiting or provider.http.last_call
        waited = f"; it was {_waiting_text(last, current[0] if current else 'sync')}" if last else ""
        message = (
            f"gave up after {settings.account_timeout_seconds:g} s{waited}; what was fetched before is kept"
            " and the next sync tries again ([sync] account_timeout_seconds)"
        )
        for plane in todo:
            if plane not in finished:
                await asyncio.to_thread(store.billing.mark_error, account_id, plane, message, clock())
                reports.append(SyncReport(account.label, plane, False, message))
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    return reports


async def _sync_usage(
    store: Store,
    account: Account,
    provider: Any,
    settings: SyncSettings,
    since: date | None,
    progress: Progress | None,
    clock: Callable[[], datetime],
) -> SyncReport:
    account_id = account.id
    assert account_id is not None
    today = clock().astimezone(UTC).date()
    through = await asyncio.to_thread(store.billing.synced_through, account_id, "usage")
    start, end = usage_window(through, settings, today, since)
    report = SyncReport(account.label, "usage", True, start=start, end=end)
    chunks = _chunks(start, end)
    for i, (lo, hi) in enumerate(chunks, 1):
        if progress:
            progress(f"{account.label}: usage {lo} → {hi} (part {i}/{len(chunks)})")

        def step(msg: str, _i: int = i) -> None:
            if progress:
                progress(f"{account.label}: {msg} [part {_i}/{len(chunks)}]")

        if provider.history_streams:
            provider.history = await asyncio.to_thread(_history, store, account, provider.history_streams)
        result = await provider.fetch_usage(lo, hi, step)
        written = await asyncio.to_thread(store.billing.record_billed, result.lines, result.windows, now=clock())
        report.written += written.written
        report.deleted += written.deleted
        report.skipped = sorted(set(report.skipped) | set(result.skipped))
        if result.errors:
            # What was fetched is stored; the watermark stays, so the next sync reads these days again.
            raise ProviderError(
                f"{'; '.join(result.errors)} (what was already fetched is kept; the next sync reads these days again)"
            )
        # Today is still moving: the watermark is the last *complete* day.
        through = min(hi, today - timedelta(days=1))
        await asyncio.to_thread(store.billing.mark_success, account_id, "usage", synced_through=through, now=clock())
    report.message = f"{report.written} rows written, {report.deleted} removed ({start} → {end})"
    if report.skipped:
        report.message += f"; not available here: {', '.join(report.skipped)}"
    return report


async def _sync_quotas(
    store: Store, account: Account, provider: Any, progress: Progress | None, clock: Callable[[], datetime]
) -> SyncReport:
    account_id = account.id
    assert account_id is not None
    if progress:
        progress(f"{account.label}: balances and limits")
    today = clock().astimezone(UTC).date()
    hints = await asyncio.to_thread(
        store.billing.projects_and_models, account.provider, account.name, today - timedelta(days=30)
    )
    last_configured = await asyncio.to_thread(
        store.billing.newest_quota_time, account.provider, account.name, "configured_rate_limit"
    )
    configured = configured_due(last_configured, clock())
    snaps = await provider.fetch_quotas(hints, configured=configured)
    snaps = await asyncio.to_thread(_fill_spend_used, store, account, snaps, today)
    n = await asyncio.to_thread(store.billing.record_quotas, snaps)
    await asyncio.to_thread(store.billing.mark_success, account_id, "quota", now=clock())
    return SyncReport(account.label, "quota", True, f"{n} limits refreshed", quotas=n)


async def sync(
    store: Store,
    provider: str | None = None,
    since: date | None = None,
    progress: Progress | None = None,
    *,
    account: str | None = None,
    planes: Sequence[str] = PLANES,
    client: httpx.AsyncClient | None = None,
    settings: SyncSettings | None = None,
    sleep: Sleep = asyncio.sleep,
    now: Callable[[], datetime] | None = None,
    credentials: Credentials | None = None,
) -> list[SyncReport]:
    """Sync every enabled account (or those of ``provider`` / ``account``); returns one report per plane."""
    settings = settings or SyncSettings()
    accounts = await asyncio.to_thread(store.billing.list_accounts, provider, enabled_only=True)
    if account:
        accounts = [a for a in accounts if a.name == account]
    own = client is None
    http = client or make_http_client(settings.timeout_seconds)
    reports: list[SyncReport] = []
    try:
        for acc in accounts:
            reports.extend(
                await sync_account(
                    store,
                    acc,
                    http,
                    planes=planes,
                    since=since,
                    settings=settings,
                    progress=progress,
                    sleep=sleep,
                    now=now,
                    credentials=credentials,
                )
            )
        if provider is None and account is None and "quota" in planes:
            # Plans with no account of their own: the status line's windows, opted-in usage endpoints.
            from costtui.services.plans import sync_plans

            reports.extend(await sync_plans(store, http, settings, now))
    finally:
        if own:
            await http.aclose()
    return reports


def due_planes(
    last_run: Mapping[str, datetime], intervals: Mapping[str, timedelta], now: datetime, *, force: bool = False
) -> list[str]:
    """The planes whose interval has passed since their last run (all of them when forced)."""
    if force:
        return list(PLANES)
    return [p for p, every in intervals.items() if p not in last_run or now - last_run[p] >= every]


def seconds_until_due(last_run: Mapping[str, datetime], intervals: Mapping[str, timedelta], now: datetime) -> float:
    """How long until the next plane is due (0 when one is due now)."""
    waits = [(last_run[p] + every - now).total_seconds() if p in last_run else 0.0 for p, every in intervals.items()]
    return max(0.0, min(waits))


class SyncSchedule:
    """Which planes are due: the timing of syncs, with no store and no I/O.

    The TUI's runner and :class:`Scheduler` ask :meth:`take_due` what to run; :meth:`refresh_now`
    makes every plane due once (the refresh key).
    """

    def __init__(self, settings: SyncSettings | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings or SyncSettings()
        self.now = now or (lambda: datetime.now(UTC))
        self._last_run: dict[str, datetime] = {}
        self._force = False

    @property
    def intervals(self) -> dict[str, timedelta]:
        return {
            "quota": timedelta(minutes=self.settings.quota_interval_minutes),
            "usage": timedelta(minutes=self.settings.usage_interval_minutes),
        }

    @property
    def last_run(self) -> Mapping[str, datetime]:
        return dict(self._last_run)

    @property
    def forced(self) -> bool:
        return self._force

    def refresh_now(self) -> None:
        """Every plane is due at the next look."""
        self._force = True

    def due(self) -> list[str]:
        return due_planes(self._last_run, self.intervals, self.now(), force=self._force)

    def take_due(self) -> list[str]:
        """The due planes, marked as run now (so the next look does not return them again)."""
        planes = self.due()
        self._force = False
        self.mark_run(planes)
        return planes

    def mark_run(self, planes: Sequence[str]) -> None:
        now = self.now()
        for p in planes:
            self._last_run[p] = now

    def seconds_until_due(self) -> float:
        return seconds_until_due(self._last_run, self.intervals, self.now())


class Scheduler:
    """Runs ``sync()`` on a :class:`SyncSchedule`: what ``costtui serve`` awaits with :meth:`run`.

    Usable without Textual. Cancel the task to stop it. A sync never overlaps another (one loop);
    ``on_report`` gets each batch of reports.
    """

    def __init__(
        self,
        store: Store,
        settings: SyncSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        on_report: Callable[[list[SyncReport]], None] | None = None,
        progress: Progress | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.settings = settings or SyncSettings()
        self.schedule = SyncSchedule(self.settings, now=now)
        self.client = client
        self.on_report = on_report
        self.progress = progress
        self.sleep = sleep
        self._wake = asyncio.Event()
        self.running = False

    def refresh_now(self) -> None:
        """Sync every plane at the next opportunity."""
        self.schedule.refresh_now()
        self._wake.set()

    def due(self) -> list[str]:
        return self.schedule.due()

    def seconds_until_due(self) -> float:
        return self.schedule.seconds_until_due()

    async def run_once(self) -> list[SyncReport]:
        planes = self.schedule.take_due()
        if not planes:
            return []
        self.running = True
        try:
            # Quotas first: they are quick and what a user watches.
            ordered = [p for p in ("quota", "usage") if p in planes]
            reports = await sync(
                self.store,
                progress=self.progress,
                planes=ordered,
                client=self.client,
                settings=self.settings,
                sleep=self.sleep,
                now=self.schedule.now,
                credentials=self.credentials,
            )
        finally:
            self.running = False
        # The intervals count from the end of a sync, so a slow sync is not followed by another at once.
        self.schedule.mark_run(planes)
        if self.on_report:
            self.on_report(reports)
        return reports

    async def run(self) -> None:
        while True:
            await self.run_once()
            self._wake.clear()
            if self.schedule.forced:
                continue
            timeout = self.schedule.seconds_until_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 1.0))


KeyCheckStatus = Literal["ok", "failed", "unchecked", "unsupported"]


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of ``keys test`` for one account. Only ``ok`` means the key was checked and works:
    a key that could not be checked (keyring locked, no network, rate limited, no API to ask) is
    ``unchecked`` or ``unsupported``, never shown as working."""

    status: KeyCheckStatus
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "failed": "✗", "unchecked": "?", "unsupported": "–"}[self.status]


async def test_account(
    account: Account,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    credentials: Credentials | None = None,
) -> KeyCheck:
    """One cheap authenticated call (``keys test``, the TUI's Test button)."""
    from costtui.providers import NoNetwork, RateLimited, Unauthorized, WrongKeyType

    if account.is_demo:
        return KeyCheck("unsupported", f"not checked: {DEMO_SKIPPED}")
    info = get_info(account.provider)
    if not info.has_api:
        return KeyCheck(
            "unsupported",
            f"not checked: {info.title} has no billing API to ask; the key is kept for the rate-limit probe"
            " and the proxy",
        )
    try:
        key = await _load_key(account, credentials)
    except MissingKey as exc:
        return KeyCheck("failed", str(exc))
    except secrets.SecretsError as exc:
        return KeyCheck("unchecked", f"not checked: {exc}")
    own = client is None
    http = client or make_http_client(timeout)
    try:
        # No retries: a test should answer now, and say what is wrong.
        provider = make_provider(account, key, http, sleep=sleep, max_retries=0, timeout=timeout)
        return KeyCheck("ok", await provider.test_key())
    except NotImplementedError:
        return KeyCheck("unsupported", f"not checked: costtui cannot test {info.title} keys yet")
    except WrongKeyType as exc:
        return KeyCheck("failed", f"wrong kind of key — {redact_secrets(str(exc), [key])}")
    except Unauthorized as exc:
        return KeyCheck("failed", f"key rejected (revoked, expired or mistyped) — {redact_secrets(str(exc), [key])}")
    except NoNetwork as exc:
        return KeyCheck("unchecked", f"not checked: no network — {redact_secrets(str(exc), [key])}")
    except RateLimited as exc:
        return KeyCheck("unchecked", f"not checked: rate limited, try again later — {redact_secrets(str(exc), [key])}")
    except ProviderError as exc:
        return KeyCheck("failed", redact_secrets(str(exc), [key]))
    finally:
        if own:
            await http.aclose()


def log_reports(reports: list[SyncReport], logger: logging.Logger = log) -> None:
    """One log line per report (``costtui serve`` passes this as ``on_report``); never a secret."""
    for r in reports:
        if r.ok:
            logger.info("sync %s %s: %s", r.account, r.plane, r.message)
        else:
            logger.warning("sync %s %s failed: %s", r.account, r.plane, r.message)


async def run_scheduler(
    store: Store,
    settings: SyncSettings | None = None,
    logger: logging.Logger = log,
    credentials: Credentials | None = None,
) -> None:
    """What ``costtui serve`` runs beside the listener (cancel the task to stop it):

    if settings.sync.auto:
        tasks.append(asyncio.create_task(run_scheduler(store, settings.sync)))
    """
    settings = settings or SyncSettings()
    async with make_http_client(settings.timeout_seconds) as client:
        await Scheduler(
            store, settings, client=client, on_report=lambda r: log_reports(r, logger), credentials=credentials
        ).run()
