"""``costtui reconcile``, ``costtui report``, ``costtui receipt``, ``costtui export``.

Commands parse options, call analytics (which reads the store) and print or write; files are
written whole to a temporary name and renamed into place, so a failed run never leaves half a file
where a good one was.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import click

from costtui.commands.params import parse_date
from costtui.formatting import money, safe, tokens

if TYPE_CHECKING:
    from costtui.cli import AppContext

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


COMMANDS: list[click.Command] = [reconcile]
