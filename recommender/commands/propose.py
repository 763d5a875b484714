"""`scp-recommender propose`: the SCP edits that the denial rows call for."""

import sys
from pathlib import Path

import click

from recommender.atomic import write_files
from recommender.commands import AppContext
from recommender.commands.options import denials_option, policies_option
from recommender.pipeline import classify_denials, prepare_proposals, write_out_dir
from recommender.render.markdown import RunContext
from recommender.render.table import not_proposed_lines
from recommender.sources.files import iter_denials


@click.command("propose")
@denials_option
@policies_option
@click.option("--write", is_flag=True, help="Edit the policy files in place (all or none).")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write edited copies, pr-body.md and changes.diff here instead.",
)
@click.pass_obj
def propose(
    app: AppContext,
    denials_path: Path,
    policies: Path | None,
    write: bool,
    out_dir: Path | None,
) -> None:
    """Print the unified diff of the SCP edits the denials call for.

    Edits only ever add what a denial showed was needed; deliberate denies are never weakened,
    and an edit that would break the size limit is reported as blocked, not written.

    \b
    Examples:
      scp-recommender propose --denials denials.jsonl --policies policies/
      scp-recommender propose --denials denials.jsonl --write
      scp-recommender propose --denials denials.jsonl --out-dir out/
    """
    if write and out_dir is not None:
        raise click.UsageError("--write and --out-dir exclude each other")
    settings = app.settings
    classified = classify_denials(
        iter_denials(denials_path), policies or Path(settings.policies.dir), settings
    )
    context = RunContext(
        redact=settings.redaction.principals, evidence_path=settings.github.evidence_path
    )
    proposals = prepare_proposals(classified, settings, context)
    plan = proposals.plan
    for change in plan.blocked:
        click.echo(f"blocked: {change.policy}: {change.problem}", err=True)
    for line in not_proposed_lines(plan):
        click.echo(line, err=True)
    if out_dir is not None:
        write_out_dir(out_dir, classified, proposals)
        click.echo(f"wrote {out_dir}/policies, pr-body.md, changes.diff", err=True)
    elif write:
        write_files({change.path: change.after for change in plan.written})
        for change in plan.written:
            click.echo(f"edited {change.path}", err=True)
    else:
        sys.stdout.write(plan.diff())
    if not plan.written:
        click.echo("nothing to propose", err=True)
