"""``costtui serve`` and ``costtui tokens``: the headless listener and tracking tokens."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from costtui.formatting import fingerprint, safe

if TYPE_CHECKING:
    from costtui.cli import AppContext
    from costtui.store.tokens import TokenStore

# ctx.obj is the AppContext made by the `costtui` group (pass_obj: no import cycle with cli.py).
pass_ctx = click.pass_obj


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    root = logging.getLogger("costtui")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


@click.command()
@click.option("--host", help="Address to bind (default: listener.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: listener.port, 8787; 0 picks one).")
@click.option(
    "--log-interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 3600),
    help="Seconds between activity log lines.",
)
@click.option("--no-sync", is_flag=True, help="Do not run the scheduled provider syncs (sync.auto).")
@click.option(
    "--watch-agents",
    is_flag=True,
    help="Import coding-agent logs (Claude Code, Codex, Gemini CLI) and keep watching them.",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@pass_ctx
def serve(
    app_ctx: AppContext,
    host: str | None,
    port: int | None,
    log_interval: float,
    no_sync: bool,
    watch_agents: bool,
    verbose: bool,
) -> None:
    """Run the listener (and the scheduled provider syncs) without the UI.

    Logs go to stderr; SIGINT and SIGTERM stop it cleanly.
    """
    _setup_logging(verbose)
    app_ctx.prepare_db()
    app_ctx.writable_db(
        "`costtui serve` stores the usage it receives and needs write access to the file and its folder"
    )
    from costtui.listener import Listener, ListenerError

    log = logging.getLogger("costtui.serve")
    credentials = app_ctx.credentials()
    sync_settings = app_ctx.settings.sync
    run_sync = not no_sync and sync_settings.auto
    if run_sync:
        _unlock_for_sync(app_ctx)
    listener = Listener(
        app_ctx.db,
        app_ctx.settings.listener,
        host=host,
        port=port,
        credentials=credentials,
        sync=app_ctx.settings.sync,
        proxy=app_ctx.settings.proxy,
        rules=app_ctx.settings.rules,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await listener.start()
        if listener.ingest_key and listener.ingest_key.generated:
            log.info(
                "generated a new ingest key %s; show it with `costtui tokens key --show`",
                listener.ingest_key.fingerprint,
            )
        if listener.read_key:
            log.info(
                "read key %s (needed for /api/status and /metrics from other machines)", listener.read_key.fingerprint
            )
        print(f"costtui listening on {listener.url}", file=sys.stderr, flush=True)
        last = (0, 0, 0)

        async def report() -> None:
            nonlocal last
            while True:
                await asyncio.sleep(log_interval)
                s = listener.stats
                now = (s.accepted, s.duplicates, s.rejected)
                if now != last:
                    log.info(
                        "ingested %d events, %d duplicates, %d rejected in the last %.0fs",
                        now[0] - last[0],
                        now[1] - last[1],
                        now[2] - last[2],
                        log_interval,
                    )
                    last = now

        tasks = [asyncio.create_task(report())]
        agents_stop = None
        if watch_agents:
            import threading

            from costtui.services.agents import watch

            agents_stop = threading.Event()
            agents_log = logging.getLogger("costtui.agents")

            def imported(reports: list[Any]) -> None:
                for r in reports:
                    agents_log.info(
                        "%s: %d events added, %d duplicates, %d malformed lines (%d files)",
                        r.source,
                        r.events_added,
                        r.duplicates,
                        r.malformed,
                        r.files,
                    )

            tasks.append(asyncio.create_task(asyncio.to_thread(watch, app_ctx.db, agents_stop, on_report=imported)))
            log.info("watching coding-agent logs")
        sync_store = None
        if run_sync:
            from costtui.services.sync import run_scheduler
            from costtui.store import Store

            sync_store = await asyncio.to_thread(Store, app_ctx.db)
            tasks.append(
                asyncio.create_task(
                    run_scheduler(sync_store, sync_settings, logging.getLogger("costtui.sync"), credentials)
                )
            )
            log.info(
                "scheduled provider syncs on (every %g min for quotas, %g min for usage; --no-sync turns them off)",
                sync_settings.quota_interval_minutes,
                sync_settings.usage_interval_minutes,
            )
        # Budgets: checked here too (each threshold fires once, whichever process claims it first).
        from costtui.services.alerts import AlertDispatcher, watch_budgets
        from costtui.store import Store as AlertStore

        alert_store = await asyncio.to_thread(AlertStore, app_ctx.db)
        alerts = app_ctx.settings.alerts
        tasks.append(
            asyncio.create_task(
                watch_budgets(
                    alert_store,
                    AlertDispatcher(alerts, credentials),
                    logging.getLogger("costtui.alerts"),
                    every=alerts.check_seconds,
                    activity=lambda: listener.stats.accepted,
                )
            )
        )
        try:
            await stop.wait()
            log.info("stopping")
        finally:
            if agents_stop is not None:
                agents_stop.set()  # the watch thread ends at its next look (it cannot be cancelled)
            for task in tasks:
                task.cancel()
            for task in tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception as exc:  # a sync failure must not stop the listener's clean exit
                    log.warning("background task ended with an error: %s", exc)
            await listener.stop()
            if sync_store is not None:
                sync_store.close()
            alert_store.close()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        log.info("stopped (%d events accepted this run)", listener.stats.accepted)

    from costtui.store import StoreError

    try:
        asyncio.run(run())
    except (ListenerError, StoreError) as exc:  # StoreError: e.g. a database found read-only on open
        raise click.ClickException(str(exc)) from None


def _unlock_for_sync(app_ctx: AppContext) -> None:
    """Before the scheduled syncs start: ask for the passphrase of the encrypted key file on a
    terminal when an account's key is there. Without a terminal the listener runs anyway and each
    sync reports the locked file on the account (``keys list``, ``quotas``)."""
    from costtui.commands.credentials import ensure_unlocked

    names = [a.secret_name for a in app_ctx.store().billing.list_accounts(enabled_only=True)]
    if not names:
        return
    try:
        ensure_unlocked(app_ctx.credentials(), names)
    except click.ClickException as exc:
        logging.getLogger("costtui.serve").warning("provider syncs will fail until unlocked: %s", exc.message)


# --------------------------------------------------------------------------- tokens


@click.group()
def tokens() -> None:
    """Tracking tokens (one per app that pushes usage) and the listener's keys."""


