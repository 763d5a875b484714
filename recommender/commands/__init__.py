"""The `scp-recommender` command group; its subcommands, one module each, imported only when
used.

Importing every command would load pyathena, PyGithub, DuckDB and the IAM catalog on each start;
a `query` that should run at the speed of gzip cannot afford that. How the command ends (exit
codes, the one-line errors, signals) is decided in `recommender/cli.py`.
"""

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from recommender import __version__

if TYPE_CHECKING:
    from recommender.config import Settings

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
    "apply",
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


class AppContext:
    """What every subcommand shares: the settings file, loaded on first use."""

    def __init__(self, settings_path: Path | None) -> None:
        self.settings_path = settings_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> "Settings":
        if self._settings is None:
            # pydantic and the settings' models take a tenth of a second to load: only the
            # commands that read a setting pay for them.
            from recommender.config import load_settings

            self._settings = load_settings(self.settings_path)
        return self._settings


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="scp-recommender")
@click.option(
    "--config",
    "settings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (default: ./scp-recommender.toml when present).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="On a failure, print the traceback before the one-line error "
    "(also SCP_RECOMMENDER_DEBUG=1).",
)
@click.pass_context
def cli(ctx: click.Context, settings_path: Path | None, debug: bool) -> None:
    """Find denied AWS calls in CloudTrail, explain them against your SCPs, propose the edits.

    \b
    Typical local use:
      scp-recommender query --engine local --logs ./logs --output denials.jsonl
      scp-recommender classify --denials denials.jsonl --policies policies/
      scp-recommender propose --denials denials.jsonl --policies policies/

    \b
    Exit codes: 0 done; 1 an outside service (AWS, GitHub) failed, or `classify --exit-code`
    found something to do; 2 bad input (a file, row, setting, path or flag), named in one
    line; 130 interrupted (Ctrl-C, SIGTERM).
    """
    ctx.obj = AppContext(settings_path)
