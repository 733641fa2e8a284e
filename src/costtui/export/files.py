"""Writing files so that a failure never leaves half a file where a good one was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    payload = data.encode() if isinstance(data, str) else data
    with atomic_open(path, binary=True) as out:
        out.write(payload)


class atomic_open:  # noqa: N801 - used like open()
    """``with atomic_open(path) as f:`` — written to a temporary file beside ``path``, renamed over
    it when the block ends without an error, removed otherwise (large streamed exports use this)."""

    def __init__(self, path: Path, *, binary: bool = False, newline: str | None = "") -> None:
        self.path = path
        self.binary = binary
        self.newline = newline
        self._file: IO[Any] | None = None
        self._tmp: str | None = None

    def __enter__(self) -> IO[Any]:
        folder = self.path.parent if str(self.path.parent) else Path(".")
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        if self.binary:
            self._file = os.fdopen(fd, "wb")
        else:
            self._file = os.fdopen(fd, "w", encoding="utf-8", newline=self.newline)
        return self._file

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._file is not None and self._tmp is not None
        try:
            self._file.close()
        finally:
            if exc_type is None:
                os.replace(self._tmp, self.path)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)
