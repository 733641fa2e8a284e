"""``costtui claude-statusline``: Claude Code's status-line command.

Claude Code waits for this command on every render, so its path imports almost nothing:
``costtui`` dispatches here before click, pydantic or the store are loaded (see ``__main__``),
and the store is given its copy of the plan windows by a detached process
(``python -m costtui.commands.statusline_cli --record``) that the status line never waits for.
Whatever goes wrong, it prints one short line and exits 0: a failing status-line command would
blank Claude Code's status line.
"""

from __future__ import annotations

import os
import sys
from typing import Any, BinaryIO, TextIO

USAGE = """Usage: costtui claude-statusline [--then COMMAND] [--no-record] [--db PATH]

Set as Claude Code's status line (~/.claude/settings.json):
  {"statusLine": {"type": "command", "command": "costtui claude-statusline"}}

Reads the JSON Claude Code writes on stdin, keeps the plan's 5-hour and 7-day windows for the
Quotas screen, and prints one line: model, session cost, 5h and 7d used % and time to reset.
  --then COMMAND  also run your previous status-line command (same stdin) and append its line
                  (or set plans.statusline_previous_command in the config file)
  --no-record     print only; keep nothing
  --db PATH       the database the windows are copied to (default: costtui's own)
"""


def _xdg_dir(kind: str) -> str:
    """costtui's cache or config folder. On Linux this is the XDG rule platformdirs applies, written
    out because importing platformdirs costs the status line ~15 ms; elsewhere it asks ``paths``."""
    if sys.platform.startswith("linux"):
        env, default = {"cache": ("XDG_CACHE_HOME", "~/.cache"), "config": ("XDG_CONFIG_HOME", "~/.config")}[kind]
        base = os.environ.get(env, "").strip() or os.path.expanduser(default)
        return os.path.join(base, "costtui")
    from costtui import paths

    return str(paths.cache_dir() if kind == "cache" else paths.config_dir())


def _spool() -> str:
    return os.path.join(_xdg_dir("cache"), "claude-statusline.json")


def _config_file(explicit: str | None) -> str:
    if explicit:
        return os.path.expanduser(explicit)
    env = os.environ.get("COSTTUI_CONFIG")
    return os.path.expanduser(env) if env else os.path.join(_xdg_dir("config"), "config.toml")


def _spawn_recorder(spool: str, db: str | None) -> None:
    import subprocess

    argv = [sys.executable, "-m", "costtui.commands.statusline_cli", "--record", spool]
    if db:
        argv += ["--db", db]
    try:
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        pass  # the next sync copies the spool anyway


def statusline(
    stdin: bytes,
    *,
    then: str | None = None,
    record: bool = True,
    db: str | None = None,
    config_file: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the status line for one render of Claude Code; always returns 0."""
    out = out or sys.stdout
    try:
        from costtui.services import claude_statusline as cs

        now = cs.now()
        reading = cs.parse(stdin)
        line = cs.render(reading, now)
        if record and reading.windows:
            spool = _spool()
            if cs.write_spool(spool, reading, now):
                _spawn_recorder(spool, db)
        if then is None:
            then = cs.configured_previous(_config_file(config_file))
        if then:
            extra = cs.previous_output(then, stdin)
            if extra:
                line = f"{line} │ {extra}"
    except Exception:  # noqa: BLE001 - never blank Claude Code's status line
        line = "costtui: status unavailable"
    try:
        out.write(line + "\n")
        out.flush()
    except (OSError, ValueError):
        pass
    return 0


def run(argv: list[str], stdin: BinaryIO | None = None) -> int:
    """The fast entry point (``costtui claude-statusline ...`` before click is imported)."""
    then: str | None = None
    db: str | None = None
    config_file: str | None = None
    record = True
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if arg == "--no-record":
            record = False
        elif arg in ("--then", "--db", "--config") and args:
            value = args.pop(0)
            if arg == "--then":
                then = value
            elif arg == "--db":
                db = value
            else:
                config_file = value
        elif arg.startswith(("--then=", "--db=", "--config=")):
            name, value = arg.split("=", 1)
            if name == "--then":
                then = value
            elif name == "--db":
                db = value
            else:
                config_file = value
        # Unknown arguments are ignored: a typo must not blank the status line.
    try:
        raw = (stdin or sys.stdin.buffer).read()
    except (OSError, ValueError, AttributeError):
        raw = b""
    return statusline(raw, then=then, record=record, db=db, config_file=config_file)


def record_main(argv: list[str]) -> int:
    """The detached recorder: copy the spool into the store. Quiet; a failure waits for the next sync."""
    spool = argv[0] if argv else _spool()
    db = argv[argv.index("--db") + 1] if "--db" in argv[:-1] else None
    try:
        from costtui import paths
        from costtui.config import load_settings
        from costtui.services.claude_statusline import record_spool
        from costtui.store import Store

        path = paths.db_path(db, load_settings().db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        store = Store(path)
        try:
            record_spool(store, spool)
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - detached: nobody to tell; the next sync copies it again
        return 1
    return 0


def command() -> Any:
    """The click command, for ``costtui --help`` and invocations after global options."""
    import click

    @click.command("claude-statusline", context_settings={"ignore_unknown_options": True})
    @click.option("--then", "then", help="Your previous status-line command; its line is appended.")
    @click.option("--no-record", is_flag=True, help="Print only; keep nothing.")
    @click.pass_context
    def claude_statusline(ctx: click.Context, then: str | None, no_record: bool) -> None:
        """Claude Code's status line: plan windows (5h, 7d), model and session cost.

        Set it in ~/.claude/settings.json as
        {"statusLine": {"type": "command", "command": "costtui claude-statusline"}}.
        """
        app_ctx = ctx.obj
        db = str(app_ctx.db) if app_ctx is not None and getattr(app_ctx, "db", None) else None
        config_file = str(app_ctx.config_file) if app_ctx is not None else None
        raw = sys.stdin.buffer.read()
        statusline(raw, then=then, record=not no_record, db=db, config_file=config_file)

    return claude_statusline


if __name__ == "__main__":
    if sys.argv[1:2] == ["--record"]:
        sys.exit(record_main(sys.argv[2:]))
    sys.exit(run(sys.argv[1:]))
