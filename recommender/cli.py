"""The `scp-recommender` command: a thin layer that parses arguments and maps errors to exits.

Each subcommand lives in `recommender/commands/` and calls the library. Exit codes: 0 success,
1 actionable findings with `--exit-code` or an outside service failed, 2 bad input.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from recommender import __version__
from recommender.commands import LazyGroup
from recommender.errors import RecommenderError

if TYPE_CHECKING:
    from recommender.config import Settings


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
@click.pass_context
def cli(ctx: click.Context, settings_path: Path | None) -> None:
    """Find denied AWS calls in CloudTrail, explain them against your SCPs, propose the edits.

    \b
    Typical local use:
      scp-recommender query --engine local --logs ./logs --output denials.jsonl
      scp-recommender classify --denials denials.jsonl --policies policies/
      scp-recommender propose --denials denials.jsonl --policies policies/
    """
    ctx.obj = AppContext(settings_path)


def main(argv: list[str] | None = None) -> None:
    try:
        # Outside standalone mode click returns the code of `ctx.exit(code)` instead of exiting.
        code = cli.main(args=argv, prog_name="scp-recommender", standalone_mode=False)
    except RecommenderError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
