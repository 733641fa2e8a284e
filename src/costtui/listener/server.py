"""Run the listener inside an asyncio loop someone else owns (the TUI's or ``costtui serve``'s).

``aiohttp.web``'s ``AppRunner`` + ``TCPSite``: no signal handling of its own, ordinary
exceptions, one ``cleanup()`` to stop. Binding problems are raised as distinct exceptions so the
TUI can react (open as a viewer when another costtui holds the port, tell the user otherwise).
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from costtui.config import ListenerSettings, ProxySettings, SyncSettings
from costtui.formatting import fingerprint, plural
from costtui.listener.app import ListenerState, Stats, build_app, database_id
from costtui.listener.keys import INGEST_KEY, READ_KEY, KeyInfo, KeyUnavailable, ListenerKeys, is_loopback
from costtui.listener.metrics import ListenerMetrics
from costtui.listener.proxy.keyfp import SECRET_NAME as PROXY_FP_SECRET
from costtui.listener.writer import BatchWriter
from costtui.models import RecordResult
from costtui.store import Store

if TYPE_CHECKING:
    from costtui.config import RulesSettings
    from costtui.listener.proxy import Proxy
    from costtui.rules.policy import ProxyPolicy
    from costtui.secrets import Credentials

log = logging.getLogger("costtui.listener")


class ListenerError(Exception):
    """The listener cannot start; the message says why and what to do."""


class PortHeldByCosttui(ListenerError):
    """Another costtui (e.g. ``costtui serve``) already listens there: open as a viewer."""

    def __init__(self, message: str, url: str, version: str | None = None, same_database: bool | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.version = version
        self.same_database = same_database
        """True/False when the other costtui says which database it writes (None: it did not say)."""


class PortInUse(ListenerError):
    """Something that is not costtui holds the port."""


class InsecureBind(ListenerError):
    """A non-loopback address was asked for without a usable ingest key."""


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def probe_costtui(host: str, port: int, timeout: float = 1.5) -> dict[str, Any] | None:
    """GET /health on host:port; the JSON if a costtui answers there, else None."""
    url = f"http://{_url_host(host)}:{port}/health"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url) as resp:
                data = await resp.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError, OSError):
        return None
    if isinstance(data, dict) and data.get("service") == "costtui":
        return data
    return None


class Listener:
    """The embedded HTTP listener.

    ``on_events(result)`` is a plain callback, called in the loop's thread after each commit
    that stored or matched events (the TUI posts a message from it; ``serve`` may log).
    """

    def __init__(
        self,
        db_path: str | Path,
        settings: ListenerSettings | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        on_events: Callable[[RecordResult], None] | None = None,
        extra_routes: Iterable[web.RouteDef] = (),
        credentials: Credentials | None = None,
        sync: SyncSettings | None = None,
        proxy: ProxySettings | None = None,
        policy: ProxyPolicy | None = None,
        rules: RulesSettings | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.sync = sync
        self.keys = ListenerKeys(credentials)
        """Where the ingest and read keys come from (the caller's credentials: same config, same keys)."""
        self.settings = settings or ListenerSettings()
        self.host = host if host is not None else self.settings.host
        self.port = port if port is not None else self.settings.port
        self.on_events = on_events
        self.extra_routes = list(extra_routes)
        self.stats = Stats()
        self.ingest_key: KeyInfo | None = None
        self.read_key: KeyInfo | None = None
        self._runner: web.AppRunner | None = None
        self._writer: BatchWriter | None = None
        self._read_store: Store | None = None
        self._state: ListenerState | None = None
        self.metrics: ListenerMetrics | None = None
        self.proxy: Proxy | None = None
        """The proxy routes, when ``proxy`` settings are given and enabled."""
        self._proxy_settings = proxy if proxy is not None and proxy.enabled else None
        self._policy = policy
        self._rules = rules
        """The proxy's rules (``[rules]``); with no ``policy`` given they are enforced by a RuleEngine."""

    def set_rules(self, rules: RulesSettings) -> None:
        """Enforce new rules from the next call on (rate windows and budget reservations carry over)."""
        from costtui.rules.engine import RuleEngine

        self._rules = rules
        if self.proxy is not None and isinstance(self.proxy.policy, RuleEngine):
            self.proxy.policy.configure(rules)

    # ------------------------------------------------------------------ info

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def address(self) -> str:
        return f"{_url_host(self.host) if self.host not in ('0.0.0.0', '::') else self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def public(self) -> bool:
        return not is_loopback(self.host)

    @property
    def last_event_at(self) -> datetime | None:
        return self.stats.last_event_at

    def events_last_minute(self) -> int:
        return self.stats.events_last_minute()

    def invalidate_tokens(self) -> None:
        """Forget cached tracking-token lookups (call after changing tokens in this process)."""
        if self._state is not None and self._state.tokens is not None:
            self._state.tokens.invalidate()

    def status_line(self) -> str:
        last = self.stats.last_event_at
        when = last.astimezone().strftime("%H:%M:%S") if last else "—"
        return f"listening {self.address} · {plural(self.events_last_minute(), 'event')}/min · last {when}"

    # ------------------------------------------------------------------ lifecycle

    async def _keys(self) -> None:
        try:
            self.ingest_key = await asyncio.to_thread(self.keys.get, INGEST_KEY)
        except KeyUnavailable as exc:
            if self.public:
                raise InsecureBind(
                    f"refusing to listen on {self.host} (not loopback) without an ingest key: {exc}"
                ) from None
            log.warning("no ingest key (%s); loopback clients are accepted without one", exc)
            self.ingest_key = None
        if self.public:
            try:
                self.read_key = await asyncio.to_thread(self.keys.get, READ_KEY)
            except KeyUnavailable as exc:
                raise InsecureBind(f"refusing to listen on {self.host} without a read key: {exc}") from None

    async def start(self) -> None:
        if self._runner is not None:
            return
        if self._proxy_settings is not None and self.proxy is None:
            from costtui.listener.proxy import Proxy, UpstreamError

            try:
                self.proxy = Proxy(self._proxy_settings, self._policy)
            except UpstreamError as exc:
                raise ListenerError(f"cannot start the proxy: {exc} ([proxy] in the config)") from None
        await self._keys()
        self._writer = BatchWriter(self.db_path, max_batch=self.settings.batch_max_events, on_commit=self._committed)
        try:
            await self._writer.start()
            self._read_store = await asyncio.to_thread(Store, self.db_path)
            if self.proxy is not None and self._policy is None:
                from costtui.config import RulesSettings
                from costtui.rules.engine import RuleEngine

                # Enforced budgets live in the database, so the engine runs even with no [rules] set.
                self.proxy.policy = RuleEngine(self._rules or RulesSettings(), self._read_store)
            self.metrics = ListenerMetrics(lambda: self._read_store)  # type: ignore[arg-type,return-value]
            self.metrics.watch_writer(self._writer)
            state = ListenerState(
                settings=self.settings,
                host=self.host,
                writer=self._writer,
                read_store=self._read_store,
                ingest_key=self.ingest_key.value if self.ingest_key else None,
                read_key=self.read_key.value if self.read_key else None,
                metrics=self.metrics,
                stats=self.stats,
                sync=self.sync,
            )
            self._state = state
            routes = list(self.extra_routes)
            if self.proxy is not None:
                secret = await asyncio.to_thread(self.keys.get, PROXY_FP_SECRET)
                assert secret is not None
                await self.proxy.start(state, secret.value)
                routes += self.proxy.routes()
            app = build_app(state, routes)
            runner = web.AppRunner(app, access_log=None, handle_signals=False, auto_decompress=False)
            await runner.setup()
            site = web.TCPSite(runner, self.host, self.port, backlog=1024)
            try:
                await site.start()
            except OSError as exc:
                await runner.cleanup()
                raise await self._bind_error(exc) from None
            self._runner = runner
            addrs = runner.addresses
            if addrs and self.port == 0:
                self.port = int(addrs[0][1])
        except BaseException:
            await self._close_resources()
            raise
        key = (
            f"ingest key {fingerprint(self.ingest_key.value)} ({self.ingest_key.source})"
            if self.ingest_key
            else "no ingest key"
        )
        log.info("costtui listener on %s (%s)", self.url, key)
        if self.proxy is not None:
            log.info("costtui proxy: OPENAI_BASE_URL=%s/v1, ANTHROPIC_BASE_URL=%s (docs/proxy.md)", self.url, self.url)

    async def _bind_error(self, exc: OSError) -> ListenerError:
        where = f"{self.host}:{self.port}"
        if exc.errno == errno.EADDRINUSE:
            other = await probe_costtui(self.host, self.port)
            if other is not None:
                version = other.get("version")
                db = other.get("database") if isinstance(other.get("database"), dict) else {}
                theirs = db.get("id") if isinstance(db, dict) else None
                same = None if not isinstance(theirs, str) else theirs == database_id(self.db_path)
                note = "" if same is not False else " (with another database file)"
                return PortHeldByCosttui(
                    f"another costtui ({version or 'unknown version'}) already listens on {where}{note}",
                    self.url,
                    version,
                    same,
                )
            return PortInUse(
                f"port {self.port} on {self.host} is used by another program (not costtui); "
                "choose another with --port or listener.port in the config"
            )
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            return ListenerError(f"cannot listen on {where}: this machine has no such address")
        if exc.errno == errno.EACCES:
            return ListenerError(f"cannot listen on {where}: permission denied (ports below 1024 need privileges)")
        return ListenerError(f"cannot listen on {where}: {exc.strerror or exc}")

    async def stop(self) -> None:
        """Stop accepting, answer in-flight requests, commit what is queued, close the database."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._close_resources()

    async def _close_resources(self) -> None:
        if self.proxy is not None:
            await self.proxy.close()  # queues its last records before the writer stops
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.stop()
        store, self._read_store = self._read_store, None
        if store is not None:
            store.close()

    async def __aenter__(self) -> Listener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _committed(self, result: RecordResult) -> None:
        self.stats.add(result.accepted, result.duplicates)
        if self.on_events is not None:
            self.on_events(result)
