"""Start-up stays light: the first paint never waits for the store or the price engine.

(Which packages may import which is checked by import-linter: tests/test_static_checks.py.)"""

from __future__ import annotations

import subprocess
import sys


def test_ui_app_does_not_import_the_store_at_startup() -> None:
    """First paint must not wait for the price engine: the store is imported by a worker."""
    code = (
        "import sys\n"
        "import costtui.ui.app\n"
        "assert 'costtui.store.db' not in sys.modules\n"
        "assert 'genai_prices' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
