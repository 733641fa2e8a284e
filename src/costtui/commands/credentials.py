"""The passphrase prompt every command that needs the encrypted key file shares."""

from __future__ import annotations

import sys

import click

from costtui.secrets import PASSPHRASE_ENV, Credentials, SecretsError


def ensure_unlocked(credentials: Credentials, names: list[str] | None = None, *, interactive: bool = True) -> None:
    """On the encrypted-file backend, make sure a passphrase is known: a hidden prompt on a terminal,
    a clear error otherwise. With ``names``, nothing is needed when every key comes from the
    environment."""
    try:
        if not credentials.needs_passphrase(names):
            return
        info = credentials.backend_info()
    except SecretsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not (interactive and sys.stdin.isatty()):
        raise click.ClickException(
            f"no usable system keyring here, and the encrypted key file {info.path} needs a passphrase: "
            f"set {PASSPHRASE_ENV}, or run this command in a terminal to type it "
            "(see docs/providers.md, 'Headless servers')"
        )
    new = info.path is not None and not info.path.exists()
    click.echo(f"No usable system keyring: keys go to the encrypted file {info.path}.", err=True)
    prompt = "Choose a passphrase for it" if new else "Passphrase of the encrypted key file"
    for attempt in range(3):
        passphrase = click.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True)
        try:
            credentials.unlock(passphrase)
            return
        except SecretsError as exc:
            if attempt == 2:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"{exc}", err=True)
