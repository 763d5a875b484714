"""Accounts, regions, the OU tree and the attached SCPs, read from AWS Organizations.

Every listing follows its paginator to the end: an organization has more accounts than one page.
Reading is separate from writing (`write_policies`), and everything is read before anything is
written, so a failed call leaves `policies/` as it was.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from recommender import atomic
from recommender.errors import SourceError
from recommender.validation import REGION

ORGANIZATION_FILE = "organization.json"
SCP_FILTER = "SERVICE_CONTROL_POLICY"
RCP_FILTER = "RESOURCE_CONTROL_POLICY"
# account:ListRegions reports these for regions the account can use.
ENABLED_REGION_STATES = ("ENABLED", "ENABLED_BY_DEFAULT")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a paginated listing, turning AWS errors into one-line `SourceError`s."""
    try:
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
    except (ClientError, BotoCoreError) as error:
        raise SourceError(f"AWS {operation} failed: {error}") from None


def aws_call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(client, operation)(**params)
    except (ClientError, BotoCoreError) as error:
        raise SourceError(f"AWS {operation} failed: {error}") from None
    return response


def _is_active(account: dict[str, Any]) -> bool:
    # `State` replaces the deprecated `Status` (2025); trust it when AWS sends it.
    state = account.get("State") or account.get("Status")
    return state == "ACTIVE"


def active_accounts(organizations: Any) -> list[str]:
    """The IDs of the organization's ACTIVE accounts, sorted."""
    accounts = _pages(organizations, "list_accounts", "Accounts")
    return sorted(account["Id"] for account in accounts if _is_active(account))


def enabled_regions(account: Any, ec2: Any) -> list[str]:
    """The regions enabled for the calling account, sorted.

    account:ListRegions says it directly; where that API is not allowed or not available, EC2's
    DescribeRegions (which lists only enabled regions by default) answers the same question.
    """
    try:
        pages = account.get_paginator("list_regions").paginate(
            RegionOptStatusContains=list(ENABLED_REGION_STATES)
        )
        names = [region["RegionName"] for page in pages for region in page.get("Regions", [])]
    except (ClientError, BotoCoreError):
        names = [region["RegionName"] for region in aws_call(ec2, "describe_regions")["Regions"]]
    return sorted(name for name in set(names) if REGION.match(name))


@dataclass(frozen=True)
class Node:
    name: str
    parent: str


@dataclass(frozen=True)
class ServiceControlPolicy:
    """An SCP, or an RCP when `type` says so (AWS's own names for the two types)."""

    id: str
    name: str
    content: str
    targets: tuple[str, ...]
    type: str = SCP_FILTER
    aws_managed: bool = False


@dataclass
class Organization:
    """What `organization.json` holds, plus the SCP documents themselves."""

    management_account: str
    root: str
    ous: dict[str, Node] = field(default_factory=dict)
    accounts: dict[str, Node] = field(default_factory=dict)
    policies: list[ServiceControlPolicy] = field(default_factory=list)


def read_organization(organizations: Any) -> Organization:
    """The whole tree and every SCP with its targets, from the management (or delegated) account."""
    details = aws_call(organizations, "describe_organization")["Organization"]
    roots = list(_pages(organizations, "list_roots", "Roots"))
    if not roots:
        raise SourceError("AWS Organizations returned no root for this organization")
    organization = Organization(management_account=details["MasterAccountId"], root=roots[0]["Id"])
    enabled = {
        kind["Type"] for kind in roots[0].get("PolicyTypes", []) if kind.get("Status") == "ENABLED"
    }
    parents = [organization.root]
    while parents:
        parent = parents.pop()
        for ou in _pages(
            organizations,
            "list_organizational_units_for_parent",
            "OrganizationalUnits",
            ParentId=parent,
        ):
            organization.ous[ou["Id"]] = Node(ou["Name"], parent)
            parents.append(ou["Id"])
        accounts = _pages(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent)
        for account in accounts:
            organization.accounts[account["Id"]] = Node(account["Name"], parent)
    # RCPs only where the organization has them on: AWS lists its RCPFullAWSAccess regardless.
    kinds = [SCP_FILTER, *([RCP_FILTER] if RCP_FILTER in enabled else [])]
    for kind in kinds:
        organization.policies += _policies(organizations, kind)
    return organization


def _policies(organizations: Any, kind: str) -> list[ServiceControlPolicy]:
    policies = []
    for summary in _pages(organizations, "list_policies", "Policies", Filter=kind):
        policy = aws_call(organizations, "describe_policy", PolicyId=summary["Id"])["Policy"]
        targets = _pages(
            organizations, "list_targets_for_policy", "Targets", PolicyId=summary["Id"]
        )
        policies.append(
            ServiceControlPolicy(
                id=summary["Id"],
                name=policy["PolicySummary"]["Name"],
                content=policy["Content"],
                targets=tuple(sorted(target["TargetId"] for target in targets)),
                type=kind,
                aws_managed=bool(policy["PolicySummary"].get("AwsManaged")),
            )
        )
    return policies


def _safe_stem(name: str) -> str:
    return _UNSAFE_NAME_CHARS.sub("-", name).strip(".-") or "policy"


def policy_file_names(policies: list[ServiceControlPolicy]) -> dict[str, str]:
    """Policy id -> file name: the policy's name made safe for any file system.

    Names that clash after that (case-insensitively, for macOS and Windows checkouts, or with
    organization.json) get the policy id appended, so no policy overwrites another and the
    result does not depend on listing order.
    """
    stems = {policy.id: _safe_stem(policy.name) for policy in policies}
    taken: dict[str, int] = {Path(ORGANIZATION_FILE).stem: 1}
    for stem in stems.values():
        taken[stem.lower()] = taken.get(stem.lower(), 0) + 1
    return {
        policy_id: f"{stem}-{policy_id}.json" if taken[stem.lower()] > 1 else f"{stem}.json"
        for policy_id, stem in stems.items()
    }


def _dump(document: Any, indent: int) -> str:
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def render_files(organization: Organization) -> dict[str, str]:
    """File name -> exact text, the same bytes for the same organization."""
    names = policy_file_names(organization.policies)
    files: dict[str, str] = {}
    for policy in organization.policies:
        try:
            document = json.loads(policy.content)
        except json.JSONDecodeError as error:
            raise SourceError(
                f"SCP {policy.id} ({policy.name}): content is not JSON: {error}"
            ) from None
        files[names[policy.id]] = _dump(document, indent=4)
    tree = {
        "management_account": organization.management_account,
        "root": organization.root,
        "ous": {
            ou_id: {"name": node.name, "parent": node.parent}
            for ou_id, node in sorted(organization.ous.items())
        },
        "accounts": {
            account_id: {"name": node.name, "parent": node.parent}
            for account_id, node in sorted(organization.accounts.items())
        },
        "policies": {
            names[policy.id]: _policy_entry(policy)
            for policy in sorted(organization.policies, key=lambda policy: names[policy.id])
        },
    }
    files[ORGANIZATION_FILE] = _dump(tree, indent=2)
    return dict(sorted(files.items()))


def _policy_entry(policy: ServiceControlPolicy) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": policy.id, "targets": list(policy.targets)}
    if policy.type != SCP_FILTER:  # absent means an SCP (DESIGN.md)
        entry["type"] = policy.type
    return entry


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write every file or none (see `recommender.atomic`)."""
    atomic.make_folder(folder)
    atomic.write_files({folder / name: text for name, text in files.items()})


def stale_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """JSON files in `folder` that the organization no longer has a policy for."""
    return sorted(path for path in folder.glob("*.json") if path.name not in files)
