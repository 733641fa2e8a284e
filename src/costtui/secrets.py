"""Credentials: provider keys and listener keys, never on disk in plain text (unless opted in).

Provider keys live here; the listener's own keys do not (see :mod:`costtui.listener.keys`).

A :class:`Credentials` object is built from ``Settings.secrets`` by whoever owns the settings (the
CLI context, ``costtui serve``, the TUI app) and passed down; there is no module-level state.

Lookup order for a secret called ``name`` (:meth:`Credentials.get_secret`):

1. an environment variable (``COSTTUI_OPENAI_KEY``, ``COSTTUI_OPENAI_WORK_KEY``,
   ``COSTTUI_OPENAI_ADMIN_KEY``… see :func:`env_names`);
2. the store in use, chosen per call by :meth:`Credentials.backend_info`:

   * the **system keyring** when one is usable (Secret Service, macOS Keychain, Windows
     Credential Locker, or the in-memory test backend). Backends that are not usable or not safe
     are skipped: keyring's ``fail`` backend, ``null``, a chainer whose members are all skipped,
     and every file backend from ``keyrings.alt`` / ``keyrings.cryptfile`` (their plaintext one
     is base64 at best; their encrypted ones prompt with ``getpass``, which would hang a TUI);
   * else an **encrypted file** (``keyrings.cryptfile``: Argon2 + AES-GCM) in the XDG data
     dir, unlocked by ``COSTTUI_KEYRING_PASSPHRASE`` or by :meth:`Credentials.unlock` (the TUI
     asks in a modal, the CLI prompts on a terminal). A wrong passphrase raises
     :class:`WrongPassphrase`;
   * a **plaintext file** only when the user opted in (``[secrets] backend = "plaintext"`` in
     the config file, or ``COSTTUI_SECRETS__BACKEND=plaintext``), or, with
     ``allow_plaintext = true``, when no passphrase is available and no encrypted file exists.

Thread rule: keyring calls block (Secret Service is D-Bus, the file keyring runs Argon2 for
~0.3 s per call); call these methods from a thread worker or ``asyncio.to_thread`` in the TUI.
Values are held as :class:`pydantic.SecretStr`; no message here ever contains a secret.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from pydantic import SecretStr

from costtui import paths

SERVICE = "costtui"
PASSPHRASE_ENV = "COSTTUI_KEYRING_PASSPHRASE"
BACKEND_ENV = "COSTTUI_SECRETS__BACKEND"
ALLOW_PLAINTEXT_ENV = "COSTTUI_SECRETS__ALLOW_PLAINTEXT"
ENCRYPTED_FILE = "keyring.cfg"
PLAINTEXT_FILE = "keyring-plaintext.cfg"

BackendKind = Literal["system", "encrypted-file", "plaintext-file"]


class SecretsError(Exception):
    """A credential operation failed; the message says what to do (and never holds a secret)."""


class KeyringLocked(SecretsError):
    """The encrypted key file needs a passphrase before it can be read or written."""


class WrongPassphrase(SecretsError):
    """The passphrase does not open the encrypted key file."""


class KeyringUnavailable(SecretsError):
    """The chosen keyring backend failed (e.g. Secret Service locked or gone)."""


@dataclass(frozen=True)
class BackendInfo:
    """Which store holds secrets right now, for ``costtui keys list`` and TUI Settings."""

    kind: BackendKind
    name: str
    """Human name, e.g. ``system keyring (SecretService Keyring)``."""
    path: Path | None = None
    locked: bool = False
    """Encrypted file only: no passphrase known yet."""
    reason: str = ""
    """Why this backend was chosen (e.g. "no usable system keyring")."""

    def describe(self) -> str:
        text = self.name
        if self.path is not None:
            text += f" at {self.path}"
        if self.locked:
            text += " (locked: set COSTTUI_KEYRING_PASSPHRASE or unlock it)"
        return text


# --------------------------------------------------------------------------- names


def _env_part(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def env_names(name: str) -> list[str]:
    """Environment variables that may hold the secret ``name``, most specific first.

    ``ingest_key`` → ``COSTTUI_INGEST_KEY``; ``openai:work`` → ``COSTTUI_OPENAI_WORK_KEY``;
    ``openai:default`` → ``COSTTUI_OPENAI_DEFAULT_KEY``, ``COSTTUI_OPENAI_KEY``;
    ``openai:default:admin`` → ``COSTTUI_OPENAI_DEFAULT_KEY``, ``COSTTUI_OPENAI_ADMIN_KEY``,
    ``COSTTUI_OPENAI_KEY``.
    """
    parts = name.split(":")
    if len(parts) == 1:
        base = _env_part(name)
        return [f"COSTTUI_{base}" if base.endswith("_KEY") else f"COSTTUI_{base}_KEY"]
    provider, account = _env_part(parts[0]), _env_part(parts[1])
    admin = len(parts) > 2 and parts[2] == "admin"
    names = [f"COSTTUI_{provider}_{account}_KEY"]
    if account == "DEFAULT":
        if admin:
            names.append(f"COSTTUI_{provider}_ADMIN_KEY")
        names.append(f"COSTTUI_{provider}_KEY")
    return names


def _username(name: str) -> str:
    # The admin marker only widens the env lookup; the stored entry is per account.
    parts = name.split(":")
    return ":".join(parts[:2]) if len(parts) > 2 and parts[2] == "admin" else name


def env_secret(name: str) -> tuple[str, SecretStr] | None:
    """The environment variable that provides ``name``, and its value, if any."""
    for var in env_names(name):
        value = os.environ.get(var, "").strip()
        if value:
            return var, SecretStr(value)
    return None


# --------------------------------------------------------------------------- several fields


def pack_fields(fields: Mapping[str, str | SecretStr]) -> str:
    """Several named secrets of one account (a client secret, an access key pair) as one keyring
    entry: a JSON object. One entry per account keeps add, rotate and remove atomic, and the
    environment override (``COSTTUI_AZURE_KEY='{"client_secret": "..."}'``) works the same way."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw and raw.strip():
            out[name] = raw.strip()
    if not out:
        raise SecretsError("refusing to store an empty secret")
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def unpack_fields(value: str | SecretStr | None) -> dict[str, SecretStr]:
    """The named secrets of a packed entry; ``{}`` for a single plain key (no API key starts with ``{``)."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
    if not raw.lstrip().startswith("{"):
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): SecretStr(str(v)) for k, v in data.items() if isinstance(v, str) and v}


def secret_parts(value: str | SecretStr | None) -> list[str]:
    """What must never be shown of a stored entry: each secret of a packed one, else the key itself."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
    fields = unpack_fields(raw)
    if fields:
        return [v.get_secret_value() for v in fields.values()]
    return [raw] if raw else []


