"""Only costtui.ui may import Textual: the core runs headless."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_without_textual() -> None:
    code = (
        "import sys\n"
        "import costtui.cli, costtui.store, costtui.analytics.summary, costtui.formatting, costtui.demo\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ui_app_does_not_import_the_store_at_startup() -> None:
    """First paint must not wait for the price engine: the store is imported by a worker."""
    code = (
        "import sys\n"
        "import costtui.ui.app\n"
        "assert 'costtui.store.db' not in sys.modules\n"
        "assert 'genai_prices' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
