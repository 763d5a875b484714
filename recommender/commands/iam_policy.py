"""`scp-recommender iam-policy`: the permissions of the workflow's role (or of the management
account's read and apply roles), or their OIDC trust policy."""

import json

import click

from recommender.commands import AppContext
from recommender.errors import InputError
from recommender.iam_policy import (
    TrustScope,
    apply_policy,
    delegation_policy,
    organizations_read_policy,
    permissions_policy,
    repository_name,
    role_arn,
    trust_policy,
)


@click.command("iam-policy")
@click.option(
    "--account",
    required=True,
    help="The 12-digit account that holds the role, the Athena workgroup and the Glue table.",
)
@click.option(
    "--region",
    default=None,
    help="Region of the Athena workgroup (default: athena.region in the settings).",
)
@click.option(
    "--trust",
    is_flag=True,
    help="Print the OIDC trust policy for the repository instead of the permissions.",
)
@click.option(
    "--read-organizations",
    is_flag=True,
    help="Print the permissions of the read-only Organizations role (sync-policies --check).",
)
@click.option(
    "--apply",
    "apply_role",
    is_flag=True,
    help="Print the permissions of the apply workflow's role (SCP create, update, attach).",
)
@click.option(
    "--delegation",
    is_flag=True,
    help="Print the organization's resource policy that lets the workflow's role read "
    "Organizations from another account than the management account.",
)
@click.option(
    "--role-name",
    default="scp-recommender",
    show_default=True,
    help="With --delegation: the workflow role's name (in --account).",
)
@click.option(
    "--repository",
    default=None,
    help="With --trust: owner/name (default: github.repository or $GITHUB_REPOSITORY).",
)
@click.option(
    "--branch",
    default="main",
    show_default=True,
    help="With --trust: the branch whose workflow runs may assume the role.",
)
@click.option(
    "--environment",
    default=None,
    help="With --trust: a GitHub environment instead of a branch (the job must name it).",
)
@click.option("--owner-id", default=None, help="With --trust: the owner's numeric id (see below).")
@click.option(
    "--repository-id", default=None, help="With --trust: the repository's numeric id (see below)."
)
@click.pass_obj
def iam_policy(
    app: AppContext,
    account: str,
    region: str | None,
    trust: bool,
    read_organizations: bool,
    apply_role: bool,
    delegation: bool,
    role_name: str,
    repository: str | None,
    branch: str,
    environment: str | None,
    owner_id: str | None,
    repository_id: str | None,
) -> None:
    """Print the least-privilege IAM policy of the workflow's role, as JSON.

    The permissions follow scp-recommender.toml: the Athena workgroup, the Glue database and
    table, read on athena.trail_location (and athena.kms_key_arn when set), read and write on
    athena.output_location, Organizations read when accounts are listed from it, and
    account:ListRegions when query.regions is empty. Nothing else.

    The roles of the management account (or a delegated administrator): --read-organizations
    reads the SCPs, their attachments and the tree; --apply also creates, updates, attaches and
    detaches SCPs, and no other policy type. Their trust is --trust, with --environment for the
    apply role. --delegation prints the organization's resource policy (set in the management
    account) that lets the workflow's role in --account read Organizations.

    Repositories created since 15 July 2026 carry immutable ids in the OIDC subject: pass
    --owner-id and --repository-id (`gh api repos/OWNER/NAME --jq '.owner.id, .id'`).

    \b
    Examples:
      scp-recommender iam-policy --account 111122223333 --region eu-west-1 > permissions.json
      scp-recommender iam-policy --trust --account 111122223333 --region eu-west-1 \\
          --repository acme/aws-scps > trust.json
      scp-recommender iam-policy --apply --account 999988887777 --region us-east-1

    The templates in deploy/ (CloudFormation and Terraform) create these roles with the same
    documents.
    """
    chosen = [
        name
        for name, on in (
            ("--trust", trust),
            ("--read-organizations", read_organizations),
            ("--apply", apply_role),
            ("--delegation", delegation),
        )
        if on
    ]
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)}: give one of them (each prints another document)")
    settings = app.settings
    chosen_region = region or settings.athena.region
    if not chosen_region:
        raise InputError("--region: not given and athena.region is not set in the settings")
    if trust:
        name = repository or settings.github.repository
        if not name:
            raise InputError("--repository: not given and github.repository is not set")
        scope = TrustScope(
            repository=repository_name(name),
            branch=branch,
            environment=environment,
            owner_id=owner_id,
            repository_id=repository_id,
        )
        document = trust_policy(account, chosen_region, scope)
    elif read_organizations:
        document = organizations_read_policy()
    elif apply_role:
        document = apply_policy()
    elif delegation:
        document = delegation_policy(role_arn(account, chosen_region, role_name))
    else:
        document = permissions_policy(settings, account, chosen_region)
    click.echo(json.dumps(document, indent=2))
