"""Every module of the UI imports on its own, in a fresh interpreter: no import cycle can hide
behind the order in which the app happens to import things."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import costtui.ui

# Runs in a fresh interpreter. Third-party libraries are imported once and shared by every fork
# (they cannot hide a cycle between costtui's own modules); each module of costtui is imported in
# a child process that has imported no costtui module before it.
DRIVER = """
import importlib, os, subprocess, sys, traceback

import pydantic, rich.table, textual.app, textual.screen, textual.widgets

assert not [m for m in sys.modules if m.split(".")[0] == "costtui"], "costtui imported before the forks"
failed = []
for name in sys.argv[1:]:
    if not hasattr(os, "fork"):
        if subprocess.run([sys.executable, "-c", "import " + name]).returncode:
            failed.append(name)
        continue
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            print("--- import " + name, file=sys.stderr)
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1]:
        failed.append(name)
if failed:
    sys.exit("these modules do not import on their own: " + ", ".join(failed))
"""


def ui_modules() -> list[str]:
    root = Path(costtui.ui.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("costtui.ui", *parts)))
    return names


def test_every_ui_module_imports_on_its_own() -> None:
    modules = ui_modules()
    assert {"costtui.ui.app", "costtui.ui.widgets.accounts_panel", "costtui.ui.dialogs.account"} <= set(modules)
    result = subprocess.run([sys.executable, "-c", DRIVER, *modules], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
