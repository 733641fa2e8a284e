"""The ``costtui`` command. Bare ``costtui`` opens the TUI; subcommands use the core directly.

Heavy imports (Textual, aiohttp) are deferred to the commands that need them, so scripts such as
``costtui status --json`` start fast and run on servers without a terminal.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from costtui import __version__, paths
from costtui.commands.groups import RootGroup, arrange_args
from costtui.commands.params import parse_amount, parse_date
from costtui.config import ConfigError, Settings, load_settings
from costtui.formatting import money, price_command, safe, tokens


@dataclass
class AppContext:
    """What every subcommand gets: settings and the chosen database path."""

    settings: Settings
    db: Path
    config_file: Path
    db_source: str = "default"
    """Where ``db`` came from: ``flag``, ``env``, ``config`` or ``default`` (see ``paths``)."""
    _store: Any = field(default=None, repr=False)
    _credentials: Any = field(default=None, repr=False)

    def credentials(self) -> Any:
        """The credentials of these settings (``--config`` decides the backend for every command)."""
        if self._credentials is None:
            from costtui.secrets import Credentials

            self._credentials = Credentials.from_settings(self.settings)
        return self._credentials

    def store(self) -> Any:
        """The database, created (with its folder) if it does not exist yet."""
        if self._store is None:
            self._store = open_store(self.db)
        return self._store

    def read_store(self) -> Any:
        """The database for a command that only reads (``status``, ``quotas``, reports, exports).

        It never creates a file or a folder. A database named with ``--db`` that does not exist
        is an error (most likely a typo); at the usual location (or ``COSTTUI_DB``, or the config
        file's ``db_path``) a missing database means nothing was recorded yet, and the command
        reads an empty one.
        """
        if self._store is None and not self.db.exists():
            if self.db_source == "flag":
                raise click.ClickException(
                    f"no database at {self.db}: --db names a file that does not exist"
                    " (`costtui paths` shows where costtui keeps its data)"
                )
            from costtui.store import Store

            self._store = Store(":memory:")
        if self._store is None:
            import costtui.store.db as store_db

            # A database this process may not write (read-only file, folder or mount) is still
            # readable: opened read-only, without migrations.
            read_only = not store_db.database_writable(self.db)
            if not read_only:
                try:
                    self._store = open_store(self.db, reraise_read_only=True)
                except store_db.ReadOnlyDatabase:
                    read_only = True
            if read_only:
                self._store = open_store(self.db, read_only=True)
        return self.store()

    def writable_db(self, why: str) -> None:
        """Refuse now, in one line, when the database cannot be written (``why``: who needs to)."""
        import costtui.store.db as store_db

        if store_db.database_writable(self.db):
            return
        if self.db.exists():
            raise click.ClickException(f"the database {self.db} is read-only: {why}")
        raise click.ClickException(f"cannot create the database {self.db}: its folder is read-only ({why})")

    def prepare_db(self) -> None:
        """Create the database's folder now, for commands that open the database in another thread
        (``serve``, the TUI): a path that cannot be created is then a one-line error up front."""
        try:
            self.db.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot create the database {self.db}: {exc.strerror or exc}") from exc

    @property
    def database_exists(self) -> bool:
        return self.db.exists()


def open_store(db: Path, *, read_only: bool = False, reraise_read_only: bool = False) -> Any:
    """Open (creating if needed) the database at ``db``; any failure is a one-line error.

    ``read_only`` opens an existing database for reading only; ``reraise_read_only`` lets the
    caller handle a database found read-only (it falls back to reading)."""
    from costtui.store import Store, StoreError
    from costtui.store.db import ReadOnlyDatabase

    try:
        return Store(db, read_only=read_only)
    except StoreError as exc:
        if reraise_read_only and isinstance(exc, ReadOnlyDatabase):
            raise
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot create the database {db}: {exc.strerror or exc}") from exc


pass_ctx = click.make_pass_decorator(AppContext)


@click.group(cls=RootGroup, default="tui", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="costtui")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Database file (env COSTTUI_DB).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (env COSTTUI_CONFIG).")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, config_file: str | None) -> None:
    """costtui: what your AI APIs cost, and how close you are to every limit.

    Run without a command to open the terminal UI. --db and --config may also follow the command.
    """
    if config_file and not Path(config_file).expanduser().is_file():
        # A file named on the command line must exist; COSTTUI_CONFIG and the XDG path may not yet.
        raise click.ClickException(f"config file {config_file} does not exist")
    try:
        settings = load_settings(config_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    db, db_source = paths.db_path_and_source(db_path, settings.db_path)
    ctx.obj = AppContext(settings=settings, db=db, config_file=paths.config_path(config_file), db_source=db_source)
    ctx.call_on_close(lambda: ctx.obj._store.close() if ctx.obj._store is not None else None)


def progress_line(text: str) -> None:
    """A progress line on a terminal's stderr, rewritten in place (nothing when redirected)."""
    if sys.stderr.isatty():
        click.echo(f"\r  {text}", nl=False, err=True)


# --------------------------------------------------------------------------- TUI


@cli.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Open on the demo database (90 days of synthetic usage, provider accounts, billed costs and limits;"
    " its own file, its own listener port).",
)
@click.option("--no-listener", is_flag=True, help="Do not start the embedded listener.")
@pass_ctx
def tui(app_ctx: AppContext, demo: bool, no_listener: bool) -> None:
    """Open the terminal UI (the default command)."""
    db = app_ctx.db
    settings = app_ctx.settings
    if demo:
        # make_app gives the demo window its own listener port (see services.demo.demo_settings).
        db = paths.demo_db_path()
        from costtui.services.demo import fill_demo

        with open_store(db) as store:
            empty = store.count_events() == 0
            if empty:
                click.echo(f"Filling the demo database {db} with 90 days of demo usage…", err=True)
            # The provider side is refreshed on every start (cheap): its limits read "just now".
            fill_demo(
                store,
                days=90,
                events=empty,
                progress=lambda n: progress_line(f"{n:,} events"),
            )
    if settings.retention_days and not demo:
        # Retention runs at start-up: old raw events go, their daily totals stay.
        removed = app_ctx.store().prune(settings.retention_days)
        if removed:
            click.echo(f"Pruned {removed:,} events older than {settings.retention_days} days.", err=True)
    if not demo:
        app_ctx.prepare_db()
    from costtui.ui.app import make_app

    app = make_app(settings, db, demo=demo, listener=not no_listener, credentials=app_ctx.credentials())
    app.config_file = app_ctx.config_file
    app.run()


def _with_default_command(args: list[str]) -> list[str]:
    """``costtui --demo`` → ``costtui tui --demo``; ``costtui status --db X`` → ``costtui --db X status``."""
    return arrange_args(args, cli.commands, "tui")


def main(argv: list[str] | None = None) -> None:
    cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="costtui")


