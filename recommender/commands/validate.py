"""`scp-recommender validate`: check policy files as AWS would, and for likely mistakes."""

from pathlib import Path

import click

from recommender.catalog import load_catalog
from recommender.commands import AppContext
from recommender.errors import PolicyError
from recommender.scp.validate import validate_paths


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--no-catalog",
    is_flag=True,
    help="Do not check action names against the IAM catalog.",
)
@click.pass_obj
def validate(app: AppContext, paths: tuple[Path, ...], no_catalog: bool) -> None:
    """Check SCP files (and folders of them, recursively) and organization.json.

    One line per problem, `file:line:column: error|warning: message`: invalid JSON, missing
    Version or Statement, a wrong Effect, Action with NotAction, a Principal in an SCP,
    unknown condition operators, placeholders left in, action names the IAM catalog does not
    know, a policy over the size limit, too many SCPs on one target. Resource control
    policies (RCPs) are recognised and checked as such. Exit code 2 when there are errors,
    0 with warnings only.

    \b
    Example:
      scp-recommender validate policies/
      scp-recommender validate policies/region-guard.json --no-catalog
    """
    limits = app.settings.policies
    catalog = None if no_catalog else load_catalog()
    report = validate_paths(paths, catalog, limits.size_limit, limits.max_attached)
    for rcp in report.rcps:
        click.echo(f"{rcp}: note: a resource control policy (RCP), not an SCP")
    for problem in report.problems:
        click.echo(str(problem))
    summary = (
        f"{len(report.files)} files checked: {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings"
    )
    if report.errors:
        raise PolicyError(summary)
    click.echo(summary)
