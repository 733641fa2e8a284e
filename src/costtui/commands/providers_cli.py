"""``costtui keys``, ``costtui sync``, ``costtui add-cost``, ``costtui costs``, ``costtui quotas``.

Keys are read from a hidden prompt or from stdin, never from argv (argv is visible to every user
of the machine in ``ps`` and lands in shell history).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from costtui.commands.params import parse_amount, parse_date
from costtui.formatting import local_time, money, safe, tokens

if TYPE_CHECKING:
    from costtui.cli import AppContext
    from costtui.models import Account
    from costtui.services.accounts import AccountsService


PROGRESS_EVERY = 5.0
"""Seconds between progress lines when stderr is not a terminal."""

# ctx.obj is the AppContext made by the `costtui` group (pass_obj: no import cycle with cli.py).
pass_ctx = click.pass_obj


def _provider_info(provider: str) -> Any:
    from costtui.providers import get_info

    try:
        return get_info(provider)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="PROVIDER") from exc


def _service(app_ctx: AppContext) -> AccountsService:
    from costtui.services.accounts import AccountsService

    return AccountsService(app_ctx.store(), app_ctx.credentials(), app_ctx.settings.sync)


def _ensure_unlocked(app_ctx: AppContext, accounts: list[Account] | None = None) -> None:
    from costtui.commands.credentials import ensure_unlocked

    # Demo accounts have no key: they never need the key file unlocked.
    names = None if accounts is None else [a.secret_name for a in accounts if not a.is_demo]
    ensure_unlocked(app_ctx.credentials(), names)


def _read_key(provider_title: str) -> str:
    if sys.stdin.isatty():
        value = click.prompt(f"{provider_title} key (input hidden)", hide_input=True, err=True)
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        raise click.ClickException("no key given (type it at the prompt, or pipe it on stdin)")
    return value


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-o/--option")
        out[name.strip().replace("-", "_")] = value.strip()
    return out


def _read_fields(info: Any, kind: str) -> dict[str, str]:
    """The secret fields of a cloud account: one hidden prompt each on a terminal, else one line
    each on stdin in the order ``keys add`` lists them (an optional one may be an empty line)."""
    if kind == "none":
        return {}
    out: dict[str, str] = {}
    tty = sys.stdin.isatty()
    for f in info.credential_fields:
        if not f.secret:
            continue
        if tty:
            suffix = "" if f.required else ", Enter for none"
            value = click.prompt(
                f"{info.title} {f.label} (input hidden{suffix})",
                hide_input=True,
                default="" if not f.required else None,
                show_default=False,
                err=True,
            )
        else:
            value = sys.stdin.readline()
        if value.strip():
            out[f.name] = value.strip()
    return out


def _fields_help(info: Any) -> str:
    parts = [
        f"{f.label} ({'hidden prompt / stdin' if f.secret else f'-o {f.name}=…'}{'' if f.required else ', optional'})"
        for f in info.credential_fields
    ]
    return f"{info.title} credentials: " + "; ".join(parts)


def _find(app_ctx: AppContext, provider: str, name: str | None) -> Account:
    from costtui.services.accounts import AccountError

    _provider_info(provider)
    try:
        return _service(app_ctx).find(provider, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


# --------------------------------------------------------------------------- keys


@click.group()
def keys() -> None:
    """Provider accounts and their keys (stored in the keyring, never in the database)."""


@keys.command("add")
@click.argument("provider")
@click.option("--name", default="default", show_default=True, help="Account name (several accounts per provider).")
@click.option(
    "--admin", "kind", flag_value="admin", help="An admin/billing key (OpenAI sk-admin-, Anthropic sk-ant-admin)."
)
@click.option("--management", "kind", flag_value="management", help="A management key (OpenRouter, xAI).")
@click.option("--inference", "kind", flag_value="inference", help="An ordinary API key.")
@click.option("--base-url", help="API base URL (a gateway or a test server).")
@click.option("--team-id", help="xAI team id (console URL /team/<id>/).")
@click.option(
    "--no-secret",
    "kind",
    flag_value="none",
    help="Cloud accounts: credentials stay in your own config (an AWS profile, a service-account file).",
)
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="NAME=VALUE",
    help="A non-secret setting of a cloud account (azure: tenant_id, client_id, subscription_id, …).",
)
@click.option("--from-env", is_flag=True, help="Store no key: read it from COSTTUI_<PROVIDER>_KEY at each sync.")
@click.option("--test/--no-test", "test_it", default=False, help="Make one cheap authenticated call after saving.")
@pass_ctx
def keys_add(
    app_ctx: AppContext,
    provider: str,
    name: str,
    kind: str | None,
    base_url: str | None,
    team_id: str | None,
    options: tuple[str, ...],
    from_env: bool,
    test_it: bool,
) -> None:
    """Add an account for PROVIDER; the key is read from a hidden prompt or stdin.

    \b
    Examples:
      costtui keys add openai --admin            (prompts for sk-admin-…)
      pass show openai-admin | costtui keys add openai --admin
      costtui keys add openrouter --name team --management
      costtui keys add azure -o tenant_id=… -o client_id=… -o subscription_id=…   (prompts for the secret)
      costtui keys add bedrock -o profile=work -o region=us-east-1
      costtui keys add gemini -o service_account_file=~/sa.json -o project=my-proj
    """
    from costtui.providers import no_api_message
    from costtui.services.accounts import AccountError

    info = _provider_info(provider)
    service = _service(app_ctx)
    opts = _parse_options(options)
    try:
        kind = service.check_kind(info.id, kind or info.cls.default_kind(opts))
    except AccountError as exc:
        raise click.BadParameter(str(exc), param_hint="--admin/--management") from exc
    if not info.has_api and not info.probe:
        click.echo(no_api_message(info.id), err=True)
    key = None
    fields: dict[str, str] = {}
    if info.credential_fields:
        try:
            # Say what is missing before asking for secrets (a typo costs no re-typed secret).
            secrets = {} if kind == "none" else {f.name: "?" for f in info.credential_fields if f.secret}
            info.cls.check_credentials(kind, opts, secrets)
        except ValueError as exc:
            raise click.UsageError(f"{exc}\n{_fields_help(info)}") from exc
        if not from_env and kind != "none":
            _ensure_unlocked(app_ctx)
            fields = _read_fields(info, kind)
    elif not from_env:
        _ensure_unlocked(app_ctx)
        key = _read_key(info.title)
    try:
        saved = service.add(
            info.id,
            name=name,
            kind=kind,
            key=key,
            base_url=base_url,
            team_id=team_id,
            from_env=from_env,
            options=opts,
            fields=fields,
        )
    except AccountError as exc:
        raise click.ClickException(f"--from-env: {exc}" if from_env else str(exc)) from exc
    a = saved.account
    if a.key_fp is None:
        click.echo(f"Added {safe(a.label)}; credentials read from {saved.where}.")
    else:
        click.echo(f"Added {safe(a.label)} ({a.key_kind} key {safe(a.key_fp)}); key in the {saved.where}.")
    if saved.warning:
        click.echo(f"Warning: {saved.warning}.", err=True)
    if test_it:
        _test_accounts(app_ctx, [a])


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def keys_list(app_ctx: AppContext, as_json: bool) -> None:
    """List accounts: key fingerprints, where the keys live, sync health."""
    listing = _service(app_ctx).list()
    backend = listing.backend
    rows = [r.as_json() for r in listing.rows]
    if as_json:
        click.echo(json.dumps({"backend": backend, "accounts": rows}, indent=2))
        return
    click.echo(f"Keys are stored in: {app_ctx.credentials().backend_name()}")
    if backend.get("reason"):
        click.echo(f"  ({backend['reason']})")
    if not rows:
        click.echo(
            "No accounts yet. Add one with `costtui keys add PROVIDER` (e.g. `costtui keys add openai --admin`)."
        )
        return
    click.echo("")
    for r in rows:
        state = r["health"] if r["enabled"] else "disabled"
        click.echo(
            f"  {safe(r['provider'] + '/' + r['name']):<28} {safe(r['key_kind']):<10} {safe(r['fingerprint']) or '—':<16}"
            f" {safe(r['key_source']):<22} {safe(state)}"
        )
        if r["last_error"]:
            click.echo(f"      last error: {safe(r['last_error'])}")


@keys.command("backend")
@click.option("--check", is_flag=True, help="Also open the store (asks for the passphrase of an encrypted file).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def keys_backend(app_ctx: AppContext, check: bool, as_json: bool) -> None:
    """Say where keys are stored and why (system keyring, encrypted file, plaintext opt-in)."""
    from costtui import secrets

    cred = app_ctx.credentials()
    try:
        info = cred.describe_backend()
    except secrets.SecretsError as exc:
        raise click.ClickException(str(exc)) from exc
    if check:
        _ensure_unlocked(app_ctx)
        try:
            cred.get_secret_str("backend-check")
        except secrets.SecretsError as exc:
            raise click.ClickException(str(exc)) from exc
        info = cred.describe_backend()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"Keys are stored in: {cred.backend_name()}")
    click.echo(f"  why: {info['reason']}")
    if info["kind"] == "encrypted-file":
        click.echo(f"  unlock with {secrets.PASSPHRASE_ENV}, or type the passphrase when costtui asks.")
    if info["kind"] == "plaintext-file":
        click.echo("  warning: keys are NOT encrypted (you opted in); prefer the encrypted file on shared machines.")
    click.echo("  environment variables (COSTTUI_<PROVIDER>_KEY, ...) take precedence over the store.")
    if check:
        click.echo("  check: the store opened fine.")


@keys.command("remove")
@click.argument("provider")
@click.option("--name", help="Account name (default: the provider's only account).")
@click.option("--purge", is_flag=True, help="Also delete its billed costs and quota history.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def keys_remove(app_ctx: AppContext, provider: str, name: str | None, purge: bool, yes: bool) -> None:
    """Remove an account and delete its key from the keyring."""
    account = _find(app_ctx, provider, name)
    if not yes:
        click.confirm(f"Remove {safe(account.label)} and its stored key?", abort=True, err=True)
    with contextlib.suppress(click.ClickException):
        _ensure_unlocked(app_ctx)  # the removal goes on without it; the warning below says why
    warning = _service(app_ctx).remove(account, purge=purge)
    if warning:
        click.echo(f"Warning: {warning}.", err=True)
    click.echo(f"Removed {safe(account.label)}" + (" and its history." if purge else " (its history is kept)."))


@keys.command("update")
@click.argument("provider")
@click.option("--name", help="Account name (default: the provider's only account).")
@click.option("--new-key", is_flag=True, help="Replace the key (read from a hidden prompt or stdin).")
@click.option("--base-url", help="New API base URL ('' to go back to the provider's own).")
@click.option("--team-id", help="New xAI team id.")
@pass_ctx
def keys_update(
    app_ctx: AppContext, provider: str, name: str | None, new_key: bool, base_url: str | None, team_id: str | None
) -> None:
    """Change an account: its key (rotation), base URL or team id."""
    from costtui.services.accounts import AccountError

    account = _find(app_ctx, provider, name)
    if not (new_key or base_url is not None or team_id is not None):
        raise click.UsageError("nothing to change; pass --new-key, --base-url or --team-id")
    changes: dict[str, Any] = {}
    if base_url is not None:
        changes["base_url"] = base_url or None
    if team_id is not None:
        changes["team_id"] = team_id or None
    if new_key:
        _ensure_unlocked(app_ctx)
        info = _provider_info(account.provider)
        if info.credential_fields:
            from costtui.secrets import SecretsError, pack_fields

            try:
                changes["key"] = pack_fields(_read_fields(info, account.key_kind))
            except SecretsError as exc:
                raise click.ClickException(f"no secret given ({exc})") from exc
        else:
            changes["key"] = _read_key(info.title)
    try:
        saved = _service(app_ctx).update(account, **changes)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    if saved.warning:
        click.echo(f"Warning: {saved.warning}.", err=True)
    click.echo(f"Updated {safe(saved.account.label)} (key {safe(saved.account.key_fp)}).")


@keys.command("disable")
@click.argument("provider")
@click.option("--name")
@pass_ctx
def keys_disable(app_ctx: AppContext, provider: str, name: str | None) -> None:
    """Stop syncing an account (its key and history stay)."""
    account = _find(app_ctx, provider, name)
    _service(app_ctx).set_enabled(account, False)
    click.echo(f"Disabled {safe(account.label)}.")


@keys.command("enable")
@click.argument("provider")
@click.option("--name")
@pass_ctx
def keys_enable(app_ctx: AppContext, provider: str, name: str | None) -> None:
    """Sync a disabled account again."""
    account = _find(app_ctx, provider, name)
    _service(app_ctx).set_enabled(account, True)
    click.echo(f"Enabled {safe(account.label)}.")


def _test_accounts(app_ctx: AppContext, accounts: list[Account]) -> bool:
    """Test each account's key; True only when every key that can be checked was checked and works.

    ✓ works · ✗ wrong or missing · ? not checked (locked, no network, rate limited) · – cannot be
    checked (no API to ask)."""
    from costtui.commands.credentials import ensure_unlocked
    from costtui.services.sync import test_account

    cred = app_ctx.credentials()
    try:
        ensure_unlocked(cred, [a.secret_name for a in accounts if not a.is_demo])
    except click.ClickException as exc:
        # Keys in the environment can still be checked; the others say why they were not.
        click.echo(f"Warning: {exc.message}", err=True)
    all_ok = True
    for a in accounts:
        result = asyncio.run(test_account(a, timeout=app_ctx.settings.sync.timeout_seconds, credentials=cred))
        all_ok &= result.status in ("ok", "unsupported")
        click.echo(f"{result.mark} {safe(a.label)}: {safe(result.message)}")
    return all_ok


@keys.command("test")
@click.argument("provider", required=False)
@click.option("--name")
@pass_ctx
def keys_test(app_ctx: AppContext, provider: str | None, name: str | None) -> None:
    """Make one cheap authenticated call per account and say what is wrong, if anything.

    \b
    ✓ the key works        ✗ wrong, revoked or missing
    ? not checked (keyring locked, no network, rate limited)
    – cannot be checked (the provider has no API to ask)
    Exits 1 unless every key that can be checked was checked and works.
    """

    accounts = [_find(app_ctx, provider, name)] if provider else app_ctx.store().billing.list_accounts()
    if not accounts:
        raise click.ClickException("no accounts; add one with `costtui keys add PROVIDER`")
    if not _test_accounts(app_ctx, accounts):
        sys.exit(1)


@keys.command("probe")
@click.argument("provider")
@click.option("--name")
@click.option("--model", help="Model to probe (limits are per model).")
@pass_ctx
def keys_probe(app_ctx: AppContext, provider: str, name: str | None, model: str | None) -> None:
    """Opt-in: one minimal request (1 output token, costs a few tokens) to read live rate limits."""
    from costtui import secrets
    from costtui.providers import ProviderError
    from costtui.providers.base import make_http_client
    from costtui.providers.ratelimit_probe import probe

    store = app_ctx.store()
    account = _find(app_ctx, provider, name)
    _ensure_unlocked(app_ctx, [account])
    try:
        key = app_ctx.credentials().get_secret_str(account.secret_name)
    except secrets.SecretsError as exc:
        raise click.ClickException(str(exc)) from exc
    if key is None:
        raise click.ClickException(f"no key for {safe(account.label)}")

    async def run() -> Any:
        async with make_http_client(app_ctx.settings.sync.timeout_seconds) as client:
            return await probe(
                account.provider, key, client, account=account.name, model=model, base_url=account.base_url
            )

    try:
        snaps = asyncio.run(run())
    except (ProviderError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    store.billing.record_quotas(snaps)
    if not snaps:
        click.echo("The response carried no rate-limit headers.")
    for s in snaps:
        reset = local_time(s.resets_at, "%H:%M:%S") if s.resets_at else "—"
        click.echo(f"  {safe(s.kind):<28} {s.remaining}/{s.limit} {safe(s.unit)} left (full again {reset})")


# --------------------------------------------------------------------------- sync


def _plans_to_sync(app_ctx: AppContext) -> bool:
    """Plans with no account (the status line's windows, opted-in usage endpoints) still sync."""
    from costtui.services.plans import spool_path

    s = app_ctx.settings.sync
    return s.claude_oauth_usage or s.codex_usage or Path(spool_path()).exists()


@click.command("sync")
@click.option("--provider", help="Only this provider.")
@click.option("--name", help="Only this account name.")
@click.option("--since", help="Re-read usage and costs from this date (YYYY-MM-DD).")
@click.option("--quotas-only", is_flag=True, help="Only balances and limits.")
@click.option("--usage-only", is_flag=True, help="Only usage and costs.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@pass_ctx
def sync_cmd(
    app_ctx: AppContext,
    provider: str | None,
    name: str | None,
    since: str | None,
    quotas_only: bool,
    usage_only: bool,
    as_json: bool,
) -> None:
    """Pull usage, costs, balances and limits from provider APIs (first run: 90 days)."""
    from costtui.services.sync import sync

    store = app_ctx.store()
    pid = _provider_info(provider).id if provider else None
    accounts = [a for a in store.billing.list_accounts(pid, enabled_only=True) if not name or a.name == name]
    if not accounts and (pid or name or usage_only or not _plans_to_sync(app_ctx)):
        raise click.ClickException("no enabled accounts to sync; add one with `costtui keys add PROVIDER`")
    _ensure_unlocked(app_ctx, accounts)
    planes = ["quota"] if quotas_only else ["usage"] if usage_only else ["usage", "quota"]
    show = sys.stderr.isatty() and not as_json
    last_line = [time.monotonic()]  # a quick sync prints no progress at all

    def progress(msg: str) -> None:
        if show:
            click.echo(f"\r\033[K  {msg}", nl=False, err=True)
        elif "waiting for" in msg or time.monotonic() - last_line[0] >= PROGRESS_EVERY:
            # Not a terminal (a log, cron, CI): whole lines, a few at most, so a slow or hung
            # provider is visible without flooding the log ("waiting" lines are already spaced).
            last_line[0] = time.monotonic()
            click.echo(f"  {msg}", err=True)

    try:
        reports = asyncio.run(
            sync(
                store,
                pid,
                parse_date(since, "--since"),
                progress,
                account=name,
                planes=planes,
                settings=app_ctx.settings.sync,
                credentials=app_ctx.credentials(),
            )
        )
    except KeyboardInterrupt:
        click.echo("\nSync cancelled; what was already fetched is kept.", err=True)
        sys.exit(130)
    if show:
        click.echo("\r\033[K", nl=False, err=True)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "account": r.account,
                        "plane": r.plane,
                        "ok": r.ok,
                        "message": r.message,
                        "written": r.written,
                        "deleted": r.deleted,
                        "quotas": r.quotas,
                        "start": r.start.isoformat() if r.start else None,
                        "end": r.end.isoformat() if r.end else None,
                    }
                    for r in reports
                ],
                indent=2,
            )
        )
    else:
        # One line per outcome: an unreachable provider fails every plane with the same message.
        merged: dict[tuple[str, bool, str], list[str]] = {}
        for r in reports:
            merged.setdefault((r.account, r.ok, r.message), []).append(r.plane)
        for (label, ok, message), planes_done in merged.items():
            click.echo(f"{'✓' if ok else '✗'} {safe(label)} {', '.join(planes_done)}: {safe(message)}")
    if any(not r.ok for r in reports):
        sys.exit(1)