# --------------------------------------------------------------------------- paths, demo, status


@cli.command("paths")
@pass_ctx
def paths_cmd(app_ctx: AppContext) -> None:
    """Print where costtui keeps its database, config, cache and backups."""
    rows = [
        ("database", app_ctx.db),
        ("config", app_ctx.config_file),
        ("data dir", paths.data_dir()),
        ("cache dir", paths.cache_dir()),
        ("backups", paths.backups_dir()),
        ("demo database", paths.demo_db_path()),
    ]
    for name, value in rows:
        click.echo(f"{name:<14} {value}")


@cli.command()
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650), help="How many days of history.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same data).")
@pass_ctx
def demo(app_ctx: AppContext, days: int, seed: int) -> None:
    """Fill the selected database with realistic demo data: usage, and synthetic provider accounts
    (marked demo: no key, never synced) with billed costs, balances and limits. Running it again
    adds nothing twice."""
    from costtui.services.demo import fill_demo

    result = fill_demo(app_ctx.store(), days=days, seed=seed)
    click.echo(
        f"Added {result.events:,} demo events ({days} days), {result.accounts} demo accounts and"
        f" {result.billed_written:,} billed lines to {app_ctx.db}"
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract for scripts).")
@pass_ctx
def status(app_ctx: AppContext, as_json: bool) -> None:
    """Spend today, this month and in total, by provider and by model."""
    from costtui.analytics.budgets import STATE_EXIT_CODES
    from costtui.analytics.summary import status_report

    report = status_report(app_ctx.read_store(), sync=app_ctx.settings.sync)
    report["database"] = str(app_ctx.db)
    # The exit code scripts read: 0 ok, 1 a budget's warning threshold crossed, 2 a budget exceeded.
    exit_code = STATE_EXIT_CODES[report["budgets_state"]]
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_status(app_ctx, report)
    if exit_code:
        click.get_current_context().exit(exit_code)


