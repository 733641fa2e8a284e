"""``costtui budgets`` (add, edit, list, remove, alerts) and ``costtui alerts`` (test, email-password)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from costtui.formatting import money, safe
from costtui.models import BUDGET_PERIODS, BUDGET_SCOPES

if TYPE_CHECKING:
    from costtui.cli import AppContext

# ctx.obj is the AppContext made by the `costtui` group (pass_obj: no import cycle with cli.py).
pass_ctx = click.pass_obj

STATE_WORDS = {"ok": "ok", "warning": "WARNING", "exceeded": "EXCEEDED"}


def _error(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
def budgets() -> None:
    """Spending limits per period, with alerts at thresholds (see docs/budgets.md)."""


_scope_option = click.option(
    "--scope",
    type=click.Choice(BUDGET_SCOPES),
    help="What the budget counts (default: all, everything).",
)
_value_option = click.option(
    "--value", "scope_value", help="The provider, provider/account, app, user, team, project, model or key it counts."
)
_period_option = click.option(
    "--period", type=click.Choice(BUDGET_PERIODS), help="UTC day, week or month (default month)."
)
_thresholds_option = click.option(
    "--thresholds", help="Percentages of the limit that raise an alert, e.g. 50,80,100 (the default)."
)


@budgets.command("add")
@click.argument("name")
@click.option("--limit", "limit", required=True, help="The limit in USD per period, e.g. 100 or 12.50.")
@_period_option
@_scope_option
@_value_option
@_thresholds_option
@click.option("--enforce", is_flag=True, help="Let the proxy refuse calls in this scope once the limit is reached.")
@pass_ctx
def budgets_add(
    app_ctx: AppContext,
    name: str,
    limit: str,
    period: str | None,
    scope: str | None,
    scope_value: str | None,
    thresholds: str | None,
    enforce: bool,
) -> None:
    """Add the budget NAME."""
    from costtui.services.budgets import make_budget
    from costtui.store import BudgetError

    try:
        budget = make_budget(
            name=name,
            limit_usd=_amount(limit),
            period=period,
            scope=scope or ("all" if scope_value is None else None),
            scope_value=scope_value,
            thresholds=thresholds,
            enforce=enforce,
        )
        budget = app_ctx.store().budgets.add(budget)
    except BudgetError as exc:
        raise _error(exc) from None
    click.echo(
        f"Budget {safe(budget.name)} added: {money(budget.limit_usd)} per {budget.period} for {safe(budget.scope_label)},"
        f" alerts at {', '.join(f'{t}%' for t in budget.thresholds)}."
    )


def _amount(value: str) -> Any:
    # The model says what is wrong with a limit ("must be more than 0"); only non-numbers stop here.
    from decimal import InvalidOperation

    try:
        return Decimal(value.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number", param_hint="--limit") from None


@budgets.command("edit")
@click.argument("name")
@click.option("--limit", help="A new limit in USD.")
@click.option("--rename", help="A new name.")
@_period_option
@_scope_option
@_value_option
@_thresholds_option
@click.option("--enforce/--no-enforce", default=None, help="Whether the proxy enforces it.")
@pass_ctx
def budgets_edit(
    app_ctx: AppContext,
    name: str,
    limit: str | None,
    rename: str | None,
    period: str | None,
    scope: str | None,
    scope_value: str | None,
    thresholds: str | None,
    enforce: bool | None,
) -> None:
    """Change the budget NAME (only the options given)."""
    from costtui.services.budgets import change_budget
    from costtui.store import BudgetError

    store = app_ctx.store()
    try:
        budget = change_budget(
            store.budgets.find(name),
            name=rename,
            limit_usd=_amount(limit) if limit is not None else None,
            period=period,
            scope=scope,
            scope_value=scope_value,
            thresholds=thresholds,
            enforce=enforce,
        )
        budget = store.budgets.update(budget)
    except BudgetError as exc:
        raise _error(exc) from None
    click.echo(
        f"Budget {safe(budget.name)}: {money(budget.limit_usd)} per {budget.period} for {safe(budget.scope_label)}."
    )


@budgets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def budgets_list(app_ctx: AppContext, as_json: bool) -> None:
    """Every budget with its spend this period, percent used and projected end-of-period spend."""
    from costtui.analytics.budgets import budget_statuses

    statuses = budget_statuses(app_ctx.read_store())
    if as_json:
        click.echo(json.dumps([s.as_json() for s in statuses], indent=2))
        return
    if not statuses:
        click.echo("No budgets. Add one with `costtui budgets add NAME --limit 100`.")
        return
    print_budget_table([s.as_json() for s in statuses])


def print_budget_table(budgets: list[dict[str, Any]]) -> None:
    """Budgets (the ``budgets`` of ``status --json``) as a table: ``budgets list`` and ``status``."""
    click.echo(f"{'budget':<20}{'period':<8}{'spent':>12}{'limit':>12}{'used':>8}{'projected':>12}  state")
    for b in budgets:
        click.echo(
            f"{safe(b['name'])[:19]:<20}{b['period']:<8}{money(Decimal(b['spend_usd'])):>12}"
            f"{money(Decimal(b['limit_usd'])):>12}{b['percent']:>7}%{money(Decimal(b['projected_usd'])):>12}"
            f"  {STATE_WORDS[b['state']]}"
        )
        if b["scope"] != "all":
            click.echo(f"  {safe(b['scope'])} {safe(b['scope_value'])}")


def print_budget_report(report: dict[str, Any]) -> None:
    """The budgets part of plain ``costtui status``."""
    click.echo("budgets (this period, UTC; exit code 1 = a warning threshold crossed, 2 = a budget exceeded)")
    print_budget_table(report["budgets"])


@budgets.command("remove")
@click.argument("name")
@pass_ctx
def budgets_remove(app_ctx: AppContext, name: str) -> None:
    """Remove the budget NAME (the alerts it raised stay in the log)."""
    from costtui.store import BudgetError

    store = app_ctx.store()
    try:
        budget = store.budgets.find(name)
        assert budget.id is not None
        store.budgets.remove(budget.id)
    except BudgetError as exc:
        raise _error(exc) from None
    click.echo(f"Budget {safe(budget.name)} removed.")


@budgets.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="How many alerts.")
@pass_ctx
def budgets_alerts(app_ctx: AppContext, as_json: bool, limit: int) -> None:
    """The alerts log: thresholds crossed, newest first, and where each was sent."""
    from costtui.analytics.budgets import alerts_report

    report = alerts_report(app_ctx.read_store(), limit)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if not report:
        click.echo("No alerts yet.")
        return
    for a in report:
        click.echo(
            f"{a['fired_at'][:19].replace('T', ' ')}  {safe(a['budget'])}: {a['threshold']}%"
            f"  ({money(Decimal(a['spend_usd']))} of {money(Decimal(a['limit_usd']))}, period from {a['period_start']})"
        )
        for d in a["deliveries"]:
            outcome = "sent" if d["status"] == "sent" else f"{d['status'].upper()}: {safe(d['error'] or '')}"
            click.echo(f"    {d['channel']} → {safe(d['target'])}: {outcome} ({d['attempts']} attempts)")


# --------------------------------------------------------------------------- alerts


@click.group()
def alerts() -> None:
    """Where budget alerts go: test the channels, store the SMTP password."""


@alerts.command("test")
@pass_ctx
def alerts_test(app_ctx: AppContext) -> None:
    """Send a test alert through every configured channel (webhooks, email) and say how each went."""
    from costtui.services.alerts import AlertDispatcher

    settings = app_ctx.settings.alerts
    if settings.email is not None and settings.email.username:
        from costtui.commands.credentials import ensure_unlocked
        from costtui.services.alerts import SMTP_SECRET

        try:
            ensure_unlocked(app_ctx.credentials(), [SMTP_SECRET])
        except click.ClickException as exc:
            click.echo(f"email will fail: {exc.message}", err=True)
    dispatcher = AlertDispatcher(settings, app_ctx.credentials())
    if not dispatcher.channels:
        raise click.ClickException(
            f"no alert channels configured: add [[alerts.webhooks]] or [alerts.email] to {app_ctx.config_file}"
            " (see docs/budgets.md)"
        )
    failed = 0
    for r in dispatcher.send_test():
        if r.ok:
            click.echo(f"{r.channel} → {safe(r.target)}: sent")
        else:
            failed += 1
            click.echo(f"{r.channel} → {safe(r.target)}: FAILED after {r.attempts} attempts: {safe(r.error)}")
    if failed:
        raise SystemExit(1)


@alerts.command("email-password")
@click.option("--delete", is_flag=True, help="Remove the stored password.")
@pass_ctx
def alerts_email_password(app_ctx: AppContext, delete: bool) -> None:
    """Store the SMTP password in the keyring (asked for without echo; never in the config)."""
    from costtui.commands.credentials import ensure_unlocked
    from costtui.secrets import SecretsError
    from costtui.services.alerts import SMTP_SECRET

    credentials = app_ctx.credentials()
    try:
        ensure_unlocked(credentials, [SMTP_SECRET])
        if delete:
            credentials.delete_secret(SMTP_SECRET)
            click.echo("SMTP password removed.")
            return
        password = click.prompt("SMTP password", hide_input=True)
        credentials.set_secret(SMTP_SECRET, password)
    except SecretsError as exc:
        raise _error(exc) from None
    click.echo(f"SMTP password stored in the {credentials.backend_name()}.")


COMMANDS = (budgets, alerts)