# --------------------------------------------------------------------------- quotas


@click.command("quotas")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def quotas_cmd(app_ctx: AppContext, as_json: bool) -> None:
    """Balances, spend limits and rate limits from the last sync."""
    from costtui.analytics.summary import quotas_report

    store = app_ctx.read_store()
    rows = quotas_report(store, app_ctx.settings.sync)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from costtui.analytics.health import health_map

    accounts = store.billing.list_accounts()
    health = health_map(store, app_ctx.settings.sync, accounts=accounts)
    # Accounts without limits are rows of kind "account" for scripts; here they get the lines below.
    rows = [r for r in rows if r["kind"] != "account"]
    if not rows and not accounts:
        click.echo("No quotas yet. Add a key (`costtui keys add PROVIDER`) and run `costtui sync`.")
        return
    from costtui.formatting import quota_amount

    def fmt(value: str | None, unit: str) -> str:
        return quota_amount(Decimal(value) if value is not None else None, unit)

    for r in rows:
        parts = []
        if r["used"] is not None:
            parts.append(f"used {fmt(r['used'], safe(r['unit']))}")
        if r["limit"] is not None:
            parts.append(f"limit {fmt(r['limit'], safe(r['unit']))}")
        if r["remaining"] is not None:
            parts.append(f"left {fmt(r['remaining'], safe(r['unit']))}")
        if r["resets_at"]:
            parts.append(f"resets {local_time(datetime.fromisoformat(r['resets_at']), '%Y-%m-%d %H:%M')}")
        label = safe(r["kind"]) + (f" [{safe(r['scope'])}]" if r["scope"] else "")
        account_label = safe(r["provider"] + "/" + r["account"])
        click.echo(f"  {account_label:<22} {label:<40} {' · '.join(parts)}  ({r['health']})")
        if r.get("detail"):
            click.echo(f"  {'':<22} {safe(r['detail'])}")
    # What went wrong, per account: an offline or failed sync leaves the last error here.
    with_rows = {(r["provider"], r["account"]) for r in rows}
    for a in accounts:
        h = health[(a.provider, a.name)]
        if h.health == "error" and h.last_error:
            when = local_time(h.last_error_at, "%Y-%m-%d %H:%M") if h.last_error_at else ""
            click.echo(f"  {safe(a.label):<22} last sync failed {when}: {safe(h.last_error)}")
        elif (a.provider, a.name) not in with_rows:
            state = "disabled" if not a.enabled else "never synced: run `costtui sync`" if h.health == "never" else ""
            click.echo(f"  {safe(a.label):<22} no limits reported{f' ({state})' if state else ''}")
        for note in _billed_notes(store, a):
            click.echo(f"  {safe(a.label):<22} note: {safe(note)}")


