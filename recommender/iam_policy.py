"""The IAM policies of scp-recommender's roles: least privilege, derived from the settings.

`permissions_policy` grants exactly what `scp-recommender run` does with the settings in hand
(one Athena workgroup, one Glue table, the CloudTrail prefix, the query-results prefix, the
trail's KMS key, Organizations read); `trust_policy` lets only the repository's workflow assume
the role through GitHub's OIDC provider. Anything the settings do not name is left out.
`organizations_read_policy` and `apply_policy` are the roles of the management account:
reading the SCPs (`sync-policies --check`) and applying merged ones (the opt-in apply workflow).

The documents are built from names (`RoleResources`, `trust_document`) so that the deployment
templates in deploy/ are generated from the same statements with their parameters in place of
the names (recommender.deploy).
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from recommender import validation
from recommender.config import Settings
from recommender.errors import ConfigError, InputError
from recommender.github import REPOSITORY
from recommender.sources.athena import trail_prefix, validated

OIDC_HOST = "token.actions.githubusercontent.com"
# The audience configure-aws-credentials requests by default; China regions use their own.
DEFAULT_AUDIENCE = "sts.amazonaws.com"
CHINA_AUDIENCE = "sts.amazonaws.com.cn"

ATHENA_QUERY_ACTIONS = [
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
]
# Athena reads the table definition from Glue and, as users report even with partition
# projection (aws/serverless-application-model#1736), asks for its partitions: both are granted.
# The IAM catalog requires the catalog, the database and the table as resources of a table read.
GLUE_TABLE_ACTIONS = ["glue:GetPartitions", "glue:GetTable"]
RESULTS_OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
]
# Listing accounts (when `query.accounts` is empty), walking the tree and reading the SCPs with
# their attachments. All read-only and on "*": the SCPs include AWS's own (FullAWSAccess), whose
# ARNs are not under the organization's.
ORGANIZATIONS_READ_ACTIONS = [
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListPolicies",
    "organizations:ListRoots",
    "organizations:ListTargetsForPolicy",
]
# What the apply workflow changes: SCPs only (the policy type condition), never another type.
SCP_WRITE_ACTIONS = [
    "organizations:AttachPolicy",
    "organizations:CreatePolicy",
    "organizations:DetachPolicy",
    "organizations:UpdatePolicy",
]
SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"

# The Athena settings are checked by recommender.sources.athena (the same fence as for SQL) and
# the repository name by recommender.github; these are the other names of the trust policy.
GIT_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")
ENVIRONMENT = re.compile(r"^[A-Za-z0-9._ -]{1,255}$")
NUMERIC_ID = re.compile(r"^[1-9]\d{0,19}$")
ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")

# Region name prefixes of the partitions other than `aws`, longest first.
PARTITIONS = [
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
]


@dataclass(frozen=True)
class S3Location:
    """A checked `s3://bucket[/prefix]`; `prefix` is empty or ends with `/`."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, value: str) -> "S3Location":
        bucket, _, prefix = value.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        return cls(bucket, f"{prefix}/" if prefix else "")


def partition_of(region: str) -> str:
    for prefix, partition in PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


def repository_name(value: str, field: str = "--repository") -> str:
    text = value.strip()
    if not REPOSITORY.fullmatch(text):
        raise InputError(f"{field}: {value!r} is not a GitHub repository (expected owner/name)")
    return text


def _policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def _statement(
    sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _bucket_statements(
    sid: str, location: S3Location, object_actions: list[str], partition: str
) -> list[dict[str, Any]]:
    """Object access under the prefix, and listing the bucket limited to that prefix."""
    bucket_arn = f"arn:{partition}:s3:::{location.bucket}"
    listing = {"StringLike": {"s3:prefix": [f"{location.prefix}*"]}} if location.prefix else None
    return [
        _statement(f"{sid}Objects", object_actions, [f"{bucket_arn}/{location.prefix}*"]),
        _statement(f"{sid}List", ["s3:ListBucket"], [bucket_arn], listing),
        _statement(f"{sid}Location", ["s3:GetBucketLocation"], [bucket_arn]),
    ]


def needs_organizations(settings: Settings) -> bool:
    """An organization trail, or accounts to be listed, means Organizations is read."""
    return bool(settings.athena.organization_id) or not settings.query.accounts


def _kms_statement(key: str) -> dict[str, Any]:
    """Decrypt the trail and the query results, encrypt the results (Athena writes them with
    SSE-KMS under this key). An alias ARN grants the keys that carry that alias."""
    actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    arn_prefix, _, name = key.partition(":alias/")
    if not name:
        return _statement("KmsKey", actions, [key])
    aliases = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [f"alias/{name}"]}}
    return _statement("KmsKey", actions, [f"{arn_prefix}:key/*"], aliases)