# --------------------------------------------------------------------------- backends


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _is_unsafe(backend: KeyringBackend) -> bool:
    """File backends that are plaintext or prompt with getpass: never picked silently."""
    cls = type(backend)
    module = cls.__module__
    if module.startswith(("keyrings.alt", "keyrings.cryptfile")):
        return True
    if "plaintext" in cls.__name__.lower():
        return True
    return module.startswith(("keyring.backends.fail", "keyring.backends.null"))


def usable_system_keyring() -> KeyringBackend | None:
    """The system keyring if one is usable and safe, else None (headless servers)."""
    from keyring.backends import chainer

    try:
        current = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(current, chainer.ChainerBackend):
        try:
            members = [b for b in current.backends if not _is_unsafe(b)]
        except Exception:
            return None
        # Use the best safe member directly: the chainer would write to the first member,
        # which on a headless machine may be a plaintext file.
        return members[0] if members else None
    if _is_unsafe(current):
        return None
    return current


def _backend_label(backend: KeyringBackend) -> str:
    name = getattr(backend, "name", None)
    return str(name) if name else type(backend).__name__


def _encrypted_keyring(path: Path, passphrase: SecretStr) -> KeyringBackend:
    """An unlocked CryptFileKeyring on ``path``; creates the file on first use."""
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    kr = CryptFileKeyring()
    kr.file_path = str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Setting keyring_key verifies it against the file's reference entry (or creates it).
        kr.keyring_key = passphrase.get_secret_value()
    except ValueError as exc:
        # cryptfile raises ValueError('MAC check failed') (or 'Incorrect Password', or a blank one).
        if "blank" in str(exc).lower():
            raise WrongPassphrase("the passphrase must not be empty") from None
        raise WrongPassphrase(
            f"wrong passphrase for the encrypted key file {path}. Check {PASSPHRASE_ENV} or type it again."
        ) from None
    return kr


