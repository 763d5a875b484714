"""`scp-recommender classify`: explain every denial row against the SCPs in a folder."""

import sys
from pathlib import Path

import click

from recommender.atomic import write_text
from recommender.commands import AppContext
from recommender.commands.options import denials_option, policies_option
from recommender.pipeline import classify_denials
from recommender.render.jsonout import render_json
from recommender.render.markdown import RunContext, render_evidence
from recommender.render.table import render_table
from recommender.sources.files import read_denials


@click.command("classify")
@denials_option
@policies_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report here instead of standard output.",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when any finding is actionable (for CI gates)."
)
@click.pass_obj
def classify(
    app: AppContext,
    denials_path: Path,
    policies: Path | None,
    fmt: str,
    output: Path | None,
    exit_code: bool,
) -> None:
    """Say why each denied call was denied, and what SCP change would allow it.

    \b
    Examples:
      scp-recommender classify --denials denials.jsonl --policies policies/
      scp-recommender classify --denials athena-download.csv --format json --output f.json
      scp-recommender classify --denials denials.jsonl --exit-code   # 1 if anything to do
    """
    settings = app.settings
    denials = read_denials(denials_path)
    classified = classify_denials(denials, policies or Path(settings.policies.dir), settings)
    if fmt == "json":
        report = render_json(classified.findings, classified.summary)
    elif fmt == "markdown":
        from recommender.propose import EditPlan

        context = RunContext(redact=settings.redaction.principals)
        report = render_evidence(classified.findings, EditPlan(), context)
    else:
        report = render_table(classified.findings, classified.summary)
    if output is not None:
        write_text(output, report)
    else:
        sys.stdout.write(report)
    if exit_code and any(f.category.actionable and not f.declined for f in classified.findings):
        sys.exit(1)
