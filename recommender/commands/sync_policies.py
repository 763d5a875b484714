"""`scp-recommender sync-policies`: the organization's SCPs and tree into `policies/`, or, with
`--check`, what differs between the two."""

from pathlib import Path
from typing import Any

import boto3
import click

from recommender.commands import AppContext
from recommender.drift import compare, folder_state, live_state
from recommender.orgs import read_organization, render_files, stale_files, write_files

ON_DRIFT = ("fail", "warn", "pull-request")


def organizations_client() -> Any:
    # Organizations answers in us-east-1 for the commercial partition.
    region = boto3.Session().region_name or "us-east-1"
    return boto3.client("organizations", region_name=region)


@click.command("sync-policies")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write, or to compare with --check (default: policies.dir, else policies/).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Delete *.json files in the folder that no SCP of the organization matches.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing: print what differs between AWS and the folder; exit 1 if anything does.",
)
@click.option(
    "--on-drift",
    type=click.Choice(ON_DRIFT),
    default="fail",
    show_default=True,
    help="With --check: exit 1 (fail), exit 0 (warn), or as drift.fail_pull_requests says.",
)
@click.option(
    "--notes",
    "notes_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --check: write one line per difference here, for `run --notes`.",
)
@click.pass_obj
def sync_policies(
    app: AppContext,
    out_dir: Path | None,
    prune: bool,
    check: bool,
    on_drift: str,
    notes_path: Path | None,
) -> None:
    """Write every SCP of AWS Organizations as <name>.json, plus organization.json.

    organization.json holds the management account, the root, the OUs and accounts with their
    parents, and each policy file's id and targets. Resource control policies (RCPs) are
    written too where the organization has them enabled, with "type" in their entry. The same
    organization always gives the same bytes, so the folder can live in git and diffs show real
    changes. Everything is read before anything is written, and the files are replaced only
    once all are written.

    With --check nothing is written: each policy whose text differs is shown as a unified diff
    (whitespace and key order do not count), then attachments added or removed, and accounts
    and OUs moved, added, removed or renamed. Exit 1 when anything differs, 0 when AWS and the
    folder agree.

    \b
    Examples (credentials of the management or a delegated administrator account):
      scp-recommender sync-policies --out policies/
      git diff policies/
      scp-recommender sync-policies --check --out policies/
    """
    folder = out_dir or Path(app.settings.policies.dir)
    if not check and (on_drift != "fail" or notes_path is not None):
        raise click.UsageError("--on-drift and --notes go with --check")
    if check and prune:
        raise click.UsageError("--prune writes: it does not go with --check")
    if check:
        # The folder is read first: a bad file is bad input whatever AWS holds.
        local = folder_state(folder)
        drift = compare(local, live_state(read_organization(organizations_client())))
        if notes_path is not None:
            notes_path.write_text("".join(f"{note}\n" for note in drift.notes()), "utf-8")
        if not drift.differences:
            click.echo(f"AWS Organizations and {local.where} agree")
            return
        click.echo(drift.render(), nl=False)
        count = len(drift.differences)
        click.echo(f"{count} difference{'s' if count > 1 else ''} between AWS and {local.where}")
        fail = on_drift == "fail" or (
            on_drift == "pull-request" and app.settings.drift.fail_pull_requests
        )
        if fail:
            raise click.exceptions.Exit(1)
        return
    organization = read_organization(organizations_client())
    files = render_files(organization)
    write_files(folder, files)
    click.echo(f"wrote {len(files) - 1} SCPs and organization.json to {folder}")
    for path in stale_files(folder, files):
        if prune:
            path.unlink()
            click.echo(f"removed {path}: no such SCP in the organization")
        else:
            click.echo(f"warning: {path} matches no SCP of the organization (--prune deletes it)")
