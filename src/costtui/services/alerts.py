"""Sending budget alerts: webhooks (generic JSON or a Slack-compatible ``{"text": ...}``) and email
(SMTP with STARTTLS), each with a timeout and retries with backoff, each send logged in
``alert_deliveries`` so a failure shows in the alerts log.

Every send here blocks (httpx's sync client, smtplib): callers run :meth:`AlertDispatcher.deliver`
in a thread (a TUI thread worker, ``asyncio.to_thread`` in ``costtui serve``), never on a loop. The
TUI's own channels (toast and bell) live in the UI; :func:`watch_budgets` is the loop of
``costtui serve``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx

from costtui.analytics.budgets import alert_json
from costtui.config import AlertSettings, EmailSettings, WebhookSettings
from costtui.models import AlertChannel, AlertDelivery, BudgetAlert, DeliveryStatus
from costtui.secrets import SecretsError
from costtui.services.budgets import alert_text, alert_title, check_budgets

if TYPE_CHECKING:
    from costtui.secrets import Credentials
    from costtui.store import Store

SMTP_SECRET = "alerts:smtp"
"""The keyring entry of the SMTP password (or the environment variable ``COSTTUI_ALERTS_SMTP_KEY``)."""

USER_AGENT = "costtui-alerts"


class SendError(Exception):
    """A send failed; ``retry`` says whether trying again may help (a 400 will not)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Channel(Protocol):
    channel: AlertChannel
    target: str

    def send(self, alert: BudgetAlert) -> None: ...


def webhook_body(alert: BudgetAlert, fmt: str) -> dict[str, Any]:
    """What a webhook receives: the alert's fields, or Slack's ``{"text": ...}``."""
    if fmt == "slack":
        return {"text": f"{alert_title(alert)}\n{alert_text(alert)}"}
    return {"type": "budget_alert", "title": alert_title(alert), "text": alert_text(alert), **alert_json(alert)}


def _host_label(url: str) -> str:
    # Webhook URLs often carry their secret in the path (Slack's do): only the host is ever stored.
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or "?"


class WebhookChannel:
    def __init__(self, settings: WebhookSettings, timeout: float) -> None:
        self.url = settings.url
        self.format = settings.format
        self.channel: AlertChannel = "slack" if settings.format == "slack" else "webhook"
        self.target = _host_label(settings.url)
        self.timeout = timeout

    def send(self, alert: BudgetAlert) -> None:
        try:
            with httpx.Client(timeout=self.timeout, headers={"User-Agent": USER_AGENT}) as client:
                response = client.post(self.url, json=webhook_body(alert, self.format))
        except httpx.TimeoutException:
            raise SendError(f"no answer from {self.target} within {self.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise SendError(
                f"cannot reach {self.target}: {_redact(str(exc) or type(exc).__name__, self.url)}"
            ) from None
        if response.is_success:
            return
        retry = response.status_code == 429 or response.status_code >= 500
        raise SendError(f"{self.target} answered HTTP {response.status_code}", retry=retry)


def _redact(text: str, url: str) -> str:
    return text.replace(url, _host_label(url))[:300]


