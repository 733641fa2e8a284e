"""``costtui`` and ``python -m costtui``.

``costtui claude-statusline`` is dispatched before the CLI is imported: Claude Code waits for it on
every render of its status line, and click, pydantic and the store would take most of its budget.
"""

import sys


def main() -> None:
    if sys.argv[1:2] == ["claude-statusline"]:
        from costtui.commands.statusline_cli import run

        sys.exit(run(sys.argv[2:]))
    from costtui.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
