"""``costtui import`` (coding-agent logs) and ``costtui push`` (forward events to another costtui)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from costtui.formatting import safe

if TYPE_CHECKING:
    from costtui.cli import AppContext

pass_ctx = click.pass_obj

AGENT_CHOICES = ("claude-code", "claude", "codex", "gemini", "gemini-cli")


@click.command("import")
@click.argument("agent", required=False, type=click.Choice(AGENT_CHOICES, case_sensitive=False))
@click.option(
    "--path",
    "path",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read this folder instead of the agent's usual one (needs AGENT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def import_cmd(app_ctx: AppContext, agent: str | None, path: Path | None, as_json: bool) -> None:
    """Import coding-agent logs: Claude Code, Codex, Gemini CLI (all found here when AGENT is left out).

    Only what was added since the last import is read; running it again is cheap and never counts
    an event twice.
    """
    from costtui.services import agents

    if path is not None and agent is None:
        raise click.UsageError("--path needs the agent whose logs it holds (e.g. costtui import codex --path DIR)")
    app_ctx.writable_db("importing stores the agents' usage")
    sources = [agents.source_name(agent)] if agent else None
    if sources is None and not agents.discovered():
        message = "no coding-agent logs found (looked in ~/.claude, ~/.config/claude, ~/.codex, ~/.gemini/tmp)"
        if as_json:
            click.echo(json.dumps({"imports": [], "note": message}))
        else:
            click.echo(message)
        return
    store = app_ctx.store()
    reports = agents.import_logs(store, sources, path=path)
    if as_json:
        click.echo(json.dumps({"imports": [r.as_json() for r in reports]}, indent=2))
        return
    for r in reports:
        click.echo(
            f"{r.source}: {r.files:,} files ({r.files_read:,} read), {r.lines:,} lines,"
            f" {r.events_added:,} events added, {r.duplicates:,} duplicates, {r.malformed:,} malformed,"
            f" {r.skipped:,} skipped in {r.seconds:.2f}s"
        )
        if r.replaced:
            click.echo(f"  {r.replaced:,} events replaced by a more complete copy")
        if r.quotas:
            click.echo(f"  {r.quotas} plan rate-limit windows updated (costtui quotas)")
        for err in r.errors[:5]:
            click.echo(f"  could not read {safe(err)}", err=True)


def _every(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except (ValueError, KeyError):
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)") from None
    if seconds < 5:
        raise click.BadParameter("push at most every 5 seconds")
    return seconds


@click.command("push")
@click.option("--to", "url", required=True, help="The home costtui's listener, e.g. http://home:8787.")
@click.option("--key", help="Its ingest key (default: env COSTTUI_PUSH_KEY; never stored).")
@click.option("--every", "every", help="Keep pushing at this interval (e.g. 5m) instead of once.")
@click.option("--all", "all_sources", is_flag=True, help="Push every local event, not only imported agent logs.")
@click.option("--no-import", is_flag=True, help="Do not import new agent log lines before each push.")
@click.option("--machine", help="The name this machine's events carry (default: the host name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def push_cmd(
    app_ctx: AppContext,
    url: str,
    key: str | None,
    every: str | None,
    all_sources: bool,
    no_import: bool,
    machine: str | None,
    as_json: bool,
) -> None:
    """Forward local events to another costtui's /ingest (outbound only; resumable; never double counts)."""
    from costtui.agents import AGENT_SOURCES
    from costtui.services import agents
    from costtui.services.push import PushError, push

    interval = _every(every)
    key = key or os.environ.get("COSTTUI_PUSH_KEY") or None
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("the URL must start with http:// or https://", param_hint="--to")
    store = app_ctx.store()
    while True:
        if not no_import:
            try:
                agents.import_logs(store)
            except Exception as exc:  # an unreadable file or a busy database: what is stored still goes
                click.echo(f"agent log import failed: {safe(str(exc))}", err=True)
        try:
            report = push(store, url, key, sources=None if all_sources else AGENT_SOURCES, machine=machine)
        except PushError as exc:
            if interval is None:
                raise click.ClickException(str(exc)) from None
            click.echo(f"push failed: {exc}", err=True)
        else:
            if as_json:
                click.echo(json.dumps(report.as_json()))
            else:
                click.echo(
                    f"pushed {report.sent:,} events in {report.batches} batches: {report.accepted:,} new at home,"
                    f" {report.duplicates:,} already there, {report.rejected:,} refused"
                )
                for err in report.errors[:5]:
                    click.echo(f"  {safe(err)}", err=True)
        if interval is None:
            return
        time.sleep(interval)


COMMANDS = [import_cmd, push_cmd]
