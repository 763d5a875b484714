"""`scp-recommender sync-policies`: the organization's SCPs and tree into `policies/`."""

from pathlib import Path

import boto3
import click

from recommender.commands import AppContext
from recommender.orgs import read_organization, render_files, stale_files, write_files


@click.command("sync-policies")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (default: policies.dir in the settings, else policies/).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Delete *.json files in the folder that no SCP of the organization matches.",
)
@click.pass_obj
def sync_policies(app: AppContext, out_dir: Path | None, prune: bool) -> None:
    """Write every SCP of AWS Organizations as <name>.json, plus organization.json.

    organization.json holds the management account, the root, the OUs and accounts with their
    parents, and each policy file's id and targets. The same organization always gives the
    same bytes, so the folder can live in git and diffs show real changes. Everything is read
    before anything is written, and the files are replaced only once all are written.

    \b
    Example (credentials of the management or a delegated administrator account):
      scp-recommender sync-policies --out policies/
      git diff policies/
    """
    folder = out_dir or Path(app.settings.policies.dir)
    # Organizations answers in us-east-1 for the commercial partition.
    region = boto3.Session().region_name or "us-east-1"
    organization = read_organization(boto3.client("organizations", region_name=region))
    files = render_files(organization)
    write_files(folder, files)
    click.echo(f"wrote {len(files) - 1} SCPs and organization.json to {folder}")
    for path in stale_files(folder, files):
        if prune:
            path.unlink()
            click.echo(f"removed {path}: no such SCP in the organization")
        else:
            click.echo(f"warning: {path} matches no SCP of the organization (--prune deletes it)")
