"""`scp-recommender apply`: update AWS Organizations from `policies/`, after a merge (opt-in)."""

from pathlib import Path

import click

from recommender.apply import apply_plan, check_no_drift, plan_changes
from recommender.catalog import load_catalog
from recommender.commands import AppContext
from recommender.commands.sync_policies import organizations_client
from recommender.drift import folder_state, live_state
from recommender.errors import ConfigError, PolicyError
from recommender.gitrev import folder_at
from recommender.orgs import read_organization
from recommender.scp.validate import validate_paths


@click.command("apply")
@click.option(
    "--policies",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The policies folder (default: policies.dir in the settings, else policies/).",
)
@click.option(
    "--previous",
    default="HEAD~1",
    show_default=True,
    help="Git revision whose policies/ AWS should still hold (the workflow: the push's base).",
)
@click.option("--plan", "plan_only", is_flag=True, help="Print what would change; change nothing.")
@click.pass_obj
def apply(app: AppContext, folder: Path | None, previous: str, plan_only: bool) -> None:
    """Update the SCPs (and RCPs) in AWS Organizations to match policies/, one change at a time.

    Like `terraform plan`, --plan prints each policy to create or update (with the diff against
    the live text) and each target to attach or detach. Policies only AWS has are left alone,
    and so are accounts and OUs: apply never deletes a policy nor moves an account.

    Both refuse (exit 1) when AWS differs from policies/ as the --previous commit held it:
    someone changed a policy by hand since, and applying would revert that without review.
    apply then checks every policy (as `validate` does), and makes the changes in order,
    stopping at the first one AWS refuses, with what was applied and what was not. It runs only
    when the settings say `[apply] enabled = true`.

    \b
    Examples (credentials of the management account, or a delegated administrator):
      scp-recommender apply --plan
      scp-recommender apply --previous origin/main@{1}
    """
    settings = app.settings
    if not plan_only and not settings.apply.enabled:
        raise ConfigError(
            "apply is off: set `[apply] enabled = true` in scp-recommender.toml "
            "(apply --plan works without it)"
        )
    folder = folder or Path(settings.policies.dir)
    local = folder_state(folder, where="policies/")
    with folder_at(folder, previous) as copy:
        if copy is None:
            raise PolicyError(f"{folder}: not in the repository at {previous}: nothing to compare")
        before = folder_state(copy, where=f"policies/ at {previous}")
    if not plan_only:
        limits = settings.policies
        report = validate_paths([folder], load_catalog(), limits.size_limit, limits.max_attached)
        for problem in report.errors:
            click.echo(str(problem), err=True)
        if report.errors:
            raise PolicyError(f"{len(report.errors)} errors in {folder}: nothing applied")
    organizations = organizations_client()
    live = live_state(read_organization(organizations))
    check_no_drift(before, live)
    plan = plan_changes(local, live)
    click.echo(f"scp-recommender apply: {folder} against AWS Organizations\n")
    click.echo(plan.render(), nl=False)
    if plan_only or not plan.changes:
        return
    applied = apply_plan(organizations, plan, click.echo)
    click.echo(f"Applied {len(applied)} changes.")
