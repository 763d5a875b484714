"""`scp-recommender query`: run sql/denials.sql on Athena or locally and write the denial rows."""

from pathlib import Path

import click

from recommender import validation
from recommender.commands import AppContext
from recommender.commands.options import source_options
from recommender.config import Settings
from recommender.errors import InputError, NothingReadError
from recommender.models import Denial
from recommender.sources.base import DenialSource, QuerySpec, ScanStats
from recommender.sources.files import FORMATS, Format, write_denials

SKIPPED_SHOWN = 5


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    size = count / 1000
    for unit in ("KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def summary(denials: list[Denial], stats: ScanStats) -> str:
    """One line for stderr: what was found and what it took."""
    found = f"{len(denials)} groups, {sum(denial.count for denial in denials)} denied calls"
    if stats.engine == "athena":
        cost = f"{_size(stats.bytes_scanned)} scanned, ${stats.cost_usd:.4f}"
        return f"query (athena {stats.query_id}): {found}; {cost}"
    files = f"{stats.files_read} files read, {stats.files_skipped} skipped"
    return f"query (local): {found}; {files}, {_size(stats.bytes_read)}"


def report_skipped(stats: ScanStats) -> None:
    """The first unreadable files, each with why, on stderr."""
    for line in stats.skipped[:SKIPPED_SHOWN]:
        click.echo(f"skipped: {line}", err=True)
    if len(stats.skipped) > SKIPPED_SHOWN:
        click.echo(f"skipped: ... and {len(stats.skipped) - SKIPPED_SHOWN} more", err=True)


def build_spec(
    settings: Settings,
    start: str | None,
    end: str | None,
    accounts: str | None,
    regions: str | None,
) -> QuerySpec:
    first, last = validation.window(start, end)
    # the settings' lists were checked when the file was read, and are named there if wrong
    account_ids = (
        validation.account_ids(validation.split_list(accounts), "--accounts")
        if accounts
        else sorted(set(settings.query.accounts))
    )
    region_names = (
        validation.regions(validation.split_list(regions), "--regions")
        if regions
        else sorted(set(settings.query.regions))
    )
    return QuerySpec(
        start=first,
        end=last,
        accounts=tuple(account_ids),
        regions=tuple(region_names),
        exclude_user_agents=tuple(settings.query.exclude_user_agents),
        principals_per_group=settings.query.principals_per_group,
        event_ids_per_group=settings.query.event_ids_per_group,
    )


def require_something_read(
    denials: list[Denial], stats: ScanStats, spec: QuerySpec, settings: Settings, logs: str | None
) -> None:
    """A scan that read no CloudTrail at all stops the command (exit 2), unless the settings
    accept an empty window: a wrong bucket, prefix or window must not look like a clean week."""
    reason = None if denials else stats.nothing_read()
    if reason is None:
        return
    where = f" under {logs}" if logs else ""
    message = f"nothing read: {reason} in {spec.start} to {spec.end} (end excluded){where}"
    if not settings.query.allow_empty:
        raise NothingReadError(
            f"{message}; check the location and the window, or set [query] allow_empty = true"
        )
    click.echo(f"note: {message}; accepted by [query] allow_empty", err=True)


def make_source(settings: Settings, engine: str, logs: str | None, strict: bool) -> DenialSource:
    if engine == "local":
        if not logs:
            raise InputError("--logs: required with --engine local (a folder, file or s3:// URL)")
        from recommender.sources.local import LocalSource

        return LocalSource(logs, strict=strict, workers=settings.query.workers)
    if logs:
        raise InputError("--logs: only for --engine local (Athena reads its table)")
    from recommender.sources.athena import AthenaSource

    return AthenaSource(settings.athena)


def output_format(fmt: str | None, output: Path | None) -> Format:
    if fmt:
        return fmt  # type: ignore[return-value]  # click.Choice checked it
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return "csv" if suffix == "csv" else "json" if suffix == "json" else "jsonl"


@click.command("query")
@source_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Row format; default from the --output extension, else jsonl.",
)
@click.pass_obj
def query(
    app: AppContext,
    engine: str | None,
    logs: str | None,
    start: str | None,
    end: str | None,
    accounts: str | None,
    regions: str | None,
    output: Path | None,
    fmt: str | None,
    strict: bool,
) -> None:
    """Find the denied calls of a date window and write them as denial rows for `classify`.

    The window is [--start, --end) in UTC; the default is the seven full days before today.

    \b
    Examples:
      scp-recommender query --engine local --logs ./logs \\
          --start 2026-11-16 --end 2026-11-23 --output denials.jsonl
      scp-recommender query --engine local --logs s3://my-trail-bucket/ --accounts 111111111111
      scp-recommender query --engine athena --format csv --output denials.csv
    """
    settings = app.settings
    spec = build_spec(settings, start, end, accounts, regions)
    source = make_source(settings, engine or settings.query.engine, logs, strict)
    denials = source.fetch(spec)
    report_skipped(source.stats)
    click.echo(summary(denials, source.stats), err=True)
    require_something_read(denials, source.stats, spec, settings, logs)
    write_denials(denials, output, output_format(fmt, output))
