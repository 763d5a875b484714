"""Options that several subcommands share, defined once so their help stays the same."""

from pathlib import Path

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
