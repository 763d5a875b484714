"""`scp-recommender athena-setup`: the Athena database and the CloudTrail table."""

import click

from recommender.commands import AppContext
from recommender.sources.athena import AthenaSource, setup_statements


@click.command("athena-setup")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Only print the statements (CREATE DATABASE and the table DDL); run nothing.",
)
@click.pass_obj
def athena_setup(app: AppContext, print_only: bool) -> None:
    """Create the Athena database and the CloudTrail table with partition projection.

    Safe to run again: both statements are IF NOT EXISTS. The table's S3 layout follows the
    settings: with `athena.organization_id` the organization trail
    (AWSLogs/<org-id>/<account>/CloudTrail/...), without it a single-account trail
    (AWSLogs/<account>/CloudTrail/...).

    \b
    Example (scp-recommender.toml has [athena] trail_location = "s3://my-trail-bucket"):
      scp-recommender athena-setup --print
      scp-recommender athena-setup
    """
    settings = app.settings.athena
    statements = setup_statements(settings)
    if print_only:
        click.echo("\n".join(statement.rstrip() + ";\n" for statement in statements), nl=False)
        return
    source = AthenaSource(settings)
    for statement in statements:
        source.run(statement, database="default")
    click.echo(
        f"Athena table {settings.database}.{settings.table} is ready "
        f"(workgroup {settings.workgroup}, catalog {settings.catalog})"
    )
