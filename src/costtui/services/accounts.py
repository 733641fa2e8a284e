"""Provider accounts: add, update, remove, enable and list them, with their health and key source.

The CLI (``costtui keys …``) and the TUI (Settings → Accounts) both come here, so the rules hold
whichever face a user picks: the key kind must be one the provider's sync can use, a key that does
not look like its kind gets a warning, and an account whose key could not be stored is not left
behind. The service never prompts: a locked encrypted key file surfaces as :class:`KeyNotSaved`
with ``locked`` set, and the face asks for the passphrase (a hidden prompt, a modal).

Every method blocks (SQLite, keyring): call it from a thread worker in the TUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from costtui.formatting import fingerprint
from costtui.models import Account, AccountHealth, check_identifier
from costtui.secrets import Credentials, KeyringLocked, SecretsError, env_names, env_secret, pack_fields, secret_parts

if TYPE_CHECKING:
    from costtui.providers import ProviderInfo
    from costtui.store import Store


class AccountError(Exception):
    """The account cannot be added or changed; the message says why (never a secret)."""


class KeyNotSaved(AccountError):
    """The keyring refused the key; nothing was changed."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked
        """The encrypted key file needs its passphrase first."""


KEY_SOURCE_LABELS = {
    "env": "environment variable",
    "system": "system keyring",
    "encrypted-file": "encrypted file",
    "plaintext-file": "plaintext file",
    "external": "your own configuration",
    "unavailable": "unavailable",
}


@dataclass(frozen=True)
class KeySource:
    """Where an account's key is read from."""

    kind: str
    """``env``, ``system``, ``encrypted-file``, ``plaintext-file`` or ``unavailable``."""
    variable: str | None = None
    """The environment variable, for ``env``."""

    def __str__(self) -> str:
        return f"env:{self.variable}" if self.kind == "env" else self.kind

    @property
    def label(self) -> str:
        if self.kind == "env":
            return f"env {self.variable}"
        return KEY_SOURCE_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class AccountRow:
    account: Account
    health: AccountHealth
    key_source: KeySource
    fingerprint: str | None

    def as_json(self) -> dict[str, Any]:
        a, h = self.account, self.health
        return {
            "provider": a.provider,
            "name": a.name,
            "key_kind": a.key_kind,
            "fingerprint": self.fingerprint,
            "key_source": str(self.key_source),
            "base_url": a.base_url,
            "enabled": a.enabled,
            "health": h.health,
            "last_success_at": h.last_success_at.isoformat() if h.last_success_at else None,
            "last_error": h.last_error,
        }


@dataclass(frozen=True)
class AccountsListing:
    backend: dict[str, Any]
    """:meth:`Credentials.describe_backend`, or ``kind = "unavailable"`` with the reason as name."""
    rows: list[AccountRow]


@dataclass(frozen=True)
class Saved:
    account: Account
    warning: str | None
    """The key does not look like its kind (saved anyway: the provider has the last word)."""
    where: str
    """Where the key lives, for the confirmation message."""


def key_warning(provider: str, kind: str, key: str) -> str | None:
    """A warning when ``key`` does not look like a ``kind`` key of ``provider``."""
    if provider == "openai" and kind == "admin" and not key.startswith("sk-admin"):
        return "this does not look like an OpenAI Admin key (sk-admin-…); usage and cost sync will be refused"
    if provider == "anthropic" and kind == "admin" and not key.startswith("sk-ant-admin"):
        return "this does not look like an Anthropic Admin key (sk-ant-admin…); a normal key cannot read usage"
    return None


def key_fingerprint(key: str) -> str:
    """The fingerprint shown for a stored entry: of its first secret when it packs several
    (a packed entry's JSON text would show ``{"cl…``)."""
    parts = secret_parts(key)
    return fingerprint(parts[0] if parts else key)


_UNSET: Any = object()