def _repo(app_ctx: AppContext) -> TokenStore:
    return app_ctx.store().tokens


def _base_url(app_ctx: AppContext) -> str:
    s = app_ctx.settings.listener
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
    return f"http://{host}:{s.port}"


def _token_error(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@tokens.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (token and snippets).")
@pass_ctx
def tokens_create(app_ctx: AppContext, name: str, as_json: bool) -> None:
    """Create a tracking token for app NAME; it is shown once, with ready-to-paste snippets."""
    from costtui.listener.tokens import TokenError, create_token, snippets

    try:
        new = create_token(app_ctx.store(), name)
    except TokenError as exc:
        raise _token_error(exc) from None
    snips = snippets(_base_url(app_ctx), new.secret, header=app_ctx.settings.listener.tracking_token_header)
    if as_json:
        click.echo(json.dumps({"name": new.token.name, "token": new.secret, "snippets": snips}, indent=2))
        return
    click.echo(f"Tracking token for app {safe(new.token.name)!r} (shown once; costtui keeps only its hash):\n")
    click.echo(f"  {new.secret}\n")
    click.echo("Events sent with it are attributed to this app. The ingest key is also needed:")
    click.echo("  export COSTTUI_INGEST_KEY=$(costtui tokens key --show --quiet)\n")
    for title, key in (("curl", "curl"), ("Python, after an OpenAI SDK call", "python"), ("OpenTelemetry", "otel")):
        click.echo(f"# {title}")
        click.echo(snips[key])
        click.echo("")


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def tokens_list(app_ctx: AppContext, as_json: bool) -> None:
    """List tracking tokens (prefix, state, last use)."""
    items = _repo(app_ctx).list()
    if as_json:
        click.echo(json.dumps([t.as_json() for t in items], indent=2))
        return
    if not items:
        click.echo("No tracking tokens. Create one with `costtui tokens create NAME`.")
        return
    click.echo(f"{'app':<24} {'token':<14} {'state':<9} {'created':<26} last used")
    for t in items:
        click.echo(
            f"{safe(t.name):<24} {safe(t.display):<14} {'enabled' if t.enabled else 'disabled':<9} {t.created_at.isoformat():<26} {t.last_used_at.isoformat() if t.last_used_at else '—'}"
        )


@tokens.command("disable")
@click.argument("name")
@pass_ctx
def tokens_disable(app_ctx: AppContext, name: str) -> None:
    """Refuse events sent with NAME's token (403) until it is enabled again."""
    from costtui.listener.tokens import TokenError

    try:
        _repo(app_ctx).set_enabled(name, False)
    except TokenError as exc:
        raise _token_error(exc) from None
    click.echo(f"Disabled the tracking token of {name!r}; its events are now refused.")


@tokens.command("enable")
@click.argument("name")
@pass_ctx
def tokens_enable(app_ctx: AppContext, name: str) -> None:
    """Accept events sent with NAME's token again."""
    from costtui.listener.tokens import TokenError

    try:
        _repo(app_ctx).set_enabled(name, True)
    except TokenError as exc:
        raise _token_error(exc) from None
    click.echo(f"Enabled the tracking token of {name!r}.")


@tokens.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def tokens_delete(app_ctx: AppContext, name: str, yes: bool) -> None:
    """Delete NAME's token (its stored events stay, attributed to NAME)."""
    from costtui.listener.tokens import TokenError

    repo = _repo(app_ctx)
    if repo.get(name) is None:
        raise click.ClickException(f"no tracking token named {name!r} (see `costtui tokens list`)")
    if not yes:
        click.confirm(f"Delete the tracking token of {name!r}? Apps using it will be refused", abort=True)
    try:
        repo.delete(name)
    except TokenError as exc:
        raise _token_error(exc) from None
    click.echo(f"Deleted the tracking token of {name!r}.")


@tokens.command("key")
@click.option("--show", is_flag=True, help="Print the key itself (careful: it grants write access).")
@click.option(
    "--read", "which", flag_value="read_key", help="The read key (for /api/status and /metrics from other machines)."
)
@click.option("--ingest", "which", flag_value="ingest_key", default=True, help="The ingest key (default).")
@click.option("--rotate", is_flag=True, help="Replace the key with a new one (clients must be updated).")
@click.option("--quiet", is_flag=True, help="With --show: print only the key.")
@pass_ctx
def tokens_key(app_ctx: AppContext, show: bool, which: str, rotate: bool, quiet: bool) -> None:
    """Show the listener's ingest key (generated on first use) or its fingerprint."""
    from costtui.listener.keys import KeyUnavailable, ListenerKeys

    keys = ListenerKeys(app_ctx.credentials())
    try:
        info = keys.rotate(which) if rotate else keys.get(which)
    except KeyUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    assert info is not None
    label = which.replace("_", " ")
    if show and quiet:
        click.echo(info.value)
        return
    if info.generated:
        click.echo(f"Generated a new {label} and stored it in the {info.source}.")
        if rotate:
            click.echo("A running listener keeps the old key until it restarts.")
    click.echo(f"{label}: {fingerprint(info.value)}  (from {info.source})")
    if show:
        click.echo(info.value)
    else:
        click.echo(
            "Use --show to print it; send it as X-Ingest-Key or Authorization: Bearer."
            if which == "ingest_key"
            else "Use --show to print it; send it as X-Read-Key or Authorization: Bearer."
        )


COMMANDS = (serve, tokens)