def _print_status(app_ctx: AppContext, report: dict[str, Any]) -> None:
    t, today, mtd = report["totals"], report["today"], report["month_to_date"]
    click.echo(f"costtui {__version__} · {report['database']}")
    if not app_ctx.database_exists:
        click.echo(f"No database yet at {app_ctx.db}: nothing recorded.", err=True)
    if t["events"] == 0:
        click.echo(
            "No usage recorded yet: point an app at the listener, add a provider key (`costtui keys add`),"
            " or look around in `costtui --demo` (a demo database of its own)."
        )
        return
    click.echo(f"{'':<16}{'cost':>14}{'events':>10}{'tokens':>10}")
    for label, part in (("today (UTC)", today), ("month to date", mtd), ("all time", t)):
        total_tokens = (
            part["input_tokens"] + part["cache_read_tokens"] + part["cache_write_tokens"] + part["output_tokens"]
        )
        click.echo(f"{label:<16}{money(Decimal(part['cost_usd'])):>14}{part['events']:>10,}{tokens(total_tokens):>10}")
    click.echo("")
    click.echo("by provider")
    for row in report["by_provider"]:
        click.echo(f"  {safe(row['name']):<30}{money(Decimal(row['cost_usd'])):>14}{row['events']:>10,}")
    if report["unpriced_models"]:
        click.echo("")
        click.echo("unpriced (not counted in cost; set a price with the `costtui prices set` line below each)")
        for u in report["unpriced_models"]:
            click.echo(
                f"  {safe(u['provider'])}/{safe(u['model'])}: {u['events']:,} events, {tokens(u['tokens'])} tokens"
            )
            click.echo(f"    {price_command(u['model'])}")
    if report["budgets"]:
        from costtui.commands.budgets_cli import print_budget_report

        click.echo("")
        print_budget_report(report)


# --------------------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Back up, compact, prune or reset the database."""


@db.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@pass_ctx
def db_backup(app_ctx: AppContext, path: str | None) -> None:
    """Write a consistent online copy of the database (default: the backups folder)."""
    from costtui.store import StoreError

    dest = Path(path) if path else paths.backups_dir() / f"costtui-{datetime.now(UTC):%Y%m%d-%H%M%S}.db"
    try:
        # An existing database is read, never migrated or written (it may be read-only).
        store = app_ctx.read_store() if app_ctx.database_exists else app_ctx.store()
        out = store.backup(dest)
    except (StoreError, OSError) as exc:
        raise click.ClickException(f"backup failed: {exc}") from exc
    click.echo(f"Backed up {app_ctx.db} to {out}")


@db.command("vacuum")
@pass_ctx
def db_vacuum(app_ctx: AppContext) -> None:
    """Compact the database file (writers wait until it is done; Ctrl-C stops it, changing nothing)."""
    show = sys.stderr.isatty()
    t0 = time.monotonic()
    try:
        before, after = app_ctx.store().vacuum(progress=lambda s: progress_line(f"vacuuming… {s:,.0f} s"))
    except KeyboardInterrupt:
        raise click.ClickException("vacuum interrupted: the database is unchanged") from None
    if show:
        click.echo("", err=True)
    click.echo(f"Vacuumed {app_ctx.db}: {before:,} → {after:,} bytes in {time.monotonic() - t0:,.1f} s")


@db.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def db_reset(app_ctx: AppContext, yes: bool) -> None:
    """Delete all usage data (a backup is written first)."""
    store = app_ctx.store()
    if not yes:
        click.confirm(f"Delete all usage data in {app_ctx.db}? A backup is made first", abort=True)
    dest = store.backup(paths.backups_dir() / f"costtui-before-reset-{datetime.now(UTC):%Y%m%d-%H%M%S}.db")
    store.reset()
    click.echo(f"Backup written to {dest}; all usage data deleted.")


