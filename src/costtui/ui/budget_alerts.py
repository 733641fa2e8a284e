"""The TUI's budget watch: every ``[alerts] check_seconds`` a thread worker checks the budgets; an
alert it claims is shown as a toast with the terminal bell, then sent through the configured
webhooks and email from another thread worker, so the UI and the embedded listener never wait.

``costtui serve`` runs the same check (``services.alerts.watch_budgets``); whichever process claims
a threshold first shows and sends it, the other never does.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costtui.models import BudgetAlert
    from costtui.services.alerts import AlertDispatcher
    from costtui.ui.app import CostApp


class BudgetWatch:
    def __init__(self, app: CostApp) -> None:
        self.app = app
        self._checking = threading.Lock()
        self._dispatcher: AlertDispatcher | None = None

    def start(self, *, enabled: bool) -> None:
        """Check now and on a timer (off with a frozen clock: tests and screenshots call check_now)."""
        if not enabled:
            return
        self.app.set_interval(self.app.settings.alerts.check_seconds, self.check_now)
        self.check_now()

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.close()

    def check_now(self) -> None:
        self.app.run_worker(self._check, thread=True, group="budget-check", exit_on_error=False)

    def dispatcher(self) -> AlertDispatcher:
        if self._dispatcher is None:
            from costtui.services.alerts import AlertDispatcher

            self._dispatcher = AlertDispatcher(self.app.settings.alerts, self.app.credentials)
        return self._dispatcher

    def _check(self) -> None:
        from costtui.services.budgets import check_budgets

        # One check at a time: a slow database makes the next tick wait, not pile up.
        if not self._checking.acquire(blocking=False):
            return
        try:
            store = self.app.get_store()
            alerts = check_budgets(store, self.app.now())
        finally:
            self._checking.release()
        if not alerts:
            return
        self.app.call_from_thread(self.announce, alerts)
        self.app.data_changed()
        if self.dispatcher().channels:
            self.app.call_from_thread(self._send, alerts)

    def _send(self, alerts: list[BudgetAlert]) -> None:
        self.app.run_worker(
            lambda: self._deliver(alerts), thread=True, group="alert-send", exit_on_error=False, name="alert-send"
        )

    def _deliver(self, alerts: list[BudgetAlert]) -> None:
        deliveries = self.dispatcher().deliver(self.app.get_store(), alerts)
        self.app.data_changed()  # the alerts log shows how each send went
        failed = [d for d in deliveries if d.status == "failed"]
        if failed:
            self.app.call_from_thread(
                self.app.notify,
                f"{len(failed)} alert send(s) failed ({failed[0].channel}: {failed[0].error}). See the alerts log (6).",
                title="alerts",
                severity="warning",
                timeout=10,
                markup=False,
            )

    def announce(self, alerts: list[BudgetAlert]) -> None:
        """The toast (and the bell) for alerts this window claimed."""
        from costtui.services.budgets import alert_text, alert_title

        settings = self.app.settings.alerts
        if settings.toast:
            # One toast per budget: its highest threshold (a jump past 50 and 80 at once is one event).
            highest: dict[int, BudgetAlert] = {}
            for alert in alerts:
                if alert.threshold >= highest.get(alert.budget_id, alert).threshold:
                    highest[alert.budget_id] = alert
            for alert in highest.values():
                severity: Any = "error" if alert.threshold >= 100 else "warning"
                self.app.notify(
                    alert_text(alert), title=alert_title(alert), severity=severity, timeout=12, markup=False
                )
        if settings.bell:
            self.app.bell()
