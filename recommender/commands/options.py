"""Options that several subcommands share, defined once so their help stays the same."""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

denials_option = click.option(
    "--denials",
    "denials_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Denial rows: JSON Lines, a JSON array or CSV (an Athena console download works), "
    "e.g. the output of `query`.",
)

policies_option = click.option(
    "--policies",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of SCP JSON files and organization.json (default: policies.dir, 'policies').",
)

F = TypeVar("F", bound=Callable[..., object])

_SOURCE_OPTIONS = (
    click.option(
        "--engine",
        type=click.Choice(["athena", "local"]),
        default=None,
        help="Where to run sql/denials.sql: Athena, or the embedded engine over --logs. "
        "Default: query.engine in the settings (local).",
    ),
    click.option(
        "--logs",
        default=None,
        help="CloudTrail files for --engine local: a folder (either S3 layout, or loose files), "
        "one file, or s3://bucket/prefix.",
    ),
    click.option("--start", default=None, help="First day (UTC, YYYY-MM-DD), included."),
    click.option("--end", default=None, help="Day after the last (UTC, YYYY-MM-DD), excluded."),
    click.option("--accounts", default=None, help="12-digit account IDs, comma-separated."),
    click.option("--regions", default=None, help="Region names, comma-separated."),
    click.option(
        "--strict", is_flag=True, help="Fail on an unreadable log file instead of skipping it."
    ),
)


def source_options(command: F) -> F:
    """--engine, --logs, --start, --end, --accounts, --regions, --strict."""
    for option in reversed(_SOURCE_OPTIONS):
        command = option(command)
    return command
