"""Run every static check the project keeps clean: lint, format, types, import layers.

    python scripts/check.py          # all of them; exit status 1 if any fails
    python scripts/check.py ruff     # only the named ones (ruff, format, mypy, imports)

CI runs it through tests/test_static_checks.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "scripts"]
BIN = Path(sys.executable).parent

CHECKS: dict[str, list[str]] = {
    "ruff": [sys.executable, "-m", "ruff", "check", *PATHS],
    "format": [sys.executable, "-m", "ruff", "format", "--check", *PATHS],
    "mypy": [sys.executable, "-m", "mypy"],
    # lint-imports has no `python -m` entry point; it sits beside the interpreter.
    "imports": [str(BIN / "lint-imports"), "--no-cache"],
}


def run(names: list[str]) -> int:
    failed = []
    for name in names:
        started = time.perf_counter()
        proc = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - started
        mark = "ok" if proc.returncode == 0 else "FAILED"
        print(f"{name:<8} {mark} ({took:.1f} s)")
        if proc.returncode != 0:
            failed.append(name)
            print((proc.stdout + proc.stderr).strip()[-6000:])
    return 1 if failed else 0


def main() -> None:
    names = sys.argv[1:] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        sys.exit(f"unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    sys.exit(run(names))


if __name__ == "__main__":
    main()
