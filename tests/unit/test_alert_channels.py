"""Alert channels against real local servers: webhooks to an aiohttp server, email to an aiosmtpd
server with STARTTLS (a certificate made by trustme for the test) and a login whose password comes
from the keyring; retries, timeouts and failures recorded in the alerts log."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from costtui.config import AlertSettings, ConfigError, load_settings
from costtui.models import Budget, UsageEvent
from costtui.secrets import Credentials
from costtui.services.alerts import SMTP_SECRET, AlertDispatcher, watch_budgets
from costtui.services.budgets import check_budgets
from costtui.store import Store

AT = datetime(2026, 11, 16, 12, tzinfo=UTC)


def _fire(store: Store, cost: str = "9") -> list[Any]:
    store.budgets.add(Budget(name="monthly", limit_usd=Decimal(10)))
    store.record([UsageEvent(event_id="e1", ts=AT, provider="openai", model="gpt-4o", cost_usd=Decimal(cost))])
    return check_budgets(store, AT)


def _settings(**fields: Any) -> AlertSettings:
    return AlertSettings.model_validate({"retry_backoff_seconds": 0, "timeout_seconds": 5, **fields})


class Hook:
    """A local webhook receiver: answers each POST with the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.arrived = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        async with self.arrived:
            self.arrived.notify_all()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def wait_for(self, count: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.bodies) >= count), 20)


async def _hook_server(hook: Hook) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook/{secret}", hook.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_generic_and_slack_webhooks_receive_each_alert(db_path: Path) -> None:
    hook = Hook()
    server = await _hook_server(hook)
    port = server.port
    try:
        base = f"http://127.0.0.1:{port}/hook"
        settings = _settings(webhooks=[{"url": f"{base}/s3cret"}, {"url": f"{base}/slack", "format": "slack"}])
        with Store(db_path) as store:
            alerts = _fire(store)
            deliveries = await asyncio.to_thread(AlertDispatcher(settings).deliver, store, alerts)
            log = store.budgets.deliveries()
    finally:
        await server.close()
    assert [a.threshold for a in alerts] == [50, 80]
    generic = [b for b in hook.bodies if "type" in b]
    slack = [b for b in hook.bodies if "type" not in b]
    assert [b["threshold"] for b in generic] == [50, 80]
    assert generic[0]["budget"] == "monthly" and generic[0]["spend_usd"] == "9" and generic[0]["limit_usd"] == "10"
    assert list(slack[1]) == ["text"] and "80%" in slack[1]["text"] and "monthly" in slack[1]["text"]
    assert all(d.status == "sent" and d.attempts == 1 for d in deliveries)
    stored = [d for ds in log.values() for d in ds]
    assert {d.channel for d in stored} == {"webhook", "slack"} and all(d.status == "sent" for d in stored)
    # The webhook's path (where Slack keeps its secret) is never stored.
    assert all("s3cret" not in d.target and d.target == f"127.0.0.1:{port}" for d in stored)


async def test_a_failing_webhook_is_retried_then_logged_as_failed(db_path: Path) -> None:
    hook = Hook([503, 200, 500, 500, 500])
    server = await _hook_server(hook)
    try:
        settings = _settings(retries=2, webhooks=[{"url": f"http://127.0.0.1:{server.port}/hook/x"}])
        with Store(db_path) as store:
            alerts = _fire(store)
            deliveries = await asyncio.to_thread(AlertDispatcher(settings).deliver, store, alerts)
            stored = store.budgets.deliveries([a.id for a in alerts])
    finally:
        await server.close()
    first, second = deliveries
    assert first.status == "sent" and first.attempts == 2
    assert second.status == "failed" and second.attempts == 3 and "HTTP 500" in (second.error or "")
    assert stored[alerts[1].id][0].status == "failed" and "HTTP 500" in (stored[alerts[1].id][0].error or "")


async def test_a_client_error_is_not_retried_and_a_dead_host_fails_fast(db_path: Path) -> None:
    hook = Hook([404])
    server = await _hook_server(hook)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # closed when the block ends: nothing listens there
    try:
        settings = _settings(
            retries=3,
            webhooks=[{"url": f"http://127.0.0.1:{server.port}/hook/x"}, {"url": f"http://127.0.0.1:{dead}/x"}],
        )
        results = await asyncio.to_thread(AlertDispatcher(settings).send_test)
    finally:
        await server.close()
    assert [(r.ok, r.attempts) for r in results] == [(False, 1), (False, 4)]
    assert "HTTP 404" in (results[0].error or "") and "cannot reach" in (results[1].error or "")


async def test_a_slow_webhook_times_out(db_path: Path) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/slow", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        settings = _settings(retries=0, timeout_seconds=0.2, webhooks=[{"url": f"http://127.0.0.1:{server.port}/slow"}])
        (result,) = await asyncio.to_thread(AlertDispatcher(settings).send_test)
    finally:
        release.set()
        await server.close()
    assert not result.ok and "no answer" in (result.error or "")


# --------------------------------------------------------------------------- email


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        # handled=False: aiosmtpd then answers 535 itself (its default assumes the handler did).
        return AuthResult(success=data.password == b"hunter2-smtp", handled=False)


@pytest.fixture
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