class Grant(StrEnum):
    """The parts of the workflow role's permissions, each present when the settings call for it."""

    QUERIES = "queries"  # always: the workgroup, the table, the trail
    QUERY_RESULTS = "query_results"  # athena.output_location is set
    KMS_KEY = "kms_key"  # athena.kms_key_arn is set
    ORGANIZATIONS = "organizations"  # see needs_organizations
    ENABLED_REGIONS = "enabled_regions"  # query.regions is empty


@dataclass(frozen=True)
class RoleResources:
    """The names the workflow role's ARNs are made of: checked values from the settings, or a
    template's placeholders."""

    partition: str
    region: str
    account: str
    workgroup: str
    database: str
    table: str
    trail: S3Location
    results: S3Location | None
    kms_key: str | None


def role_resources(settings: Settings, account: str, region: str) -> RoleResources:
    account = validation.account_id(account, "--account")
    region = validation.region(region, "--region")
    athena = validated(settings.athena)
    if athena.catalog != "AwsDataCatalog":
        raise ConfigError(
            f"athena.catalog: {athena.catalog!r} is not supported by iam-policy "
            "(expected AwsDataCatalog, the account's Glue catalog)"
        )
    results = athena.output_location
    return RoleResources(
        partition=partition_of(region),
        region=region,
        account=account,
        workgroup=athena.workgroup,
        database=athena.database,
        table=athena.table,
        trail=S3Location.parse(trail_prefix(athena)),
        results=S3Location.parse(results) if results else None,
        kms_key=athena.kms_key_arn,
    )


def statement_groups(names: RoleResources) -> dict[Grant, list[dict[str, Any]]]:
    """Every statement the workflow role can need, by the part of the settings that calls for
    it, in the policy's order."""
    partition, region, account = names.partition, names.region, names.account
    glue = f"arn:{partition}:glue:{region}:{account}"
    database, table = names.database, names.table
    groups = {
        Grant.QUERIES: [
            _statement(
                "AthenaQueries",
                ATHENA_QUERY_ACTIONS,
                [f"arn:{partition}:athena:{region}:{account}:workgroup/{names.workgroup}"],
            ),
            _statement(
                "GlueDatabase",
                ["glue:GetDatabase"],
                [f"{glue}:catalog", f"{glue}:database/{database}"],
            ),
            _statement(
                "GlueTable",
                GLUE_TABLE_ACTIONS,
                [
                    f"{glue}:catalog",
                    f"{glue}:database/{database}",
                    f"{glue}:table/{database}/{table}",
                ],
            ),
            *_bucket_statements("CloudTrail", names.trail, ["s3:GetObject"], partition),
        ]
    }
    if names.results is not None:
        groups[Grant.QUERY_RESULTS] = _bucket_statements(
            "QueryResults", names.results, RESULTS_OBJECT_ACTIONS, partition
        )
    if names.kms_key is not None:
        groups[Grant.KMS_KEY] = [_kms_statement(names.kms_key)]
    groups[Grant.ORGANIZATIONS] = [_organizations_read()]
    groups[Grant.ENABLED_REGIONS] = [_statement("EnabledRegions", ["account:ListRegions"], ["*"])]
    return groups


def grants(settings: Settings) -> set[Grant]:
    """The parts of the permissions that these settings call for."""
    wanted = {Grant.QUERIES, Grant.QUERY_RESULTS, Grant.KMS_KEY}
    if needs_organizations(settings):
        wanted.add(Grant.ORGANIZATIONS)
    if not settings.query.regions:
        wanted.add(Grant.ENABLED_REGIONS)
    return wanted


def permissions_policy(settings: Settings, account: str, region: str) -> dict[str, Any]:
    """The role's permissions for `scp-recommender run` with these settings."""
    groups = statement_groups(role_resources(settings, account, region))
    wanted = grants(settings)
    return _policy(
        [statement for grant, part in groups.items() if grant in wanted for statement in part]
    )


def _organizations_read() -> dict[str, Any]:
    return _statement("Organizations", ORGANIZATIONS_READ_ACTIONS, ["*"])


