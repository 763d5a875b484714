"""`scp-recommender classify`: explain every denial row against the SCPs in a folder."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import click

from recommender.atomic import streamed_file
from recommender.commands import AppContext
from recommender.commands.options import denials_option, policies_option
from recommender.pipeline import Classification, size_warnings
from recommender.render.jsonout import write_json
from recommender.render.markdown import RunContext, render_evidence
from recommender.render.table import render_table
from recommender.sources.files import iter_denials


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
    classification = Classification(policies or Path(settings.policies.dir), settings)
    for warning in size_warnings(classification.policy_set, settings.policies.size_limit):
        click.echo(warning, err=True)
    chunks = classification.chunks(iter_denials(denials_path))
    if fmt == "json":
        # Streamed: findings are written as their rows are classified.
        with _report_file(output) as out:
            write_json(chunks, classification.tally.summary, out)
    else:
        findings = [finding for chunk in chunks for finding in chunk]
        if fmt == "markdown":
            from recommender.propose import EditPlan

            context = RunContext(redact=settings.redaction.principals)
            report = render_evidence(findings, EditPlan(), context)
        else:
            report = render_table(findings, classification.tally.summary())
        with _report_file(output) as out:
            out.write(report.encode())
    if exit_code and classification.tally.to_do:
        sys.exit(1)


@contextmanager
def _report_file(output: Path | None) -> Iterator[BinaryIO]:
    """Standard output, or the file, replaced only once the report is whole."""
    if output is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with streamed_file(output) as out:
        yield out
