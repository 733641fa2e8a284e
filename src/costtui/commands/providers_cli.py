"""``costtui keys``, ``costtui sync``, ``costtui add-cost``, ``costtui costs``, ``costtui quotas``.

Keys are read from a hidden prompt or from stdin, never from argv (argv is visible to every user
of the machine in ``ps`` and lands in shell history).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from costtui.commands.params import parse_amount, parse_date
from costtui.formatting import fingerprint, local_time, money, tokens

if TYPE_CHECKING:
    from costtui.billing import Account
    from costtui.cli import AppContext


def pass_ctx(f: Any) -> Any:
    """Like ``click.pass_obj`` (ctx.obj is the group's AppContext; no import cycle with cli.py),
    and hands the settings' ``[secrets]`` section to ``costtui.secrets`` (``--config`` may differ
    from the default file)."""
    import functools

    @functools.wraps(f)
    @click.pass_obj
    def wrapper(app_ctx: Any, *args: Any, **kwargs: Any) -> Any:
        from costtui import secrets

        secrets.configure(app_ctx.settings)
        return f(app_ctx, *args, **kwargs)

    return wrapper


def _provider_info(provider: str) -> Any:
    from costtui.providers import get_info

    try:
        return get_info(provider)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="PROVIDER") from exc


def _ensure_unlocked(interactive: bool = True, accounts: list[Account] | None = None) -> None:
    """On the encrypted-file backend, make sure a passphrase is known (prompting on a terminal).

    With ``accounts``, nothing is needed when every key comes from the environment.
    """
    from costtui import secrets

    if accounts is not None and all(secrets.env_secret(a.secret_name) for a in accounts):
        return
    try:
        info = secrets.backend_info()
    except secrets.SecretsError as exc:
        raise click.ClickException(str(exc)) from exc
    if info.kind != "encrypted-file" or not info.locked:
        return
    if not (interactive and sys.stdin.isatty()):
        raise click.ClickException(
            f"no usable system keyring here, and the encrypted key file {info.path} needs a passphrase: "
            f"set {secrets.PASSPHRASE_ENV} (see docs/providers.md, 'Headless servers')"
        )
    new = info.path is not None and not info.path.exists()
    click.echo(f"No usable system keyring: keys go to the encrypted file {info.path}.", err=True)
    prompt = "Choose a passphrase for it" if new else "Passphrase of the encrypted key file"
    passphrase = click.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True)
    try:
        secrets.unlock(passphrase)
    except secrets.SecretsError as exc:
        raise click.ClickException(str(exc)) from exc


def _read_key(provider_title: str) -> str:
    if sys.stdin.isatty():
        value = click.prompt(f"{provider_title} key (input hidden)", hide_input=True, err=True)
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        raise click.ClickException("no key given (type it at the prompt, or pipe it on stdin)")
    return value


def _key_warning(provider: str, kind: str, key: str) -> str | None:
    if provider == "openai" and kind == "admin" and not key.startswith("sk-admin"):
        return "this does not look like an OpenAI Admin key (sk-admin-…); usage and cost sync will be refused"
    if provider == "anthropic" and kind == "admin" and not key.startswith("sk-ant-admin"):
        return "this does not look like an Anthropic Admin key (sk-ant-admin…); a normal key cannot read usage"
    return None


def _find(store: Any, provider: str, name: str | None) -> Account:
    from costtui.store.billing import AccountNotFound, find_account

    try:
        return find_account(store, _provider_info(provider).id, name)
    except AccountNotFound as exc:
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
    from_env: bool,
    test_it: bool,
) -> None:
    """Add an account for PROVIDER; the key is read from a hidden prompt or stdin.

    \b
    Examples:
      costtui keys add openai --admin            (prompts for sk-admin-…)
      pass show openai-admin | costtui keys add openai --admin
      costtui keys add openrouter --name team --management
    """
    from costtui import secrets
    from costtui.billing import Account
    from costtui.providers import no_api_message
    from costtui.store.billing import AccountExists, add_account

    info = _provider_info(provider)
    kind = kind or info.key_kinds[0]
    if info.has_api and kind not in info.key_kinds:
        raise click.BadParameter(
            f"{info.title} sync uses a {' or '.join(info.key_kinds)} key, not {kind}", param_hint="--admin/--management"
        )
    if not info.has_api and not info.probe:
        click.echo(no_api_message(info.id), err=True)
    options = {"team_id": team_id} if team_id else {}
    account = Account(provider=info.id, name=name, key_kind=kind, base_url=base_url, options=options)  # type: ignore[arg-type]
    store = app_ctx.store()
    if from_env:
        env = secrets.env_secret(account.secret_name)
        if env is None:
            raise click.ClickException(
                f"--from-env: none of {', '.join(secrets.env_names(account.secret_name))} is set"
            )
        key = env[1].get_secret_value()
        where = f"environment variable {env[0]}"
    else:
        _ensure_unlocked()
        key = _read_key(info.title)
        where = secrets.backend_name()
    warning = _key_warning(info.id, kind, key)
    try:
        saved = add_account(store, account.model_copy(update={"key_fp": fingerprint(key)}))
    except AccountExists as exc:
        raise click.ClickException(str(exc)) from exc
    if not from_env:
        try:
            secrets.set_secret(saved.secret_name, key)
        except secrets.SecretsError as exc:
            from costtui.store.billing import remove_account

            remove_account(store, saved.id)  # type: ignore[arg-type]
            raise click.ClickException(f"the key was not saved: {exc}") from exc
    click.echo(f"Added {saved.label} ({kind} key {saved.key_fp}); key in the {where}.")
    if warning:
        click.echo(f"Warning: {warning}.", err=True)
    if test_it:
        _test_accounts(app_ctx, [saved])


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def keys_list(app_ctx: AppContext, as_json: bool) -> None:
    """List accounts: key fingerprints, where the keys live, sync health."""
    from costtui import secrets
    from costtui.store.billing import account_health, list_accounts

    store = app_ctx.store()
    accounts = list_accounts(store)
    settings = app_ctx.settings.sync
    try:
        backend = secrets.describe_backend()
    except secrets.SecretsError as exc:
        backend = {"kind": "unavailable", "name": str(exc), "path": None, "locked": False, "reason": ""}
    rows = []
    for a in accounts:
        env = secrets.env_secret(a.secret_name)
        h = account_health(
            store,
            a,
            usage_interval=_minutes(settings.usage_interval_minutes),
            quota_interval=_minutes(settings.quota_interval_minutes),
        )
        rows.append(
            {
                "provider": a.provider,
                "name": a.name,
                "key_kind": a.key_kind,
                "fingerprint": fingerprint(env[1].get_secret_value()) if env else a.key_fp,
                "key_source": f"env:{env[0]}" if env else backend["kind"],
                "base_url": a.base_url,
                "enabled": a.enabled,
                "health": h.health,
                "last_success_at": h.last_success_at.isoformat() if h.last_success_at else None,
                "last_error": h.last_error,
            }
        )
    if as_json:
        click.echo(json.dumps({"backend": backend, "accounts": rows}, indent=2))
        return
    click.echo(f"Keys are stored in: {secrets.backend_name()}")
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
            f"  {r['provider'] + '/' + r['name']:<28} {r['key_kind']:<10} {r['fingerprint'] or '—':<16}"
            f" {r['key_source']:<22} {state}"
        )
        if r["last_error"]:
            click.echo(f"      last error: {r['last_error']}")


@keys.command("backend")
@click.option("--check", is_flag=True, help="Also open the store (asks for the passphrase of an encrypted file).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def keys_backend(app_ctx: AppContext, check: bool, as_json: bool) -> None:
    """Say where keys are stored and why (system keyring, encrypted file, plaintext opt-in)."""
    from costtui import secrets

    try:
        info = secrets.describe_backend()
    except secrets.SecretsError as exc:
        raise click.ClickException(str(exc)) from exc
    if check:
        _ensure_unlocked()
        try:
            secrets.get_secret_str("backend-check")
        except secrets.SecretsError as exc:
            raise click.ClickException(str(exc)) from exc
        info = secrets.describe_backend()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"Keys are stored in: {secrets.backend_name()}")
    click.echo(f"  why: {info['reason']}")
    if info["kind"] == "encrypted-file":
        click.echo(f"  unlock with {secrets.PASSPHRASE_ENV}, or type the passphrase when costtui asks.")
    if info["kind"] == "plaintext-file":
        click.echo("  warning: keys are NOT encrypted (you opted in); prefer the encrypted file on shared machines.")
    click.echo("  environment variables (COSTTUI_<PROVIDER>_KEY, ...) take precedence over the store.")
    if check:
        click.echo("  check: the store opened fine.")


def _minutes(m: float) -> Any:
    from datetime import timedelta

    return timedelta(minutes=m)


@keys.command("remove")
@click.argument("provider")
@click.option("--name", help="Account name (default: the provider's only account).")
@click.option("--purge", is_flag=True, help="Also delete its billed costs and quota history.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def keys_remove(app_ctx: AppContext, provider: str, name: str | None, purge: bool, yes: bool) -> None:
    """Remove an account and delete its key from the keyring."""
    from costtui import secrets
    from costtui.store.billing import remove_account

    store = app_ctx.store()
    account = _find(store, provider, name)
    if not yes:
        click.confirm(f"Remove {account.label} and its stored key?", abort=True, err=True)
    try:
        _ensure_unlocked()
        secrets.delete_secret(account.secret_name)
    except (secrets.SecretsError, click.ClickException) as exc:
        click.echo(f"Warning: the key could not be deleted from the keyring: {exc}", err=True)
    remove_account(store, account.id, purge=purge)  # type: ignore[arg-type]
    click.echo(f"Removed {account.label}" + (" and its history." if purge else " (its history is kept)."))


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
    from costtui import secrets
    from costtui.store.billing import update_account

    store = app_ctx.store()
    account = _find(store, provider, name)
    changes: dict[str, Any] = {}
    if base_url is not None:
        changes["base_url"] = base_url or None
    if team_id is not None:
        changes["options"] = {**account.options, "team_id": team_id}
    if new_key:
        _ensure_unlocked()
        key = _read_key(_provider_info(account.provider).title)
        try:
            secrets.set_secret(account.secret_name, key)
        except secrets.SecretsError as exc:
            raise click.ClickException(f"the key was not saved: {exc}") from exc
        changes["key_fp"] = fingerprint(key)
        if warning := _key_warning(account.provider, account.key_kind, key):
            click.echo(f"Warning: {warning}.", err=True)
    if not changes:
        raise click.UsageError("nothing to change; pass --new-key, --base-url or --team-id")
    saved = update_account(store, account.id, **changes)  # type: ignore[arg-type]
    click.echo(f"Updated {saved.label} (key {saved.key_fp}).")


@keys.command("disable")
@click.argument("provider")
@click.option("--name")
@pass_ctx
def keys_disable(app_ctx: AppContext, provider: str, name: str | None) -> None:
    """Stop syncing an account (its key and history stay)."""
    from costtui.store.billing import update_account

    account = _find(app_ctx.store(), provider, name)
    update_account(app_ctx.store(), account.id, enabled=False)  # type: ignore[arg-type]
    click.echo(f"Disabled {account.label}.")


@keys.command("enable")
@click.argument("provider")
@click.option("--name")
@pass_ctx
def keys_enable(app_ctx: AppContext, provider: str, name: str | None) -> None:
    """Sync a disabled account again."""
    from costtui.store.billing import update_account

    account = _find(app_ctx.store(), provider, name)
    update_account(app_ctx.store(), account.id, enabled=True)  # type: ignore[arg-type]
    click.echo(f"Enabled {account.label}.")


def _test_accounts(app_ctx: AppContext, accounts: list[Account]) -> bool:
    from costtui.sync import test_account

    _ensure_unlocked(accounts=accounts)
    all_ok = True
    for a in accounts:
        ok, message = asyncio.run(test_account(a, timeout=app_ctx.settings.sync.timeout_seconds))
        all_ok &= ok
        click.echo(f"{'✓' if ok else '✗'} {a.label}: {message}")
    return all_ok


@keys.command("test")
@click.argument("provider", required=False)
@click.option("--name")
@pass_ctx
def keys_test(app_ctx: AppContext, provider: str | None, name: str | None) -> None:
    """Make one cheap authenticated call per account and say what is wrong, if anything."""
    from costtui.store.billing import list_accounts

    store = app_ctx.store()
    accounts = [_find(store, provider, name)] if provider else list_accounts(store)
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
    from costtui.store.billing import record_quotas

    store = app_ctx.store()
    account = _find(store, provider, name)
    _ensure_unlocked(accounts=[account])
    key = secrets.get_secret_str(account.secret_name)
    if key is None:
        raise click.ClickException(f"no key for {account.label}")

    async def run() -> Any:
        async with make_http_client(app_ctx.settings.sync.timeout_seconds) as client:
            return await probe(
                account.provider, key, client, account=account.name, model=model, base_url=account.base_url
            )

    try:
        snaps = asyncio.run(run())
    except (ProviderError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    record_quotas(store, snaps)
    if not snaps:
        click.echo("The response carried no rate-limit headers.")
    for s in snaps:
        reset = local_time(s.resets_at, "%H:%M:%S") if s.resets_at else "—"
        click.echo(f"  {s.kind:<28} {s.remaining}/{s.limit} {s.unit} left (full again {reset})")


# --------------------------------------------------------------------------- sync


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
    from costtui.store.billing import list_accounts
    from costtui.sync import sync

    store = app_ctx.store()
    pid = _provider_info(provider).id if provider else None
    accounts = [a for a in list_accounts(store, pid, enabled_only=True) if not name or a.name == name]
    if not accounts:
        raise click.ClickException("no enabled accounts to sync; add one with `costtui keys add PROVIDER`")
    _ensure_unlocked(accounts=accounts)
    planes = ["quota"] if quotas_only else ["usage"] if usage_only else ["usage", "quota"]
    show = sys.stderr.isatty() and not as_json

    def progress(msg: str) -> None:
        if show:
            click.echo(f"\r\033[K  {msg}", nl=False, err=True)

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
            click.echo(f"{'✓' if ok else '✗'} {label} {', '.join(planes_done)}: {message}")
    if any(not r.ok for r in reports):
        sys.exit(1)


# --------------------------------------------------------------------------- quotas


@click.command("quotas")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def quotas_cmd(app_ctx: AppContext, as_json: bool) -> None:
    """Balances, spend limits and rate limits from the last sync."""
    from costtui.store.billing import account_health, list_accounts
    from costtui.store.billing import quotas_report as quotas_json

    store = app_ctx.read_store()
    rows = quotas_json(store, app_ctx.settings.sync)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    settings = app_ctx.settings.sync
    accounts = list_accounts(store)
    if not rows and not accounts:
        click.echo("No quotas yet. Add a key (`costtui keys add PROVIDER`) and run `costtui sync`.")
        return
    from costtui.billing import quota_amount

    def fmt(value: str | None, unit: str) -> str:
        return quota_amount(Decimal(value) if value is not None else None, unit)

    for r in rows:
        parts = []
        if r["used"] is not None:
            parts.append(f"used {fmt(r['used'], r['unit'])}")
        if r["limit"] is not None:
            parts.append(f"limit {fmt(r['limit'], r['unit'])}")
        if r["remaining"] is not None:
            parts.append(f"left {fmt(r['remaining'], r['unit'])}")
        if r["resets_at"]:
            parts.append(f"resets {local_time(datetime.fromisoformat(r['resets_at']), '%Y-%m-%d %H:%M')}")
        label = r["kind"] + (f" [{r['scope']}]" if r["scope"] else "")
        click.echo(f"  {r['provider'] + '/' + r['account']:<22} {label:<40} {' · '.join(parts)}  ({r['health']})")
        if r.get("detail"):
            click.echo(f"  {'':<22} {r['detail']}")
    # What went wrong, per account: an offline or failed sync leaves the last error here.
    with_rows = {(r["provider"], r["account"]) for r in rows}
    for a in accounts:
        h = account_health(
            store,
            a,
            usage_interval=_minutes(settings.usage_interval_minutes),
            quota_interval=_minutes(settings.quota_interval_minutes),
        )
        if h.health == "error" and h.last_error:
            when = local_time(h.last_error_at, "%Y-%m-%d %H:%M") if h.last_error_at else ""
            click.echo(f"  {a.label:<22} last sync failed {when}: {h.last_error}")
        elif (a.provider, a.name) not in with_rows:
            state = "disabled" if not a.enabled else "never synced: run `costtui sync`" if h.health == "never" else ""
            click.echo(f"  {a.label:<22} no limits reported{f' ({state})' if state else ''}")
        for note in _billed_notes(store, a):
            click.echo(f"  {a.label:<22} note: {note}")


def _billed_notes(store: Any, account: Account) -> list[str]:
    """Notes the provider attached to its billed figures (e.g. what they leave out), last 90 days."""
    from datetime import timedelta

    from costtui.billing import billed_notes
    from costtui.store.billing import MONEY_KINDS, billed_lines

    today = datetime.now(UTC).date()
    lines = billed_lines(
        store,
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
    from costtui.billing import ManualCost
    from costtui.store.billing import add_manual_cost

    first, last = _range(on, start, end)
    entry = add_manual_cost(
        app_ctx.store(),
        ManualCost(
            provider=provider.lower(),
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
    click.echo(f"Manual cost #{entry.id}: {money(entry.amount_usd)} for {provider}/{account} on {span}.")


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
    from costtui.store.billing import list_manual_costs

    entries = list_manual_costs(app_ctx.read_store(), provider)
    if as_json:
        click.echo(json.dumps([json.loads(e.model_dump_json()) for e in entries], indent=2))
        return
    if not entries:
        click.echo("No manual costs. Add one with `costtui add-cost --provider P --amount X`.")
    for e in entries:
        span = f"{e.start}" if e.start == e.end else f"{e.start} → {e.end}"
        toks = f" {tokens(e.input_tokens + e.output_tokens)} tokens" if e.input_tokens or e.output_tokens else ""
        click.echo(
            f"#{e.id:<4} {e.provider + '/' + e.account:<24} {span:<24} {money(e.amount_usd):>12}{toks}  {e.note or ''}"
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
    from costtui.store.billing import get_manual_cost, update_manual_cost

    store = app_ctx.store()
    try:
        entry = get_manual_cost(store, entry_id)
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
            changes[k] = v.lower() if k == "provider" else v
    if amount is not None:
        changes["amount_usd"] = parse_amount(amount, "--amount")
    if not changes:
        raise click.UsageError("nothing to change; pass --amount, --date, --note, ...")
    try:
        update_manual_cost(store, entry.model_copy(update=changes))
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
    from costtui.store.billing import delete_manual_cost, get_manual_cost

    store = app_ctx.store()
    try:
        entry = get_manual_cost(store, entry_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(f"Delete manual cost #{entry_id} ({money(entry.amount_usd)}, {entry.provider})?", abort=True)
    delete_manual_cost(store, entry_id)
    click.echo(f"Deleted manual cost #{entry_id}.")


COMMANDS = (keys, sync_cmd, quotas_cmd, add_cost, costs)
