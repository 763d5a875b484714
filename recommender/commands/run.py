"""`scp-recommender run`: query, classify, propose and publish, in one go."""

import contextlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from recommender.atomic import append_text
from recommender.commands import AppContext
from recommender.commands.options import policies_option, source_options
from recommender.commands.query import (
    SKIPPED_SHOWN,
    build_spec,
    make_source,
    report_skipped,
    require_something_read,
    summary,
)
from recommender.errors import OutputError, RecommenderError
from recommender.pipeline import (
    classify_denials,
    prepare_proposals,
    relative_policies_path,
    write_out_dir,
)
from recommender.render.markdown import RunContext
from recommender.render.table import not_proposed_lines, render_table


@contextmanager
def _failure_reported(summary_path: Path | None) -> Iterator[None]:
    """A failed run says why in the job summary too, not only in the log."""
    try:
        yield
    except RecommenderError as error:
        if summary_path is not None:
            # an unwritable summary must not hide the error that ended the run
            with contextlib.suppress(OutputError):
                append_text(summary_path, f"### scp-recommender failed\n\n{error}\n")
        raise


@click.command("run")
@source_options
@policies_option
@click.option("--dry-run", is_flag=True, help="Do everything but the GitHub calls.")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write edited policies, pr-body.md, changes.diff and the evidence here.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append the Markdown report here (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--quiet", is_flag=True, help="Do not print the findings table.")
@click.option(
    "--notes",
    "notes_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Quote each line of this file at the top of the description (`sync-policies --notes`).",
)
@click.pass_obj
def run(
    app: AppContext,
    engine: str | None,
    logs: str | None,
    start: str | None,
    end: str | None,
    accounts: str | None,
    regions: str | None,
    policies: Path | None,
    dry_run: bool,
    out_dir: Path | None,
    summary_path: Path | None,
    strict: bool,
    quiet: bool,
    notes_path: Path | None,
) -> None:
    """The whole job: find denials, explain them, propose SCP edits, open or update the PR.

    The pull request goes to GITHUB_REPOSITORY (or github.repository) with GITHUB_TOKEN, on the
    branch github.branch; an open PR for that branch is updated rather than duplicated.

    \b
    Examples:
      scp-recommender run --engine local --logs ./logs --dry-run --out-dir out/
      scp-recommender run --engine athena --start 2026-11-01 --end 2026-11-08
    """
    with _failure_reported(summary_path):
        settings = app.settings
        policies_dir = policies or Path(settings.policies.dir)
        spec = build_spec(settings, start, end, accounts, regions)
        if not dry_run:
            # PyGithub takes a quarter of a second to load: a dry run never does.
            from recommender.draft import github_draft
            from recommender.github import github_target_from_env, publish

            target = github_target_from_env(settings.github)
        source = make_source(settings, engine or settings.query.engine, logs, strict)
        denials = source.fetch(spec)
        report_skipped(source.stats)
        click.echo(summary(denials, source.stats), err=True)
        require_something_read(denials, source.stats, spec, settings, logs)
        classified = classify_denials(denials, policies_dir, settings)
        stats = source.stats
        context = RunContext(
            start=spec.start,
            end=spec.end,
            accounts=spec.accounts,
            regions=spec.regions,
            engine=stats.engine,
            bytes_scanned=stats.bytes_scanned,
            cost_usd=stats.cost_usd,
            files_read=stats.files_read,
            files_skipped=stats.files_skipped,
            skipped_files=tuple(stats.skipped[:SKIPPED_SHOWN]),
            denied_calls=sum(denial.count for denial in denials),
            redact=settings.redaction.principals,
            evidence_path=settings.github.evidence_path,
            notes=notes_path.read_text(encoding="utf-8").splitlines() if notes_path else (),
        )
        proposals = prepare_proposals(classified, settings, context)
        if not quiet:
            sys.stdout.write(render_table(classified.findings, classified.summary))
        for change in proposals.plan.blocked:
            click.echo(f"blocked: {change.policy}: {change.problem}", err=True)
        for line in not_proposed_lines(proposals.plan):
            click.echo(line, err=True)
        if out_dir is not None:
            write_out_dir(out_dir, classified, proposals)
            click.echo(
                f"wrote {out_dir}/: policies/, pr-body.md, evidence.md, changes.diff, "
                "findings.json, denials.jsonl",
                err=True,
            )
        if summary_path is not None:
            append_text(summary_path, proposals.body + "\n")
        if dry_run:
            click.echo("dry run: nothing published", err=True)
            return
        token, repository, api_url = target
        draft = github_draft(proposals, relative_policies_path(policies_dir), settings)
        result = publish(draft, token=token, repository=repository, api_url=api_url)
        click.echo(result.message, err=True)