class AccountsService:
    def __init__(self, store: Store, credentials: Credentials, sync: Any = None) -> None:
        self.store = store
        self.credentials = credentials
        self.sync = sync
        """The ``[sync]`` settings (their intervals decide when an account is stale)."""

    # ------------------------------------------------------------------ checks

    @staticmethod
    def provider(provider: str) -> ProviderInfo:
        from costtui.providers import get_info

        try:
            return get_info(provider)
        except KeyError as exc:
            raise AccountError(str(exc.args[0])) from None

    @staticmethod
    def check_kind(provider: str, kind: str | None) -> str:
        """The key kind to use (the provider's first when None); refuses one its sync cannot use."""
        info = AccountsService.provider(provider)
        kind = kind or info.key_kinds[0]
        if info.has_api and kind not in info.key_kinds:
            raise AccountError(f"{info.title} sync uses a {' or '.join(info.key_kinds)} key, not {kind}")
        return kind

    @staticmethod
    def check_base_url(base_url: str | None) -> None:
        if base_url and not base_url.startswith(("http://", "https://")):
            raise AccountError("the base URL must start with https:// (or http:// for a local test server)")

    def find(self, provider: str, name: str | None = None) -> Account:
        from costtui.store.billing import AccountNotFound

        try:
            return self.store.billing.find_account(self.provider(provider).id, name)
        except AccountNotFound as exc:
            raise AccountError(str(exc)) from None

    # ------------------------------------------------------------------ workflows

    def add(
        self,
        provider: str,
        *,
        name: str = "default",
        kind: str | None = None,
        key: str | None = None,
        base_url: str | None = None,
        team_id: str | None = None,
        from_env: bool = False,
        options: Mapping[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> Saved:
        """Add an account and store its key (or, ``from_env``, read it from the environment at each
        sync). A key the keyring refuses leaves no account behind.

        Cloud accounts (a provider with ``credential_fields``) take their non-secret fields in
        ``options`` (kept on the account) and their secrets in ``fields`` (one packed keyring
        entry); kind ``none`` keeps the credentials outside costtui (an AWS profile, a
        service-account file) and stores no secret."""
        from costtui.store import StoreError

        info = self.provider(provider)
        opts = {k: v.strip() for k, v in (options or {}).items() if v and v.strip()}
        kind = self.check_kind(info.id, kind or info.cls.default_kind(opts))
        self.check_base_url(base_url)
        try:
            check_identifier(name or "")
        except ValueError as exc:
            raise AccountError(f"account name {exc}") from None
        if team_id:
            opts["team_id"] = team_id
        # A single key (the TUI's key field, a Gemini API key) is stored as it is.
        single = bool(key and key.strip()) and not fields and kind != "none"
        if info.credential_fields and not single:
            secrets = {k: v for k, v in (fields or {}).items() if v and v.strip()}
            try:
                # From the environment, the secrets are checked by the provider at each sync.
                given = {f.name: "env" for f in info.credential_fields if f.secret} if from_env else secrets
                info.cls.check_credentials(kind, opts, given if kind != "none" else {})
            except ValueError as exc:
                raise AccountError(str(exc)) from None
            if kind == "none" or (not from_env and not secrets):
                key = None
            else:
                key = pack_fields(secrets) if not from_env else None
        elif options:
            raise AccountError(f"{info.title} takes no -o options")
        account = Account(
            provider=info.id,
            name=(name or "default").strip() or "default",
            key_kind=kind,  # type: ignore[arg-type]
            base_url=base_url or None,
            options=opts,
        )
        if info.credential_fields and kind == "none" and not single:
            try:
                saved = self.store.billing.add_account(account)
            except StoreError as exc:
                raise AccountError(str(exc)) from None
            return Saved(saved, None, "your own configuration (no secret stored)")
        if from_env:
            env = env_secret(account.secret_name)
            if env is None:
                raise AccountError(f"none of {', '.join(env_names(account.secret_name))} is set")
            key, where = env[1].get_secret_value(), f"environment variable {env[0]}"
        else:
            key = (key or "").strip()
            if not key:
                raise AccountError("no key given")
            where = self.credentials.backend_name()
        try:
            saved = self.store.billing.add_account(account.model_copy(update={"key_fp": key_fingerprint(key)}))
        except StoreError as exc:
            raise AccountError(str(exc)) from None
        if not from_env:
            try:
                self.credentials.set_secret(saved.secret_name, key)
            except SecretsError as exc:
                assert saved.id is not None
                self.store.billing.remove_account(saved.id)
                raise KeyNotSaved(f"the key was not saved: {exc}", locked=isinstance(exc, KeyringLocked)) from None
        return Saved(saved, key_warning(info.id, kind, key), where)

    def update(
        self,
        account: Account,
        *,
        key: str | None = None,
        kind: str | None = None,
        base_url: str | None = _UNSET,
        team_id: str | None = _UNSET,
    ) -> Saved:
        """Change the key (rotation), its kind, the base URL or the xAI team id.

        ``base_url=None`` goes back to the provider's own; ``team_id=None`` removes it. A key the
        keyring refuses changes nothing.
        """

        assert account.id is not None
        changes: dict[str, Any] = {}
        new_kind = account.key_kind
        if kind is not None and kind != account.key_kind:
            new_kind = self.check_kind(account.provider, kind)  # type: ignore[assignment]
            changes["key_kind"] = new_kind
        if base_url is not _UNSET:
            self.check_base_url(base_url)
            changes["base_url"] = base_url or None
        if team_id is not _UNSET:
            options = dict(account.options)
            if team_id:
                options["team_id"] = team_id
            else:
                options.pop("team_id", None)
            changes["options"] = options
        key = (key or "").strip() or None
        warning = None
        if key:
            try:
                self.credentials.set_secret(account.secret_name, key)
            except SecretsError as exc:
                raise KeyNotSaved(f"the key was not saved: {exc}", locked=isinstance(exc, KeyringLocked)) from None
            changes["key_fp"] = key_fingerprint(key)
            warning = key_warning(account.provider, new_kind, key)
        if not changes:
            raise AccountError("nothing to change")
        saved = self.store.billing.update_account(account.id, **changes)
        return Saved(saved, warning, self.credentials.backend_name())

    def remove(self, account: Account, *, purge: bool = False) -> str | None:
        """Remove the account (and, ``purge``, its billed and quota history) and delete its key.

        Returns a warning when the key could not be deleted from the keyring (the account goes anyway).
        """

        assert account.id is not None
        warning = None
        try:
            if not account.is_demo:  # a demo account has no key: the keyring is none of its business
                self.credentials.delete_secret(account.secret_name)
        except SecretsError as exc:
            warning = f"the key could not be deleted from the keyring: {exc}"
        self.store.billing.remove_account(account.id, purge=purge)
        return warning

    def set_enabled(self, account: Account, enabled: bool) -> Account:

        assert account.id is not None
        return self.store.billing.update_account(account.id, enabled=enabled)

    # ------------------------------------------------------------------ reading

    def key_source(self, account: Account, backend_kind: str | None = None) -> KeySource:
        if account.key_kind == "none" and self.provider(account.provider).credential_fields:
            return KeySource("external")  # an AWS profile or a key file, read at each sync
        env = env_secret(account.secret_name)
        if env is not None:
            return KeySource("env", env[0])
        if backend_kind is None:
            try:
                backend_kind = self.credentials.backend_info().kind
            except SecretsError:
                backend_kind = "unavailable"
        return KeySource(backend_kind)

    def health(self, account: Account, now: datetime | None = None) -> AccountHealth:
        from costtui.analytics.health import account_health

        return account_health(self.store, account, self.sync, now)

    def list(self, now: datetime | None = None) -> AccountsListing:
        """Every account with its health, key source and fingerprint; and where keys are stored."""

        try:
            backend = self.credentials.describe_backend()
        except SecretsError as exc:
            backend = {"kind": "unavailable", "name": str(exc), "path": None, "locked": False, "reason": ""}
        rows = []
        for a in self.store.billing.list_accounts():
            source = self.key_source(a, backend["kind"])
            env = env_secret(a.secret_name)
            rows.append(
                AccountRow(
                    account=a,
                    health=self.health(a, now),
                    key_source=source,
                    fingerprint=key_fingerprint(env[1].get_secret_value()) if env else a.key_fp,
                )
            )
        return AccountsListing(backend, rows)
