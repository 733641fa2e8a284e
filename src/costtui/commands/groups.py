"""Click groups that behave as scripts and people expect.

* A mistyped command is "No such command 'stauts'. Did you mean 'status'?", at every level.
* The root group takes its global options (``--db``, ``--config``) after the subcommand too
  (``costtui status --json --db X``): click only reads a group's options before the subcommand
  name, so they are moved in front before parsing.
* The root group has a default command (bare ``costtui`` and ``costtui --demo`` open the TUI),
  and its ``--help`` lists the default command's options.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import click

GLOBAL_OPTIONS_WITH_VALUE = ("--db", "--config")
HELP_OR_VERSION = ("--help", "-h", "--version")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


class SuggestingGroup(click.Group):
    """A group whose unknown-command error names the nearest command."""

    group_class: type[click.Group] | type[type] | None = type  # subgroups made with @group.group() suggest too

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name is not None and not name.startswith("-") and self.get_command(ctx, name) is None:
            ctx.fail(
                f"No such command '{name}'.{did_you_mean(name, self.list_commands(ctx))}"
                f" See '{ctx.command_path} --help'."
            )
        return super().resolve_command(ctx, args)


def _is_global(arg: str) -> bool:
    return arg in GLOBAL_OPTIONS_WITH_VALUE or ("=" in arg and arg.split("=", 1)[0] in GLOBAL_OPTIONS_WITH_VALUE)


def arrange_args(args: Sequence[str], commands: Iterable[str], default: str) -> list[str]:
    """Global options first, then the command (``default`` when the first word is an option of
    it, as in ``costtui --demo``), then the command's own arguments. An unknown word stays where
    it is, so that the group reports it as an unknown command."""
    args = list(args)
    i = 0
    while i < len(args):
        if args[i] in GLOBAL_OPTIONS_WITH_VALUE:
            i += 2
        elif _is_global(args[i]) or args[i] in HELP_OR_VERSION:
            i += 1
        else:
            break
    head, tail = args[:i], args[i:]
    if not tail:
        # Only global options (`costtui --db FILE`): open the default command, unless help or version was asked.
        return [*head, default] if head and not set(HELP_OR_VERSION) & set(head) else head
    if tail[0] == "--":
        return args
    if tail[0].startswith("-") and tail[0] not in commands:
        tail = [default, *tail]
    command, moved, kept = tail[0], [], []
    j = 1
    while j < len(tail):
        arg = tail[j]
        if arg == "--":
            kept.extend(tail[j:])
            break
        if arg in GLOBAL_OPTIONS_WITH_VALUE and j + 1 < len(tail):
            moved.extend(tail[j : j + 2])
            j += 2
        elif _is_global(arg):
            moved.append(arg)
            j += 1
        else:
            kept.append(arg)
            j += 1
    return [*head, *moved, command, *kept]


class RootGroup(SuggestingGroup):
    """The ``costtui`` group: global options anywhere, a default command, its options in ``--help``."""

    group_class = SuggestingGroup

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = arrange_args(args, self.commands, self.default_command) or [self.default_command]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        default = self.commands.get(self.default_command)
        if default is None:
            return
        records = [r for p in default.get_params(ctx) if "--help" not in p.opts and (r := p.get_help_record(ctx))]
        if records:
            with formatter.section(f"Options of the terminal UI (bare costtui, or costtui {self.default_command})"):
                formatter.write_dl(records)
