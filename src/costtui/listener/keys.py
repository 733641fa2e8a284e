"""The listener's two keys: the ingest key (to push events) and the read key (to read status
and metrics from another machine).

These are local shared secrets, not provider keys: the ingest key only lets a process push usage
events to this machine's listener; it spends no money and reads nothing. So they never need the
passphrase of the encrypted key file, and a headless first run works with no prompt:

1. ``COSTTUI_INGEST_KEY`` / ``COSTTUI_READ_KEY`` when set;
2. a key file in the data dir (``listener-keys/ingest_key``), mode 0600 in a 0700 folder, written
   atomically (``O_EXCL`` on a temporary file, then a hard link or rename), the way Jupyter and
   Docker keep their local tokens; once it exists, it is the key everywhere on this machine;
3. else the system keyring, when the secrets backend in use is one (a desktop session);
4. else a new key is generated and kept in the system keyring when that is the backend in use,
   otherwise in the key file.

Keys are never logged and never stored in SQLite; only :func:`costtui.formatting.fingerprint` is
shown. docs/listener.md says why the file is a sound home for them.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import ipaddress
import logging
import os
import secrets as pysecrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from costtui.formatting import fingerprint

if TYPE_CHECKING:
    from costtui.secrets import Credentials

log = logging.getLogger("costtui.listener")

INGEST_KEY = "ingest_key"
READ_KEY = "read_key"
PREFIXES = {INGEST_KEY: "cti_", READ_KEY: "ctr_"}
ENV_NAMES = {INGEST_KEY: "COSTTUI_INGEST_KEY", READ_KEY: "COSTTUI_READ_KEY"}
KEYS_DIR = "listener-keys"


class KeyUnavailable(Exception):
    """No key could be read or generated (e.g. the data dir is not writable)."""


@dataclass(frozen=True)
class KeyInfo:
    name: str
    value: str
    source: str
    """``env:COSTTUI_INGEST_KEY``, ``key file <path>`` or the keyring backend's name."""
    generated: bool = False
    """True when this call created the key (show it once)."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def __repr__(self) -> str:  # never print the key itself
        return f"KeyInfo(name={self.name!r}, fingerprint={self.fingerprint!r}, source={self.source!r})"

    __str__ = __repr__


def new_key(name: str) -> str:
    return PREFIXES.get(name, "ct_") + pysecrets.token_urlsafe(32)


def _env_name(name: str) -> str:
    return ENV_NAMES.get(name, "COSTTUI_" + name.upper())


class ListenerKeys:
    """Read, create and rotate the listener's keys for one set of credentials (see the module doc).

    Every call blocks (file I/O, maybe the system keyring): run it in a thread off an event loop.
    """

    def __init__(self, credentials: Credentials | None = None, *, data_dir: Path | None = None) -> None:
        from costtui.secrets import Credentials

        self.credentials = credentials or Credentials()
        self._data_dir = data_dir

    @property
    def folder(self) -> Path:
        return (self._data_dir or self.credentials.data_dir) / KEYS_DIR

    def path(self, name: str) -> Path:
        return self.folder / name

    # ------------------------------------------------------------------ file

    def _read_file(self, name: str) -> str | None:
        path = self.path(name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyUnavailable(f"cannot read the key file {path}: {exc.strerror}") from None
        with os.fdopen(fd, "r", encoding="utf-8") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                # Someone loosened it (a copy, a umask): put it back to owner-only.
                log.warning("the key file %s was readable by others; set it back to 0600", path)
                with contextlib.suppress(OSError):
                    os.fchmod(fh.fileno(), 0o600)
            value = fh.read().strip()
        return value or None

    def _write_file(self, name: str, value: str, *, replace: bool) -> str:
        """Write ``value`` atomically, readable only by this user. Without ``replace``, a key that
        another process wrote first wins (two costtui starting at once agree on one key)."""
        folder = self.folder
        path = self.path(name)
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(OSError):
                os.chmod(folder, 0o700)
            tmp = folder / f".{name}.{pysecrets.token_hex(8)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(value + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                if replace:
                    os.replace(tmp, path)
                else:
                    try:
                        os.link(tmp, path)
                    except FileExistsError:
                        existing = self._read_file(name)
                        if existing:
                            return existing
                        os.replace(tmp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError as exc:
            raise KeyUnavailable(f"cannot write the key file {path}: {exc.strerror or exc}") from None
        return value

    def _file_source(self, name: str) -> str:
        return f"key file {self.path(name)}"

    # ------------------------------------------------------------------ keyring

    def _use_keyring(self) -> bool:
        from costtui.secrets import SecretsError

        try:
            return self.credentials.backend_info().kind == "system"
        except SecretsError:
            return False

    def _from_key_file_store(self, name: str) -> str | None:
        """The key from the provider-key file store, only when it opens without asking."""
        from costtui.secrets import SecretsError

        try:
            info = self.credentials.backend_info()
            if info.locked or info.path is None or not info.path.exists():
                return None
            return self.credentials.get_secret(name)
        except SecretsError:
            return None

    # ------------------------------------------------------------------ API

    def where(self) -> str:
        """Where a new key would be kept (for messages)."""
        if self._use_keyring():
            return self.credentials.backend_name()
        return f"{self.path(INGEST_KEY).parent} (files readable only by you)"

    def get(self, name: str, *, generate: bool = True) -> KeyInfo | None:
        """The key ``name``; generated and kept when missing and ``generate``.

        Raises :class:`KeyUnavailable` with a message saying how to provide one.
        """
        from costtui.secrets import SecretsError, env_secret

        env = env_secret(name)
        if env is not None:
            return KeyInfo(name, env[1].get_secret_value(), f"env:{env[0]}")
        value = self._read_file(name)
        if value:
            return KeyInfo(name, value, self._file_source(name))
        keyring_error: str | None = None
        if self._use_keyring():
            try:
                value = self.credentials.get_secret(name)
            except SecretsError as exc:
                keyring_error = str(exc)
            if value:
                return KeyInfo(name, value, self.credentials.backend_name())
        elif (old := self._from_key_file_store(name)) is not None:
            # Older versions kept it in the encrypted (or opted-in plaintext) key file: keep the
            # same key, so that configured clients go on working, and move it to its own file.
            value = self._write_file(name, old, replace=False)
            return KeyInfo(name, value, self._file_source(name))
        if not generate:
            return None
        fresh = new_key(name)
        if self._use_keyring() and keyring_error is None:
            try:
                self.credentials.set_secret(name, fresh)
                return KeyInfo(name, fresh, self.credentials.backend_name(), generated=True)
            except SecretsError as exc:
                log.warning("the system keyring refused the %s (%s); using a key file", name, exc)
        try:
            value = self._write_file(name, fresh, replace=False)
        except KeyUnavailable as exc:
            raise KeyUnavailable(
                f"cannot create the {name.replace('_', ' ')}: {exc}. "
                f"Set {_env_name(name)}=<a long random string> in the environment."
            ) from None
        return KeyInfo(name, value, self._file_source(name), generated=value == fresh)

    def rotate(self, name: str) -> KeyInfo:
        """Replace the key with a new one where the current one lives (clients must be updated)."""
        from costtui.secrets import SecretsError, env_secret

        env = env_secret(name)
        if env is not None:
            raise KeyUnavailable(f"the {name.replace('_', ' ')} comes from {env[0]}; change that variable instead")
        fresh = new_key(name)
        if not self.path(name).exists() and self._use_keyring():
            try:
                self.credentials.set_secret(name, fresh)
                return KeyInfo(name, fresh, self.credentials.backend_name(), generated=True)
            except SecretsError as exc:
                raise KeyUnavailable(f"cannot store a new {name.replace('_', ' ')}: {exc}") from None
        self._write_file(name, fresh, replace=True)
        return KeyInfo(name, fresh, self._file_source(name), generated=True)


def same_key(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; a missing side never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


@functools.lru_cache(maxsize=4096)
def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; ``0.0.0.0`` and ``::`` are not loopback."""
    h = host.strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False