@pytest.fixture
def smtp_server(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls[0],
        require_starttls=True,
        authenticator=box.authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _email(port: int, **fields: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "username": "alerts@example.com",
        "sender": "costtui@example.com",
        "to": ["ops@example.com", "cfo@example.com"],
        **fields,
    }


def test_email_over_starttls_with_the_password_from_the_keyring(
    db_path: Path,
    smtp_server: tuple[Mailbox, int],
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
    credentials: Credentials,
) -> None:
    box, port = smtp_server
    credentials.set_secret(SMTP_SECRET, "hunter2-smtp")
    settings = _settings(email=_email(port))
    with Store(db_path) as store:
        alerts = _fire(store, "5")
        deliveries = AlertDispatcher(settings, credentials, ssl_context=tls[1]).deliver(store, alerts)
        stored = store.budgets.deliveries()
    assert [(d.channel, d.status) for d in deliveries] == [("email", "sent")]
    assert box.logins == [(b"alerts@example.com", b"hunter2-smtp")]
    ((sender, rcpts, content),) = box.messages
    msg = message_from_bytes(content)
    assert sender == "costtui@example.com" and rcpts == ["ops@example.com", "cfo@example.com"]
    assert msg["Subject"] == "[costtui] Budget monthly: 50% reached"
    assert "$5" in msg.get_payload() and "$10" in msg.get_payload()
    # The password is nowhere in the database.
    assert b"hunter2" not in db_path.read_bytes()
    assert next(iter(stored.values()))[0].target == "ops@example.com, cfo@example.com"


def test_email_without_a_stored_password_fails_with_the_fix(
    db_path: Path,
    smtp_server: tuple[Mailbox, int],
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
    credentials: Credentials,
) -> None:
    _, port = smtp_server
    (result,) = AlertDispatcher(_settings(email=_email(port)), credentials, ssl_context=tls[1]).send_test()
    assert not result.ok and result.attempts == 1 and "costtui alerts email-password" in (result.error or "")


def test_email_refuses_a_certificate_it_does_not_trust(
    smtp_server: tuple[Mailbox, int], credentials: Credentials
) -> None:
    box, port = smtp_server
    credentials.set_secret(SMTP_SECRET, "hunter2-smtp")
    (result,) = AlertDispatcher(_settings(retries=1, email=_email(port)), credentials).send_test()
    assert not result.ok and "SSL" in (result.error or "") and box.logins == [] and box.messages == []


def test_a_wrong_password_is_said_once_not_retried(
    smtp_server: tuple[Mailbox, int], tls: tuple[ssl.SSLContext, ssl.SSLContext], credentials: Credentials
) -> None:
    box, port = smtp_server
    credentials.set_secret(SMTP_SECRET, "wrong")
    (result,) = AlertDispatcher(_settings(retries=3, email=_email(port)), credentials, ssl_context=tls[1]).send_test()
    assert not result.ok and result.attempts == 1 and "refused the login" in (result.error or "")
    assert "wrong" not in (result.error or "")


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[alerts.webhooks]]\nurl = "hooks.slack.com/services/x"\n', "http:// or https://"),
        ('[[alerts.webhooks]]\nurl = "ftp://example.com/x"\n', "http:// or https://"),
        ('[[alerts.webhooks]]\nurl = "https://example.com"\nformat = "teams"\n', "'json' or 'slack'"),
        ('[alerts.email]\nhost = "smtp.example.com"\nsender = "me"\nto = ["a@example.com"]\n', "'me' is not an email"),
        (
            '[alerts.email]\nhost = "smtp.example.com"\nsender = "a@example.com"\nto = ["b@x"]\n',
            "'b@x' is not an email",
        ),
        ('[alerts.email]\nhost = "smtp.example.com"\nsender = "a@example.com"\nto = []\n', "at least 1"),
    ],
)
def test_bad_alert_settings_are_refused_at_load_with_what_is_wrong(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_good_alert_settings_load(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[alerts]\nbell = false\n[[alerts.webhooks]]\nurl = "https://hooks.slack.com/services/T/B/x"\nformat = "slack"\n'
        '[alerts.email]\nhost = "smtp.example.com"\nsender = "a@example.com"\nto = "b@example.com"\n'
    )
    alerts = load_settings(path).alerts
    assert not alerts.bell and alerts.webhooks[0].format == "slack" and alerts.email is not None
    assert alerts.email.to == ["b@example.com"] and alerts.email.port == 587 and alerts.email.starttls


# --------------------------------------------------------------------------- serve's loop


async def test_the_serve_watch_fires_and_sends_once(db_path: Path) -> None:
    hook = Hook()
    server = await _hook_server(hook)
    import logging

    try:
        settings = _settings(webhooks=[{"url": f"http://127.0.0.1:{server.port}/hook/x"}])
        with Store(db_path) as store, Store(db_path) as other:
            store.budgets.add(Budget(name="now", period="day", limit_usd=Decimal(1)))
            now = datetime.now(UTC)
            store.record([UsageEvent(event_id="e1", ts=now, provider="openai", model="m", cost_usd=Decimal(2))])
            task = asyncio.create_task(
                watch_budgets(store, AlertDispatcher(settings), logging.getLogger("test"), every=0.05, poll=0.05)
            )
            try:
                await hook.wait_for(3)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            # Another process checking after it claims nothing: each threshold went out once.
            assert await asyncio.to_thread(check_budgets, other) == []
    finally:
        await server.close()
    assert sorted(b["threshold"] for b in hook.bodies) == [50, 80, 100]
    assert json.dumps(hook.bodies)