def organizations_read_policy() -> dict[str, Any]:
    """The management account's read-only role: the SCPs, their attachments and the tree, as
    `sync-policies` reads them."""
    return _policy([_organizations_read()])


def role_arn(account: str, region: str, name: str) -> str:
    account = validation.account_id(account, "--account")
    partition = partition_of(validation.region(region, "--region"))
    if not ROLE_NAME.match(name):
        raise InputError(f"--role-name: {name!r} is not an IAM role name")
    return f"arn:{partition}:iam::{account}:role/{name}"


def delegation_policy(role_arn: str) -> dict[str, Any]:
    """The organization's resource policy that lets the workflow's role, in another account than
    the management account, read what `organizations_read_policy` reads."""
    return _policy(
        [
            {
                "Sid": "ScpRecommenderRead",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": ORGANIZATIONS_READ_ACTIONS,
                "Resource": "*",
            }
        ]
    )


def apply_policy() -> dict[str, Any]:
    """The management account's apply role: what `organizations_read_policy` grants, and
    creating, updating, attaching and detaching service control policies (no other type)."""
    scp_only = {"StringEquals": {"organizations:PolicyType": SERVICE_CONTROL_POLICY}}
    return _policy(
        [
            _organizations_read(),
            _statement("ServiceControlPolicies", SCP_WRITE_ACTIONS, ["*"], scp_only),
        ]
    )


@dataclass(frozen=True)
class TrustScope:
    """Who may assume the role: one repository, on one branch or in one environment.

    Repositories created since 15 July 2026 put immutable ids in the token's subject
    (`repo:owner@<owner id>/name@<repository id>:...`); give both ids for those.
    """

    repository: str
    branch: str = "main"
    environment: str | None = None
    owner_id: str | None = None
    repository_id: str | None = None

    def subject(self) -> str:
        owner, _, name = repository_name(self.repository).partition("/")
        if (self.owner_id is None) != (self.repository_id is None):
            raise InputError("--owner-id and --repository-id: give both or neither")
        ids = None
        if self.owner_id is not None and self.repository_id is not None:
            ids = (
                _numeric(self.owner_id, "--owner-id"),
                _numeric(self.repository_id, "--repository-id"),
            )
        if self.environment is not None:
            if not ENVIRONMENT.match(self.environment):
                raise InputError(f"--environment: {self.environment!r} is not an environment name")
        elif not GIT_BRANCH.match(self.branch) or ".." in self.branch:
            raise InputError(f"--branch: {self.branch!r} is not a branch name")
        return oidc_subject(
            repository_path(owner, name, ids), subject_ref(self.branch, self.environment)
        )


def repository_path(owner: str, name: str, ids: tuple[str, str] | None) -> str:
    """The repository as the OIDC subject names it: with the owner's and the repository's
    numeric ids for repositories created since 15 July 2026."""
    if ids is None:
        return f"{owner}/{name}"
    owner_id, repository_id = ids
    return f"{owner}@{owner_id}/{name}@{repository_id}"


def subject_ref(branch: str, environment: str | None) -> str:
    """The subject's last part: a job in a GitHub environment, else a run on the branch."""
    if environment is not None:
        return f"environment:{environment}"
    return f"ref:refs/heads/{branch}"


def oidc_subject(repository: str, ref: str) -> str:
    return f"repo:{repository}:{ref}"


def _numeric(value: str, field: str) -> str:
    if not NUMERIC_ID.match(value):
        raise InputError(f"{field}: {value!r} is not a GitHub numeric id")
    return value


def audience_of(partition: str) -> str:
    return CHINA_AUDIENCE if partition == "aws-cn" else DEFAULT_AUDIENCE


def oidc_provider_arn(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{OIDC_HOST}"


def trust_policy(account: str, region: str, scope: TrustScope) -> dict[str, Any]:
    """GitHub's OIDC provider in `account` may assume the role, for `scope` only."""
    account = validation.account_id(account, "--account")
    partition = partition_of(validation.region(region, "--region"))
    return trust_document(
        oidc_provider_arn(partition, account), audience_of(partition), scope.subject()
    )


def trust_document(provider: str, audience: str, subject: str) -> dict[str, Any]:
    """Tokens of the OIDC provider `provider` for `audience` and `subject` may assume the role."""
    return _policy(
        [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{OIDC_HOST}:aud": audience,
                        f"{OIDC_HOST}:sub": subject,
                    }
                },
            }
        ]
    )
