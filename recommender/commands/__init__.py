"""Subcommands of `scp-recommender`, one module each, imported only when used.

Importing every command would load pyathena, PyGithub, DuckDB and the IAM catalog on each start;
a `query` that should run at the speed of gzip cannot afford that.
"""

import importlib

import click

# name -> module of the same name holding a click command named like it (dashes -> underscores)
COMMANDS = (
    "run",
    "query",
    "classify",
    "propose",
    "explain",
    "validate",
    "sync-policies",
    "athena-setup",
    "iam-policy",
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        attribute = cmd_name.replace("-", "_")
        module = importlib.import_module(f"recommender.commands.{attribute}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command
