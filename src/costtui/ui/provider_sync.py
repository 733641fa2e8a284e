"""Provider sync inside the TUI: the core :class:`costtui.services.sync.SyncSchedule`'s timing, run as Textual
async workers, one per provider (group ``"fetch:<provider>"``, exclusive), so a slow provider
never holds up the others and the UI thread never blocks (keyring and SQLite calls inside
``costtui.services.sync`` run in ``asyncio.to_thread``).

After each provider finishes the app is told the store changed (``data_changed``), which reloads
the visible screen. Failures are recorded on the account's health by the core; they are only
notified when the user asked for the sync (the refresh key), to keep timers quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.worker import Worker

from costtui.ui.errors import notify_error

if TYPE_CHECKING:
    from costtui.services.sync import SyncReport, SyncSchedule
    from costtui.ui.app import CostApp

CHECK_SECONDS = 30.0
"""How often the runner looks at what is due (the intervals themselves are minutes)."""
FIRST_CHECK_SECONDS = 2.0
"""Delay before the first check: the first paint comes first."""


class ProviderSyncRunner:
    """Owned by the app (``app.provider_sync``); screens call :meth:`refresh_now`."""

    def __init__(self, app: CostApp, *, enabled: bool = True) -> None:
        from costtui.services.sync import SyncSchedule

        self.app = app
        self.enabled = enabled and app.settings.sync.auto
        # The core schedule only keeps the bookkeeping (what is due); the app runs the workers.
        self.schedule: SyncSchedule = SyncSchedule(app.settings.sync)
        self.last_reports: dict[str, list[SyncReport]] = {}
        self.progress: dict[str, str] = {}
        """Latest progress line per provider while it syncs (the Quotas screen shows it)."""
        self._notify_next = False

    def start(self) -> None:
        if not self.enabled:
            return
        self.app.set_timer(FIRST_CHECK_SECONDS, self.tick)
        self.app.set_interval(CHECK_SECONDS, self.tick)

    @property
    def running(self) -> list[str]:
        return sorted(
            w.group.split(":", 1)[1]
            for w in self.app.workers
            if w.group.startswith("fetch:") and w.group != "fetch:plan" and not w.is_finished
        )

    def refresh_now(self) -> None:
        """Sync every plane of every account now (the refresh key and the palette command)."""
        self._notify_next = True
        self.schedule.refresh_now()
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        if self.running or any(w.group == "fetch:plan" and not w.is_finished for w in self.app.workers):
            return  # one round at a time: the timers never stack syncs
        planes = self.schedule.take_due()
        if not planes and not force:
            return
        self.app.run_worker(self._plan(planes), group="fetch:plan", exclusive=True, exit_on_error=False)

    async def _plan(self, planes: list[str]) -> None:
        import asyncio

        store = self.app.get_store()
        accounts = await asyncio.to_thread(store.billing.list_accounts, None, enabled_only=True)
        # Demo accounts are synthetic: no key to unlock, nothing to pull.
        demo = [a for a in accounts if a.is_demo]
        accounts = [a for a in accounts if not a.is_demo]
        if "quota" in planes and not demo:
            # Plans with no account (the status line's windows, opted-in usage endpoints): no key to unlock.
            self.app.run_worker(
                self._sync_plans(self._notify_next),
                group="fetch:plans",
                name="sync plans",
                exclusive=True,
                exit_on_error=False,
            )
        if not accounts:
            if demo and self._notify_next:
                self.app.notify("Demo accounts are never synced: their data is synthetic.", title="sync", timeout=4)
            self._notify_next = False
            return
        names = [a.secret_name for a in accounts]
        if await asyncio.to_thread(self.app.credentials.needs_passphrase, names):
            if self._notify_next:
                self.app.notify(
                    "The encrypted key file is locked: press u on the Quotas screen to unlock it.",
                    title="sync",
                    severity="warning",
                )
            self._notify_next = False
            return
        notify, self._notify_next = self._notify_next, False
        for provider in sorted({a.provider for a in accounts}):
            self.app.run_worker(
                self._sync(provider, planes, notify),
                group=f"fetch:{provider}",
                name=f"sync {provider}",
                exclusive=True,
                exit_on_error=False,
            )

    async def _sync(self, provider: str, planes: list[str], notify: bool) -> list[SyncReport]:
        from costtui.services.sync import sync

        def progress(message: str) -> None:
            self.progress[provider] = message

        ordered = [p for p in ("quota", "usage") if p in planes]
        try:
            reports = await sync(
                self.app.get_store(),
                provider,
                progress=progress,
                planes=ordered,
                settings=self.app.settings.sync,
                credentials=self.app.credentials,
            )
        finally:
            self.progress.pop(provider, None)
        self.last_reports[provider] = reports
        self.app.data_changed()
        failed = [r for r in reports if not r.ok]
        if notify:
            if failed:
                notify_error(
                    self.app,
                    "\n".join(f"{r.account} {r.plane}: {r.message}" for r in failed),
                    title=f"sync {provider} failed",
                    timeout=10,
                )
            else:
                self.app.notify(f"{provider}: synced", timeout=3)
        return reports

    async def _sync_plans(self, notify: bool) -> list[SyncReport]:
        from costtui.providers.base import make_http_client
        from costtui.services.plans import sync_plans

        settings = self.app.settings.sync
        async with make_http_client(settings.timeout_seconds) as client:
            reports = await sync_plans(self.app.get_store(), client, settings, self.app.now)
        self.last_reports["plans"] = reports
        if reports:
            self.app.data_changed()
        failed = [r for r in reports if not r.ok]
        if notify and failed:
            notify_error(self.app, "\n".join(f"{r.account}: {r.message}" for r in failed), title="sync plans failed")
        return reports


def runner_of(app: Any) -> ProviderSyncRunner | None:
    return getattr(app, "provider_sync", None)


def start_provider_sync(app: CostApp, *, enabled: bool = True) -> ProviderSyncRunner:
    """Create the app's runner and start its timers (called from ``CostApp.on_mount``)."""
    runner = ProviderSyncRunner(app, enabled=enabled)
    app.provider_sync = runner  # type: ignore[attr-defined]
    runner.start()
    return runner


def is_fetch_worker(worker: Worker[Any]) -> bool:
    return worker.group.startswith("fetch:")