def _billed_notes(store: Any, account: Account) -> list[str]:
    """Notes the provider attached to its billed figures (e.g. what they leave out), last 90 days."""
    from datetime import timedelta

    from costtui.models import MONEY_KINDS, billed_notes

    today = datetime.now(UTC).date()
    lines = store.billing.billed_lines(
        provider=account.provider,
        account=account.name,
        kinds=list(MONEY_KINDS),
        start=today - timedelta(days=90),
        end=today,
    )
    return billed_notes(lines)


# --------------------------------------------------------------------------- manual costs


@click.command("add-cost")
@click.option("--provider", required=True, help="Provider (any name; e.g. groq, mistral, gemini).")
@click.option("--account", default="default", show_default=True)
@click.option("--date", "on", help="Day of the cost (YYYY-MM-DD); default today (UTC).")
@click.option("--from", "start", help="First day of a range (with --to); the amount is spread evenly.")
@click.option("--to", "end", help="Last day of a range (inclusive).")
@click.option("--amount", required=True, help="Amount in USD, e.g. 12.50.")
@click.option("--input-tokens", type=click.IntRange(0), default=0)
@click.option("--output-tokens", type=click.IntRange(0), default=0)
@click.option("--note", help="Free text (invoice number, what it was for).")
@pass_ctx
def add_cost(
    app_ctx: AppContext,
    provider: str,
    account: str,
    on: str | None,
    start: str | None,
    end: str | None,
    amount: str,
    input_tokens: int,
    output_tokens: int,
    note: str | None,
) -> None:
    """Record a cost by hand (providers with no billing API). Marked as manual."""
    from costtui.models import ManualCost

    if not provider.strip():
        raise click.BadParameter("name the provider, e.g. --provider groq", param_hint="--provider")
    first, last = _range(on, start, end)
    entry = app_ctx.store().billing.add_manual_cost(
        ManualCost(
            provider=provider,  # the store records it under its canonical id (google → gemini)
            account=account,
            start=first,
            end=last,
            amount_usd=parse_amount(amount, "--amount"),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            note=note,
        ),
    )
    span = f"{first}" if first == last else f"{first} → {last} ({entry.days} days)"
    click.echo(
        f"Manual cost #{entry.id}: {money(entry.amount_usd)} for {safe(entry.provider)}/{safe(account)} on {span}."
    )


