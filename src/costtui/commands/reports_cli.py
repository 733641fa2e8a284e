"""``costtui reconcile``, ``costtui report``, ``costtui receipt``, ``costtui export``.

Commands parse options, call analytics (which reads the store) and print or write; files are
written whole to a temporary name and renamed into place, so a failed run never leaves half a file
where a good one was.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from costtui.commands.params import parse_date
from costtui.formatting import money, safe, tokens

if TYPE_CHECKING:
    from costtui.analytics.reports import Period
    from costtui.cli import AppContext

BREAKDOWN_WORDS = ("provider", "model", "app", "user", "team", "project", "key")
"""`report --by` choices (analytics.reports.BREAKDOWNS; listed here so --help stays cheap to import)."""

# ctx.obj is the AppContext made by the `costtui` group (pass_obj: no import cycle with cli.py).
pass_ctx = click.pass_obj

DEFAULT_RECONCILE_DAYS = 30


def _today() -> date:
    return datetime.now(UTC).date()


def _span(start: str | None, end: str | None, default_days: int) -> tuple[date, date]:
    hi = parse_date(end, "--to") or _today()
    lo = parse_date(start, "--from") or hi - timedelta(days=default_days - 1)
    if hi < lo:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    return lo, hi


def _pct(value: object) -> str:
    return "—" if value is None else f"{value:+.1f}%"


@click.command()
@click.option("--from", "start", help="First UTC day, YYYY-MM-DD (default: 30 days before --to).")
@click.option("--to", "end", help="Last UTC day, YYYY-MM-DD (default: today).")
@click.option("--models", "by_model", is_flag=True, help="One line per day, provider and model.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (days, models and the total).")
@pass_ctx
def reconcile(app_ctx: AppContext, start: str | None, end: str | None, by_model: bool, as_json: bool) -> None:
    """Billed cost (provider cost APIs, manual entries) beside metered cost, per day and provider.

    difference = billed − metered; drift = difference / billed. "missing" means that side has no
    data for the day (not yet synced, or nothing went through costtui), which is not $0."""
    from costtui.analytics.reconcile import reconcile as run

    lo, hi = _span(start, end, DEFAULT_RECONCILE_DAYS)
    result = run(app_ctx.read_store(), lo, hi)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    rows = result.models if by_model else result.days
    click.echo(f"Billed vs metered, {lo} to {hi} (UTC days)")
    if not rows:
        click.echo("Nothing to compare: no provider has both billed costs and metered usage in this range.")
    else:
        name_width = max(12, *(len(r.provider + (f"/{r.model}" if r.model else "")) for r in rows[:500]))
        name_width = min(name_width, 48)
        click.echo(
            f"{'day':<10}  {'provider' + ('/model' if by_model else ''):<{name_width}} {'billed':>12} {'metered':>12}"
            f" {'difference':>12} {'drift':>8} {'unpriced tok':>12}"
        )
        for r in rows:
            name = safe(r.provider + (f"/{r.model or '(not itemised)'}" if by_model else ""))
            drift = None if r.drift is None else r.drift * 100
            click.echo(
                f"{r.day.isoformat():<10}  {name[:name_width]:<{name_width}}"
                f" {money(r.billed) if r.billed is not None else 'missing':>12}"
                f" {money(r.metered) if r.metered is not None else 'missing':>12}"
                f" {money(r.difference) if r.difference is not None else '—':>12}"
                f" {_pct(drift):>8} {tokens(r.unpriced_tokens) if r.unpriced_tokens else '':>12}"
            )
        t = result.total()
        drift = None if t.drift is None else t.drift * 100
        click.echo(
            f"{'total':<10}  {'':<{name_width}} {money(t.billed) if t.billed is not None else 'missing':>12}"
            f" {money(t.metered) if t.metered is not None else 'missing':>12}"
            f" {money(t.difference) if t.difference is not None else '—':>12} {_pct(drift):>8}"
            f" {tokens(t.unpriced_tokens) if t.unpriced_tokens else '':>12}"
        )
        if result.missing_days:
            click.echo(f"{result.missing_days} provider-day(s) have one side missing (not counted as $0).")
    if result.metered_only:
        click.echo("Metered only (no billed costs in range): " + ", ".join(safe(p) for p in result.metered_only))
    if result.billed_only:
        click.echo("Billed only (nothing metered in range): " + ", ".join(safe(p) for p in result.billed_only))


def _write(output: str | None, data: bytes | str, *, binary: bool = False) -> None:
    """Write to ``output`` through a temporary file renamed into place, or to stdout."""
    if output in (None, "-"):
        if binary:
            stdout: BinaryIO = sys.stdout.buffer
            if output is None and stdout.isatty():
                raise click.UsageError("a PDF is not for a terminal: give -o FILE (or -o - to pipe it)")
            stdout.write(data if isinstance(data, bytes) else data.encode())
        else:
            click.echo(data, nl=False)
        return
    from costtui.export.files import atomic_write

    try:
        atomic_write(Path(output), data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {output}", err=True)


def _period(text: str) -> Period:
    from costtui.analytics.reports import PeriodError, parse_period

    try:
        return parse_period(text, _today())
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc


@click.command()
@click.option(
    "--period",
    default="month",
    show_default=True,
    help="day, yesterday, week, last-week, month, last-month, YYYY-MM, YYYY-MM-DD or FROM..TO.",
)
@click.option("--by", type=click.Choice(list(BREAKDOWN_WORDS)), default="model", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "pdf"]), default="table", show_default=True)
@click.option("-o", "--output", help="File to write (default: stdout; a PDF needs a file or -o -).")
@pass_ctx
def report(app_ctx: AppContext, period: str, by: str, fmt: str, output: str | None) -> None:
    """Spend over a period broken down by provider, model, app, user, team, project or key."""
    from costtui.analytics.reports import period_report

    result = period_report(app_ctx.read_store(), _period(period), by)
    if fmt == "pdf":
        from costtui.export.pdf import report_pdf

        _write(output, report_pdf(result), binary=True)
        return
    buffer = io.StringIO()
    if fmt == "table":
        from costtui.export.text import report_table

        buffer.write("\n".join(report_table(result)) + "\n")
    elif fmt == "csv":
        from costtui.export.text import report_csv

        report_csv(result, buffer)
    else:
        from costtui.export.text import report_json

        report_json(result, buffer)
    _write(output, buffer.getvalue())


@click.command()
@click.option("--event", "event_id", help="One request: its event id (or #ROW for a row id from Activity).")
@click.option("--period", help="A period (as for `report`); default this month.")
@click.option("--provider", help="Only this provider's models.")
@click.option("--account", help="Who the receipt is for (default: the provider accounts, or the database).")
@click.option("--format", "fmt", type=click.Choice(["txt", "pdf", "json"]), default="txt", show_default=True)
@click.option("-o", "--output", help="File to write (default: stdout; a PDF needs a file or -o -).")
@pass_ctx
def receipt(
    app_ctx: AppContext,
    event_id: str | None,
    period: str | None,
    provider: str | None,
    account: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """A receipt: per model, tokens × unit price = amount, subtotals and the total."""
    from costtui.analytics.reports import event_receipt, period_receipt

    if event_id and period:
        raise click.UsageError("use either --event or --period")
    store = app_ctx.read_store()
    if event_id:
        event = store.reports.find_event(event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id!r} (see `costtui export` or the Activity screen)")
        result = event_receipt(store, event, account=account)
    else:
        result = period_receipt(store, _period(period or "month"), provider=provider, account=account)
    if fmt == "pdf":
        from costtui.export.pdf import receipt_pdf

        _write(output, receipt_pdf(result), binary=True)
    elif fmt == "json":
        _write(output, json.dumps(result.as_json(), indent=2) + "\n")
    else:
        from costtui.export.text import receipt_text

        _write(output, "\n".join(receipt_text(result)) + "\n")


def _moment(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A UTC day (YYYY-MM-DD; --to includes the whole day) or an ISO 8601 time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date or time; use YYYY-MM-DD or ISO 8601", param_hint=name
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command()
@click.option("--from", "start", help="From this UTC day (YYYY-MM-DD) or time (ISO 8601).")
@click.option("--to", "end", help="Up to this UTC day (inclusive) or time (exclusive).")
@click.option("--provider")
@click.option("--model")
@click.option("--app")
@click.option("--user")
@click.option("--source")
@click.option("--status", type=click.Choice(["ok", "error"]))
@click.option("--search", help="Free text, as in the Activity screen's search.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="csv",
    show_default=True,
    help="json: one streamed JSON array; jsonl: one JSON object per line.",
)
@click.option("-o", "--output", help="File to write (default: stdout).")
@pass_ctx
def export(
    app_ctx: AppContext,
    start: str | None,
    end: str | None,
    provider: str | None,
    model: str | None,
    app: str | None,
    user: str | None,
    source: str | None,
    status: str | None,
    search: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """Every event matching the filters, oldest first, streamed (any number of events in flat memory)."""
    from costtui.export.events import export_to_file, write_events
    from costtui.models import EventFilter

    flt = EventFilter(
        start=_moment(start, "--from"),
        end=_moment(end, "--to", end=True),
        provider=provider,
        model=model,
        app=app,
        user=user,
        source=source,
        status=status,  # type: ignore[arg-type]
        search=search,
    )
    store = app_ctx.read_store()
    show = output not in (None, "-") and sys.stderr.isatty()

    def progress(n: int) -> None:
        if show:
            click.echo(f"\r{n:,} events…", nl=False, err=True)

    if output in (None, "-"):
        count = write_events(store.reports.iter_events(flt), sys.stdout, fmt)
        return
    try:
        count = export_to_file(store, flt, Path(output), fmt, progress)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    if show:
        click.echo("", err=True)
    click.echo(f"Wrote {count:,} events to {output}", err=True)


COMMANDS: list[click.Command] = [reconcile, report, receipt, export]
