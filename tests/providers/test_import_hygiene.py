"""The provider core imports without Textual (costtui serve and scripts run on bare servers)."""

from __future__ import annotations

import subprocess
import sys


def test_provider_core_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import costtui.secrets, costtui.services.sync, costtui.store.billing\n"
        "import costtui.providers.openai, costtui.providers.anthropic, costtui.providers.openrouter\n"
        "import costtui.providers.deepseek, costtui.providers.moonshot, costtui.providers.xai\n"
        "import costtui.providers.ratelimit_probe, costtui.commands.providers_cli\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
