"""The README's two set-up commands come first, and CI runs exactly the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_install_run_and_test_commands() -> None:
    install, test = setup_commands()
    assert install.startswith("pip install .") and "costtui" in install.split("&&")[1]
    assert ".[test]" in test and "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    _, test = setup_commands()
    assert test in (ROOT / ".ci" / "run").read_text()