def _plaintext_keyring(path: Path) -> KeyringBackend:
    from keyrings.cryptfile.file import PlaintextKeyring

    kr = PlaintextKeyring()
    kr.file_path = str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return kr


_CHOICES = {"auto", "system", "file", "encrypted", "encrypted-file", "plaintext", "plaintext-file"}


class Credentials:
    """Where keys live and how to read them, for one set of settings.

    Built once from ``Settings.secrets`` by whoever owns the settings (the CLI context, ``serve``,
    the TUI app) and handed to every part that reads or writes a key, so that ``--config`` means
    the same backend everywhere. ``COSTTUI_SECRETS__BACKEND``, ``COSTTUI_SECRETS__ALLOW_PLAINTEXT``
    and ``COSTTUI_KEYRING_PASSPHRASE`` are read at the time of each call, so a script that sets
    them after start-up is obeyed.

    The object remembers the passphrase given to :meth:`unlock` and the values it decrypted (each
    file read costs an Argon2 derivation, ~0.3 s); :meth:`lock` forgets both.
    """

    def __init__(self, settings: Any = None, *, data_dir: Path | None = None) -> None:
        self._backend = str(getattr(settings, "backend", "auto"))
        self._allow_plaintext = bool(getattr(settings, "allow_plaintext", False))
        self._data_dir = data_dir
        self._lock = threading.RLock()
        self._passphrase: SecretStr | None = None
        self._cache: dict[tuple[str, str], SecretStr] = {}

    @classmethod
    def from_settings(cls, settings: Any, *, data_dir: Path | None = None) -> Credentials:
        """From a :class:`costtui.config.Settings` (its ``[secrets]`` section)."""
        return cls(getattr(settings, "secrets", None), data_dir=data_dir)

    def __repr__(self) -> str:  # never show the passphrase
        return f"Credentials(backend={self._backend!r}, unlocked={self._passphrase is not None})"

    # ------------------------------------------------------------------ state

    @property
    def data_dir(self) -> Path:
        return self._data_dir or paths.data_dir()

    def lock(self) -> None:
        """Forget the passphrase and decrypted values (the next use asks again)."""
        with self._lock:
            self._passphrase = None
            self._cache.clear()

    def unlock(self, passphrase: str) -> None:
        """Check ``passphrase`` against the encrypted key file (creating it if absent) and keep it.

        Raises :class:`WrongPassphrase`. Blocks ~0.3 s (Argon2).
        """
        secret = SecretStr(passphrase)
        _encrypted_keyring(self._file(ENCRYPTED_FILE), secret)
        with self._lock:
            self._passphrase = secret
            self._cache.clear()

    def _file(self, name: str) -> Path:
        return self.data_dir / name

    def _choice(self) -> str:
        return (os.environ.get(BACKEND_ENV) or self._backend or "auto").strip().lower()

    def _plaintext_allowed(self) -> bool:
        env = os.environ.get(ALLOW_PLAINTEXT_ENV)
        return _truthy(env) if env is not None else self._allow_plaintext

    def _passphrase_value(self) -> SecretStr | None:
        if self._passphrase is not None:
            return self._passphrase
        env = os.environ.get(PASSPHRASE_ENV)
        return SecretStr(env) if env else None

    # ------------------------------------------------------------------ backend

    def backend_info(self) -> BackendInfo:
        """Decide which store holds secrets now (cheap; no secret is read)."""
        choice = self._choice()
        if choice not in _CHOICES:
            raise KeyringUnavailable(
                f"unknown secrets backend {choice!r} (config [secrets] backend or {BACKEND_ENV}); "
                "use auto, system, file or plaintext"
            )
        system = usable_system_keyring()
        encrypted = self._file(ENCRYPTED_FILE)
        if choice in {"plaintext", "plaintext-file"}:
            return BackendInfo(
                "plaintext-file",
                "plaintext file (opted in)",
                self._file(PLAINTEXT_FILE),
                reason="plaintext chosen in the config",
            )
        if choice in {"file", "encrypted", "encrypted-file"}:
            return BackendInfo(
                "encrypted-file",
                "encrypted file",
                encrypted,
                locked=self._passphrase_value() is None,
                reason="encrypted file chosen in the config",
            )
        if choice == "system":
            if system is None:
                raise KeyringUnavailable(
                    "the config asks for the system keyring, but none is usable here "
                    '(no Secret Service/Keychain). Set [secrets] backend = "auto" to use the encrypted file.'
                )
            return BackendInfo("system", f"system keyring ({_backend_label(system)})", reason="chosen in the config")
        if system is not None:
            return BackendInfo(
                "system", f"system keyring ({_backend_label(system)})", reason="system keyring available"
            )
        has_pass = self._passphrase_value() is not None
        if not has_pass and not encrypted.exists() and self._plaintext_allowed():
            return BackendInfo(
                "plaintext-file",
                "plaintext file (opted in)",
                self._file(PLAINTEXT_FILE),
                reason="no usable system keyring, no passphrase, plaintext allowed",
            )
        return BackendInfo(
            "encrypted-file", "encrypted file", encrypted, locked=not has_pass, reason="no usable system keyring"
        )

    def backend_name(self) -> str:
        """One line saying where secrets live, e.g. ``encrypted file at ~/.local/share/costtui/keyring.cfg``."""
        try:
            return self.backend_info().describe()
        except SecretsError as exc:
            return f"unavailable: {exc}"

    def describe_backend(self) -> dict[str, Any]:
        """JSON-friendly summary of the backend (for ``keys list --json`` and the TUI)."""
        info = self.backend_info()
        return {
            "kind": info.kind,
            "name": info.name,
            "path": str(info.path) if info.path else None,
            "locked": info.locked,
            "reason": info.reason,
        }

    def is_locked(self) -> bool:
        try:
            return self.backend_info().locked
        except SecretsError:
            return False

    def needs_passphrase(self, names: list[str] | None = None) -> bool:
        """True when reading ``names`` (or any key, with None) would need the locked encrypted file.

        Keys provided by environment variables never need it.
        """
        if names is not None and all(env_secret(n) for n in names):
            return False
        return self.is_locked()

    def _open_backend(self, info: BackendInfo) -> KeyringBackend:
        if info.kind == "system":
            backend = usable_system_keyring()
            if backend is None:  # pragma: no cover - raced with a desktop session ending
                raise KeyringUnavailable("the system keyring went away; try again")
            return backend
        assert info.path is not None
        if info.kind == "plaintext-file":
            return _plaintext_keyring(info.path)
        passphrase = self._passphrase_value()
        if passphrase is None:
            raise KeyringLocked(
                f"no usable system keyring, and the encrypted key file {info.path} is locked: "
                f"set {PASSPHRASE_ENV}, or unlock it when costtui asks for the passphrase"
            )
        return _encrypted_keyring(info.path, passphrase)

    @staticmethod
    def _cache_key(info: BackendInfo, name: str) -> tuple[str, str]:
        return (f"{info.kind}:{info.path}", name)

    # ------------------------------------------------------------------ API

    def get_secret_str(self, name: str) -> SecretStr | None:
        """The secret ``name`` as a SecretStr: environment first, then the store in use."""
        from_env = env_secret(name)
        if from_env is not None:
            return from_env[1]
        info = self.backend_info()
        key = self._cache_key(info, name)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        backend = self._open_backend(info)
        try:
            value = backend.get_password(SERVICE, _username(name))
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"the {info.name} could not be read ({type(exc).__name__}); is it locked or unreachable?"
            ) from None
        except ValueError:
            raise WrongPassphrase(f"an entry of {info.path} cannot be decrypted with this passphrase") from None
        if value is None and info.kind == "system":
            value = self._from_encrypted_file_if_open(name)
        if value is None:
            return None
        result = SecretStr(value)
        if info.kind != "system":
            with self._lock:
                self._cache[key] = result
        return result

    def _from_encrypted_file_if_open(self, name: str) -> str | None:
        """Keys stored while there was no system keyring (e.g. over SSH) stay readable from a desktop
        session, when the file's passphrase is known. Never prompts."""
        path = self._file(ENCRYPTED_FILE)
        passphrase = self._passphrase_value()
        if passphrase is None or not path.exists():
            return None
        try:
            return _encrypted_keyring(path, passphrase).get_password(SERVICE, _username(name))
        except (SecretsError, ValueError):
            return None

    def get_secret(self, name: str) -> str | None:
        """The secret ``name`` (e.g. ``"openai:default"``) or None if unset.

        Raises :class:`KeyringLocked` when only the locked encrypted file could hold it.
        """
        value = self.get_secret_str(name)
        return None if value is None else value.get_secret_value()

    def secret_source(self, name: str) -> str | None:
        """Where ``name`` would be read from: ``env:COSTTUI_X_KEY``, the backend name, or None."""
        from_env = env_secret(name)
        if from_env is not None:
            return f"env:{from_env[0]}"
        try:
            return self.backend_info().name if self.get_secret_str(name) is not None else None
        except SecretsError:
            return None

    def set_secret(self, name: str, value: str | SecretStr) -> None:
        """Store ``value`` under ``name`` in the store in use (never in the environment)."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not raw or not raw.strip():
            raise SecretsError("refusing to store an empty secret")
        info = self.backend_info()
        backend = self._open_backend(info)
        try:
            backend.set_password(SERVICE, _username(name), raw.strip())
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"the {info.name} refused to store the key ({type(exc).__name__})") from None
        if info.kind != "system":
            # Like get_secret_str: the system keyring is read afresh each time (another program, or
            # another keyring backend, may hold a different value); only the file stores are cached.
            with self._lock:
                self._cache[self._cache_key(info, name)] = SecretStr(raw.strip())

    def get_fields(self, name: str) -> dict[str, SecretStr]:
        """The named secrets stored under ``name`` by :meth:`set_fields` (``{}`` when none)."""
        return unpack_fields(self.get_secret_str(name))

    def set_fields(self, name: str, fields: Mapping[str, str | SecretStr]) -> None:
        """Store several named secrets of one account as one entry (see :func:`pack_fields`)."""
        self.set_secret(name, pack_fields(fields))

    def delete_secret(self, name: str) -> None:
        """Remove ``name`` from the store in use; a missing entry is not an error."""
        info = self.backend_info()
        backend = self._open_backend(info)
        try:
            backend.delete_password(SERVICE, _username(name))
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"the {info.name} refused to delete the key ({type(exc).__name__})") from None
        with self._lock:
            self._cache.pop(self._cache_key(info, name), None)