def _range(on: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    if on and (start or end):
        raise click.UsageError("use either --date or --from/--to")
    if start or end:
        if not (start and end):
            raise click.UsageError("--from and --to go together")
        lo, hi = parse_date(start, "--from"), parse_date(end, "--to")
        assert lo and hi
        if hi < lo:
            raise click.BadParameter("--to is before --from", param_hint="--to")
        return lo, hi
    day = parse_date(on, "--date") or datetime.now(UTC).date()
    return day, day


@click.group()
def costs() -> None:
    """List, edit and delete manual costs."""


@costs.command("list")
@click.option("--provider")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def costs_list(app_ctx: AppContext, provider: str | None, as_json: bool) -> None:
    """List manual costs."""

    entries = app_ctx.read_store().billing.list_manual_costs(provider)
    if as_json:
        click.echo(json.dumps([json.loads(e.model_dump_json()) for e in entries], indent=2))
        return
    if not entries:
        click.echo("No manual costs. Add one with `costtui add-cost --provider P --amount X`.")
    for e in entries:
        span = f"{e.start}" if e.start == e.end else f"{e.start} → {e.end}"
        toks = f" {tokens(e.input_tokens + e.output_tokens)} tokens" if e.input_tokens or e.output_tokens else ""
        click.echo(
            f"#{e.id:<4} {safe(e.provider + '/' + e.account):<24} {span:<24} {money(e.amount_usd):>12}{toks}"
            f"  {safe(e.note)}"
        )


@costs.command("edit")
@click.argument("entry_id", type=int)
@click.option("--provider")
@click.option("--account")
@click.option("--date", "on")
@click.option("--from", "start")
@click.option("--to", "end")
@click.option("--amount")
@click.option("--input-tokens", type=click.IntRange(0))
@click.option("--output-tokens", type=click.IntRange(0))
@click.option("--note")
@pass_ctx
def costs_edit(
    app_ctx: AppContext,
    entry_id: int,
    provider: str | None,
    account: str | None,
    on: str | None,
    start: str | None,
    end: str | None,
    amount: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    note: str | None,
) -> None:
    """Change a manual cost (only the options given)."""
    from costtui.store import StoreError

    store = app_ctx.store()
    try:
        entry = store.billing.get_manual_cost(entry_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    changes: dict[str, Any] = {}
    if on or start or end:
        changes["start"], changes["end"] = _range(on, start, end)
    for k, v in (
        ("provider", provider),
        ("account", account),
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("note", note),
    ):
        if v is not None:
            changes[k] = v
    if amount is not None:
        changes["amount_usd"] = parse_amount(amount, "--amount")
    if not changes:
        raise click.UsageError("nothing to change; pass --amount, --date, --note, ...")
    try:
        store.billing.update_manual_cost(entry.model_copy(update=changes))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Updated manual cost #{entry_id}.")


@costs.command("delete")
@click.argument("entry_id", type=int)
@click.option("--yes", is_flag=True)
@pass_ctx
def costs_delete(app_ctx: AppContext, entry_id: int, yes: bool) -> None:
    """Delete a manual cost."""
    from costtui.store import StoreError

    store = app_ctx.store()
    try:
        entry = store.billing.get_manual_cost(entry_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(
            f"Delete manual cost #{entry_id} ({money(entry.amount_usd)}, {safe(entry.provider)})?", abort=True
        )
    store.billing.delete_manual_cost(entry_id)
    click.echo(f"Deleted manual cost #{entry_id}.")


COMMANDS = (keys, sync_cmd, quotas_cmd, add_cost, costs)
