"""The core runs without Textual: `costtui serve`, the CLI reports and scripts depend on it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import costtui


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(costtui.__path__, "costtui."):
        if info.name.startswith("costtui.ui") or info.name == "costtui.__main__":
            continue
        names.append(info.name)
    return names


def test_core_imports_without_textual() -> None:
    modules = core_modules()
    assert "costtui.store.db" in modules and "costtui.cli" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