class EmailChannel:
    def __init__(
        self,
        settings: EmailSettings,
        timeout: float,
        password: Callable[[], str | None],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.channel: AlertChannel = "email"
        self.target = ", ".join(settings.to)
        self.timeout = timeout
        self._password = password
        self._ssl_context = ssl_context

    def message(self, alert: BudgetAlert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[costtui] {alert_title(alert)}"
        msg["From"] = self.settings.sender
        msg["To"] = ", ".join(self.settings.to)
        msg.set_content(alert_text(alert) + "\n\n-- costtui\n")
        return msg

    def send(self, alert: BudgetAlert) -> None:
        s = self.settings
        password = None
        if s.username:
            try:
                password = self._password()
            except SecretsError as exc:
                raise SendError(f"the SMTP password cannot be read: {exc}", retry=False) from None
            if not password:
                raise SendError(
                    "no SMTP password stored: run `costtui alerts email-password` (or set COSTTUI_ALERTS_SMTP_KEY)",
                    retry=False,
                )
        try:
            with smtplib.SMTP(s.host, s.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if s.starttls:
                    if not smtp.has_extn("starttls"):
                        raise SendError(f"{s.host}:{s.port} does not offer STARTTLS", retry=False)
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if s.username and password:
                    smtp.login(s.username, password)
                smtp.send_message(self.message(alert))
        except SendError:
            raise
        except smtplib.SMTPAuthenticationError:
            raise SendError(f"{s.host} refused the login of {s.username}", retry=False) from None
        except smtplib.SMTPRecipientsRefused:
            raise SendError(f"{s.host} refused the recipients {self.target}", retry=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Never the password: smtplib's errors carry the server's reply, not our credentials.
            raise SendError(f"{s.host}:{s.port}: {type(exc).__name__}: {str(exc)[:200]}") from None


def build_channels(
    settings: AlertSettings, credentials: Credentials | None, *, ssl_context: ssl.SSLContext | None = None
) -> list[Channel]:
    """Every configured channel, webhooks first."""
    out: list[Channel] = [WebhookChannel(w, settings.timeout_seconds) for w in settings.webhooks]
    if settings.email is not None:

        def password() -> str | None:
            return credentials.get_secret(SMTP_SECRET) if credentials is not None else None

        out.append(EmailChannel(settings.email, settings.timeout_seconds, password, ssl_context))
    return out


@dataclass(frozen=True)
class SendResult:
    channel: AlertChannel
    target: str
    ok: bool
    attempts: int
    error: str | None = None


class AlertDispatcher:
    """Sends alerts through every configured channel. Blocking: run it in a thread."""

    def __init__(
        self,
        settings: AlertSettings,
        credentials: Credentials | None = None,
        *,
        channels: Sequence[Channel] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.channels = (
            list(channels) if channels is not None else build_channels(settings, credentials, ssl_context=ssl_context)
        )
        self._closing = threading.Event()

    def close(self) -> None:
        """Stop retrying (a send in progress finishes or times out); used when the app stops."""
        self._closing.set()

    def _attempts(self, channel: Channel, alert: BudgetAlert) -> SendResult:
        attempts, error = 0, None
        for n in range(self.settings.retries + 1):
            if n and self._closing.wait(self.settings.retry_backoff_seconds * 2 ** (n - 1)):
                break
            attempts += 1
            try:
                channel.send(alert)
                return SendResult(channel.channel, channel.target, True, attempts)
            except SendError as exc:
                error = str(exc)
                if not exc.retry:
                    break
            except Exception as exc:  # a channel's bug must not lose the other channels' sends
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
        return SendResult(channel.channel, channel.target, False, attempts, error)

    def deliver(self, store: Store, alerts: Sequence[BudgetAlert]) -> list[AlertDelivery]:
        """Send each alert through each channel, recording every delivery and its outcome."""
        out: list[AlertDelivery] = []
        for alert in alerts:
            if alert.id is None:
                continue
            for channel in self.channels:
                delivery = store.budgets.add_delivery(alert.id, channel.channel, channel.target)
                result = self._attempts(channel, alert)
                assert delivery.id is not None
                status: DeliveryStatus = "sent" if result.ok else "failed"
                store.budgets.finish_delivery(delivery.id, status, result.attempts, result.error)
                out.append(
                    delivery.model_copy(update={"status": status, "attempts": result.attempts, "error": result.error})
                )
        return out

    def send_test(self) -> list[SendResult]:
        """Send a made-up alert through every channel (nothing is recorded)."""
        now = datetime.now(UTC)
        alert = BudgetAlert(
            id=0,
            budget_id=0,
            budget_name="test",
            period_start=date(now.year, now.month, 1),
            threshold=80,
            spend_usd=Decimal(8),
            limit_usd=Decimal(10),
            fired_at=now,
        )
        return [self._attempts(channel, alert) for channel in self.channels]


async def watch_budgets(
    store: Store,
    dispatcher: AlertDispatcher,
    log: logging.Logger,
    *,
    every: float,
    activity: Callable[[], object] | None = None,
    poll: float = 5.0,
) -> None:
    """``costtui serve``'s budget check: every ``every`` seconds, and within ``poll`` seconds of new
    activity (``activity()`` returns something that changes when events arrive). The checks and the
    sends run in threads, so the listener never waits for them."""
    loop = asyncio.get_running_loop()
    last_check = -float("inf")
    last_mark = activity() if activity else None
    sends: set[asyncio.Task[list[AlertDelivery]]] = set()
    try:
        while True:
            mark = activity() if activity else None
            if loop.time() - last_check >= every or mark != last_mark:
                last_check, last_mark = loop.time(), mark
                try:
                    alerts = await asyncio.to_thread(check_budgets, store)
                except Exception as exc:  # a locked or broken database: say so, try again later
                    log.warning("budget check failed: %s", exc)
                    alerts = []
                for alert in alerts:
                    log.warning("%s: %s", alert_title(alert), alert_text(alert))
                if alerts and dispatcher.channels:
                    task = asyncio.create_task(asyncio.to_thread(dispatcher.deliver, store, alerts))
                    sends.add(task)
                    task.add_done_callback(lambda t: _log_sends(t, sends, log))
            await asyncio.sleep(min(every, poll))
    finally:
        dispatcher.close()


def _log_sends(task: asyncio.Task[list[AlertDelivery]], sends: set[Any], log: logging.Logger) -> None:
    sends.discard(task)
    if task.cancelled():
        return
    if (exc := task.exception()) is not None:
        log.warning("sending alerts failed: %s", exc)
        return
    for d in task.result():
        if d.status == "failed":
            log.warning(
                "alert %s via %s to %s failed after %d attempts: %s",
                d.alert_id,
                d.channel,
                d.target,
                d.attempts,
                d.error,
            )
        else:
            log.info("alert %s sent via %s to %s", d.alert_id, d.channel, d.target)
