"""The project's static checks stay clean: ruff (lint and format), mypy, and the import-linter
layer contracts (the core never imports Textual; the UI never reaches into store internals).
One command runs them all: ``python scripts/check.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_lint_format_types_and_layers_are_clean() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check.py")], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