@db.command("prune")
@click.option(
    "--keep-days", type=click.IntRange(1, None), help="Keep this many days (default: retention_days setting)."
)
@pass_ctx
def db_prune(app_ctx: AppContext, keep_days: int | None) -> None:
    """Delete raw events older than the retention period; daily totals are kept."""
    keep = keep_days or app_ctx.settings.retention_days
    if not keep:
        raise click.UsageError("no retention set: pass --keep-days N or set retention_days in the config file")
    show = sys.stderr.isatty()
    done = [0]
    t0 = time.monotonic()

    def progress(removed: int, total: int) -> None:
        done[0] = removed
        progress_line(f"pruning… {removed:,}/{total:,} events")

    try:
        removed = app_ctx.store().prune(keep, progress=progress)
    except KeyboardInterrupt:
        # Every slice commits with its bookkeeping: what was removed is consistently gone.
        raise click.ClickException(f"interrupted after removing {done[0]:,} events; run it again to finish") from None
    if show:
        click.echo("", err=True)
    click.echo(
        f"Removed {removed:,} raw events older than {keep} days in {time.monotonic() - t0:,.1f} s"
        " (their daily totals are kept)."
    )


# --------------------------------------------------------------------------- prices


@cli.group()
def prices() -> None:
    """Show prices and manage your own price overrides."""


@prices.command("show")
@click.argument("model")
@click.option("--provider", help="Provider id (openai, anthropic, google, groq, ...).")
@click.option("--on", "on_date", help="Price on this date (YYYY-MM-DD); default today.")
@pass_ctx
def prices_show(app_ctx: AppContext, model: str, provider: str | None, on_date: str | None) -> None:
    """Show the price costtui uses for MODEL (per million tokens)."""
    info = app_ctx.store().pricer.describe(model, provider, parse_date(on_date, "--on"))
    if info is None:
        raise click.ClickException(
            f"no price known for {model!r}"
            + (f" at {provider!r}" if provider else "")
            + ". Set one with: "
            + price_command(model)
        )
    click.echo(f"{safe(info.model)}  ({safe(info.provider) or 'any provider'})")
    click.echo(f"  source        {info.description}")
    click.echo(f"  version       {info.version}")
    for label, value in (
        ("input", info.input_per_mtok),
        ("output", info.output_per_mtok),
        ("cache read", info.cache_read_per_mtok),
        ("cache write", info.cache_write_per_mtok),
    ):
        click.echo(f"  {label:<13} {'—' if value is None else f'${value:f} / 1M tokens'}")


@prices.command("set")
@click.argument("model")
@click.option("--input", "input_", required=True, help="USD per million uncached input tokens.")
@click.option("--output", required=True, help="USD per million output tokens.")
@click.option("--cache-read", help="USD per million cache-read tokens (default: the input price).")
@click.option("--cache-write", help="USD per million cache-write tokens (default: the input price).")
@click.option("--provider", help="Only for this provider.")
@click.option("--from", "from_date", help="Effective from this date (YYYY-MM-DD).")
@click.option("--until", "until_date", help="Effective until this date, exclusive (YYYY-MM-DD).")
@pass_ctx
def prices_set(
    app_ctx: AppContext,
    model: str,
    input_: str,
    output: str,
    cache_read: str | None,
    cache_write: str | None,
    provider: str | None,
    from_date: str | None,
    until_date: str | None,
) -> None:
    """Set your own price for MODEL (it wins over the bundled price data)."""
    from costtui.models import PriceOverride

    start, end = parse_date(from_date, "--from"), parse_date(until_date, "--until")
    if start and end and end <= start:
        raise click.BadParameter("--until must be after --from", param_hint="--until")
    override = app_ctx.store().add_price_override(
        PriceOverride(
            model=model,
            provider=provider,
            input_per_mtok=parse_amount(input_, "--input"),
            output_per_mtok=parse_amount(output, "--output"),
            cache_read_per_mtok=parse_amount(cache_read, "--cache-read"),
            cache_write_per_mtok=parse_amount(cache_write, "--cache-write"),
            effective_from=start,
            effective_to=end,
        )
    )
    click.echo(f"Override #{override.id} saved for {safe(model)}. Run `costtui recost` to re-price stored events.")


@prices.command("list")
@pass_ctx
def prices_list(app_ctx: AppContext) -> None:
    """List your price overrides."""
    overrides = app_ctx.store().price_overrides()
    if not overrides:
        click.echo("No price overrides. Add one with `costtui prices set MODEL --input X --output Y`.")
    for o in overrides:
        span = f"{o.effective_from or '…'} → {o.effective_to or '…'}"
        click.echo(
            f"#{o.id:<4} {safe(o.model):<32} {safe(o.provider) or 'any':<12} in ${o.input_per_mtok} out ${o.output_per_mtok}"
            f" /1M  {span}"
        )


