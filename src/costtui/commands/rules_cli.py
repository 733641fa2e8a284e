"""``costtui rules show|check``: the proxy's rules as the config file sets them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from costtui.formatting import safe

if TYPE_CHECKING:
    from costtui.cli import AppContext

# ctx.obj is the AppContext made by the `costtui` group (pass_obj: no import cycle with cli.py).
pass_ctx = click.pass_obj


def _print_rules(app_ctx: AppContext) -> None:
    from costtui.rules.describe import describe, describe_budgets

    rules = app_ctx.settings.rules
    width = max(len(label) for label, _ in describe(rules)) + 2
    for label, value in describe(rules):
        click.echo(f"  {label + ':':<{width}} {safe(value)}")
    budgets = app_ctx.read_store().budgets.all()
    click.echo(f"  {'budgets:':<{width}} {safe(describe_budgets(budgets))}")


@click.group()
def rules() -> None:
    """The rules the proxy enforces: model lists, cost per call, rate limits, content filters.

    They are set in the [rules] table of the config file (or on the Settings screen of the TUI);
    budgets marked "enforce" are enforced too.
    """


@rules.command("show")
@click.option("--json", "as_json", is_flag=True, help="The settings that differ from the defaults, as JSON.")
@pass_ctx
def show(app_ctx: AppContext, as_json: bool) -> None:
    """Print the rules in effect (config file and COSTTUI_RULES__* environment)."""
    rules_settings = app_ctx.settings.rules
    if as_json:
        budgets = [
            {
                "name": b.name,
                "scope": b.scope,
                "scope_value": b.scope_value,
                "period": b.period,
                "limit_usd": str(b.limit_usd),
            }
            for b in app_ctx.read_store().budgets.all()
            if b.enforce
        ]
        data: dict[str, Any] = {"rules": rules_settings.to_toml_values(), "enforced_budgets": budgets}
        click.echo(json.dumps(data, indent=2))
        return
    if not rules_settings.any_rule:
        click.echo(f"No [rules] set in {app_ctx.config_file}: the proxy forwards every call (enforced budgets apply).")
    _print_rules(app_ctx)


@rules.command("check")
@pass_ctx
def check(app_ctx: AppContext) -> None:
    """Validate the [rules] of the config file and print the rules in effect.

    An invalid setting stops every command with a message naming it; this command also warns
    about settings that are valid but probably not meant.
    """
    from costtui.rules.describe import env_overrides, problems
    from costtui.rules.engine import ModelMatcher
    from costtui.rules.filters import keyword_pattern

    rules_settings = app_ctx.settings.rules
    # Build what the engine builds from the settings, so a pattern it cannot use fails here.
    ModelMatcher(rules_settings.allow_models)
    ModelMatcher(rules_settings.block_models)
    keyword_pattern(rules_settings.blocklist)
    where = app_ctx.config_file if app_ctx.config_file.exists() else f"{app_ctx.config_file} (no file: defaults)"
    click.echo(f"config file: {where}: the rules are valid")
    overrides = env_overrides()
    if overrides:
        click.echo(f"set by the environment (wins over the file): {', '.join(overrides)}")
    for problem in problems(rules_settings):
        click.echo(f"warning: {safe(problem)}")
    _print_rules(app_ctx)


COMMANDS = (rules,)