@prices.command("remove")
@click.argument("override_id", type=int)
@pass_ctx
def prices_remove(app_ctx: AppContext, override_id: int) -> None:
    """Remove a price override by its number (see `prices list`)."""
    if not app_ctx.store().remove_price_override(override_id):
        raise click.ClickException(f"no override #{override_id}; see `costtui prices list`")
    click.echo(f"Removed override #{override_id}. Run `costtui recost` to re-price stored events.")


@cli.command()
@click.option("--since", help="Only events from this date (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Show the difference without changing anything.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def recost(app_ctx: AppContext, since: str | None, dry_run: bool, as_json: bool) -> None:
    """Re-price stored events with current prices and overrides; print before/after."""
    from costtui.models import decimal_str

    store = app_ctx.store()
    show_progress = sys.stderr.isatty() and not as_json

    days_done = [0]
    t0 = time.monotonic()

    def progress(done: int, total: int) -> None:
        days_done[0] = done
        if show_progress:
            progress_line(f"re-pricing day {done}/{total}")

    try:
        result = store.recost(parse_date(since, "--since"), dry_run=dry_run, progress=progress)
    except KeyboardInterrupt:
        # Each day commits with its rollup changes: the re-priced days are consistent.
        raise click.ClickException(
            f"interrupted after {days_done[0]} days were re-priced; run it again to finish"
        ) from None
    if show_progress:
        click.echo(f"  done in {time.monotonic() - t0:,.1f} s", err=True)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "events": result.events,
                    "before_usd": decimal_str(result.before),
                    "after_usd": decimal_str(result.after),
                    "difference_usd": decimal_str(result.difference),
                    "newly_priced": result.newly_priced,
                    "newly_unpriced": result.newly_unpriced,
                    "dry_run": dry_run,
                    "by_model": [
                        {"provider": p, "model": m, "before_usd": decimal_str(b), "after_usd": decimal_str(a)}
                        for p, m, b, a in result.by_model
                    ],
                },
                indent=2,
            )
        )
        return
    verb = "Would re-price" if dry_run else "Re-priced"
    click.echo(f"{verb} {result.events:,} events")
    click.echo(f"  before  {money(result.before)}")
    click.echo(f"  after   {money(result.after)}")
    sign = "+" if result.difference >= 0 else "-"
    click.echo(f"  change  {sign}{money(abs(result.difference))}")
    if result.newly_priced:
        click.echo(f"  {result.newly_priced:,} previously unpriced events now have a price")
    for p, m, b, a in result.by_model[:10]:
        click.echo(f"    {safe(p)}/{safe(m)}: {money(b)} → {money(a)}")


# Listener: `costtui serve`, `costtui tokens`.
from costtui.commands.listener_cli import COMMANDS as _LISTENER_COMMANDS  # noqa: E402

for _command in _LISTENER_COMMANDS:
    cli.add_command(_command)

# Providers: `costtui keys`, `sync`, `quotas`, `add-cost`, `costs`.
from costtui.commands.providers_cli import COMMANDS as _PROVIDER_COMMANDS  # noqa: E402

for _command in _PROVIDER_COMMANDS:
    cli.add_command(_command)

# Budgets: `costtui budgets`, `alerts`.
from costtui.commands.budgets_cli import COMMANDS as _BUDGET_COMMANDS  # noqa: E402

for _command in _BUDGET_COMMANDS:
    cli.add_command(_command)

# Proxy rules: `costtui rules show|check`.
from costtui.commands.rules_cli import COMMANDS as _RULES_COMMANDS  # noqa: E402

for _command in _RULES_COMMANDS:
    cli.add_command(_command)

# Reports: `costtui reconcile`, `report`, `receipt`, `export`.
from costtui.commands.reports_cli import COMMANDS as _REPORT_COMMANDS  # noqa: E402

for _command in _REPORT_COMMANDS:
    cli.add_command(_command)

# Coding agents: `costtui import`, `costtui push`.
from costtui.commands.agents_cli import COMMANDS as _AGENT_COMMANDS  # noqa: E402

for _command in _AGENT_COMMANDS:
    cli.add_command(_command)

# Claude Code's status line: `costtui claude-statusline` (its fast path is in __main__).
from costtui.commands import statusline_cli as _statusline_cli  # noqa: E402

cli.add_command(_statusline_cli.command())

if __name__ == "__main__":
    main()
