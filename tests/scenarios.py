"""Scenario policy sets and denial rows for classifier tests, shared by every test that needs them.

The policy sets are modelled on real SCPs in ../shared/data: AWS's region guard (Deny +
`NotAction` of global services + `StringNotEquals aws:RequestedRegion` + an `ArnNotLike
aws:PrincipalARN` exemption, service-control-policy-examples/Region-controls), the landing zone
accelerator's allow-list written as Deny + `NotAction` (scp-hlc-hipaa-service.json), an Allow
allow-list on an OU with FullAWSAccess elsewhere, and deliberate guardrails.

Denial rows are built the way production builds them: a CloudTrail record with the shape of the
real denied records (_curated/denied_events_combined.json) and an `errorMessage` in one of the
real SCP message forms (_curated/scp_denial_messages_from_public_issues.json), reduced to a row
by `denial_from_record` as the query does (role ARNs, not sessions, as principals).

A `Scenario` holds the files of one policies/ folder and its `Case`s: a row and the findings
(category and exact proposal) it must yield.
"""

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.catalog import load_catalog
from recommender.models import Category, Denial, Finding, replace_row

Document = dict[str, Any]

MANAGEMENT = "111111111111"
PROD = "222222222222"
DEV = "222222222223"
PAYMENTS = "222222222224"
SANDBOX = "333333333333"
UNLISTED = "444444444444"
ROOT = "r-ab12"
WORKLOADS_OU = "ou-ab12-workload1"
PAYMENTS_OU = "ou-ab12-payments1"
SANDBOX_OU = "ou-ab12-sandbox1"
APPROVED_REGIONS = ("eu-central-1", "eu-west-1")
BREAK_GLASS_ROLE = "OrganizationAccountAccessRole"
BREAK_GLASS = f"arn:aws:iam::*:role/{BREAK_GLASS_ROLE}"
SERVICE_LINKED_ROLE = "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
REGION_CONDITION = "Condition/StringNotEquals/aws:RequestedRegion"
ORG_POLICY_ARN = "arn:aws:organizations::111111111111:policy/o-exampleorg1/service_control_policy/"

# --- messages: the real forms, with the fields of one call ------------------------------------

SCP_EXPLICIT = "with an explicit deny in a service control policy"
EC2_PREAMBLE = "You are not authorized to perform this operation. "
ENCODED = "Encoded authorization failure message: "


def scp_explicit(principal: str, action: str, resource: str | None = None, arn: str = "") -> str:
    """`User: ... is not authorized to perform: a:B [on resource: R] with an explicit deny in a
    service control policy[: <policy ARN>]` (the 2026 form names the policy)."""
    on = f" on resource: {resource}" if resource else ""
    suffix = f": {arn}" if arn else ""
    return f"User: {principal} is not authorized to perform: {action}{on} {SCP_EXPLICIT}{suffix}"


def scp_implicit(principal: str, action: str) -> str:
    return (
        f"User: {principal} is not authorized to perform: {action} because no service control "
        f"policy allows the {action} action"
    )


def ec2_encoded(principal: str, action: str, resource: str, blob: str = "b64blob") -> str:
    """EC2's form: the same sentence between a preamble and an encoded authorization message."""
    return f"{EC2_PREAMBLE}{scp_explicit(principal, action, resource)}. {ENCODED}{blob}"


def identity_implicit(principal: str, action: str, resource: str | None = None) -> str:
    on = f" on resource: {resource}" if resource else ""
    return (
        f"User: {principal} is not authorized to perform: {action}{on} because no "
        f"identity-based policy allows the {action} action"
    )


# --- CloudTrail records and rows ----------------------------------------------------------------


def session_arn(account: str, role: str, session: str = "session-1") -> str:
    """A session ARN names the role without its path."""
    return f"arn:aws:sts::{account}:assumed-role/{role.rpartition('/')[2]}/{session}"


def role_arn(account: str, role: str) -> str:
    return f"arn:aws:iam::{account}:role/{role}"


def record(
    action: str,
    *,
    region: str | None,
    account: str | None,
    message: str,
    role: str = "developer",
    event_source: str | None = None,
    event_name: str | None = None,
    error_code: str = "AccessDenied",
) -> Document:
    """A denied CloudTrail record of an assumed role, with the keys real records carry."""
    prefix, _, name = action.partition(":")
    caller_account = account or "555555555555"
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{action}/{region}/{account}/{role}"))
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{role}",
            "arn": session_arn(caller_account, role),
            "accountId": caller_account,
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": role_arn(caller_account, role),
                    "accountId": caller_account,
                    "userName": role.rpartition("/")[2],
                },
                "attributes": {"creationDate": "2026-11-16T08:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2026-11-16T09:30:00Z",
        "eventSource": event_source or f"{prefix}.amazonaws.com",
        "eventName": event_name or name,
        "awsRegion": region,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2.22.0",
        "errorCode": error_code,
        "errorMessage": message,
        "requestParameters": None,
        "responseElements": None,
        "requestID": event_id,
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def denial_from_record(
    event: Mapping[str, Any], *, with_region: bool = True, with_account: bool = True
) -> Denial:
    """The row the query makes of one record: the role (not the session) as principal."""
    identity = event.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    principal = issuer.get("arn") or identity.get("arn")
    return Denial(
        event_source=event["eventSource"],
        event_name=event["eventName"],
        count=1,
        region=event.get("awsRegion") if with_region else None,
        account_id=event.get("recipientAccountId") if with_account else None,
        error_code=event.get("errorCode"),
        error_message=event.get("errorMessage"),
        principals=(principal,) if principal else (),
        event_ids=(event["eventID"],) if event.get("eventID") else (),
    )


def scp_denial(
    action: str,
    region: str | None = "eu-west-1",
    account: str | None = PROD,
    *,
    role: str = "developer",
    form: str = "explicit",
    event_source: str | None = None,
    event_name: str | None = None,
    policy_id: str = "",
) -> Denial:
    """A row denied by an SCP, its message in one of the real forms:
    `explicit`, `implicit`, `ec2` (encoded) or `arn` (2026, naming the policy)."""
    # Without an account, the ARN is redacted as in public messages (`arn:aws:sts::XXX:...`).
    principal = session_arn(account or "XXX", role)
    resource = f"arn:aws:{action.partition(':')[0]}:{region or 'us-east-1'}:{account}:*"
    if form == "implicit":
        message = scp_implicit(principal, action)
    elif form == "ec2":
        message = ec2_encoded(principal, action, resource)
    elif form == "arn":
        message = scp_explicit(principal, action, resource, ORG_POLICY_ARN + policy_id)
    else:
        message = scp_explicit(principal, action)
    error_code = "Client.UnauthorizedOperation" if form == "ec2" else "AccessDenied"
    event = record(
        action,
        region=region,
        account=account,
        message=message,
        role=role,
        event_source=event_source,
        event_name=event_name,
        error_code=error_code,
    )
    denial = denial_from_record(event)
    # A row with no account (the original query's output) carries no caller sample either.
    return denial if account else replace_row(denial, principals=())


# --- policy documents -----------------------------------------------------------------------


def policy(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


FULL_AWS_ACCESS = policy(
    {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
)


def region_guard(
    regions: Iterable[str] = APPROVED_REGIONS, without: Iterable[str] = ("ce:*", "billing:*")
) -> Document:
    """AWS's region guard: every global service exempt (minus `without`), break-glass role too."""
    omitted = set(without)
    exemptions = [entry for entry in load_catalog().region_guard_exemptions if entry not in omitted]
    return policy(
        {
            "Sid": "DenyOutsideApprovedRegions",
            "Effect": "Deny",
            "NotAction": exemptions,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": list(regions)},
                "ArnNotLike": {"aws:PrincipalARN": BREAK_GLASS},
            },
        }
    )


GUARDRAILS = policy(
    {
        "Sid": "DenyLeavingTheOrganization",
        "Effect": "Deny",
        "Action": "organizations:LeaveOrganization",
        "Resource": "*",
    },
    {
        "Sid": "ProtectCloudTrail",
        "Effect": "Deny",
        "Action": ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging"],
        "Resource": "*",
    },
    {
        "Effect": "Deny",
        "Action": "s3:PutBucketPublicAccessBlock",
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalARN": BREAK_GLASS}},
    },
)

WORKLOADS_ACTIONS = [
    "aws-portal:ViewBilling",
    "cloudwatch:*",
    "dynamodb:*",
    "ec2:*",
    "events:*",
    "iam:*",
    "lambda:*",
    "logs:*",
    "s3:*",
    "ssm:Describe*",
    "ssm:Get*",
    "sts:*",
]


def allow_list(actions: Iterable[str], sid: str = "ApprovedServices") -> Document:
    return policy({"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": "*"})


# After LZA's scp-hlc-hipaa-service.json (a part of its 157 entries): an allow-list as a Deny.
HIPAA_SERVICES = [
    "acm:*",
    "athena:*",
    "aws-portal:*",
    "cloudwatch:*",
    "dynamodb:*",
    "ec2:*",
    "events:*",
    "iam:*",
    "kms:*",
    "lambda:*",
    "logs:*",
    "s3:*",
    "ssm:Describe*",
    "sqs:*",
    "sts:*",
]


def deny_all_but(actions: Iterable[str], sid: str = "HIPAAEligibleServices") -> Document:
    return policy({"Sid": sid, "Effect": "Deny", "NotAction": list(actions), "Resource": "*"})


def organization(
    ous: Mapping[str, tuple[str, str]],
    accounts: Mapping[str, tuple[str, str]],
    attachments: Mapping[str, Iterable[str]],
) -> Document:
    """organization.json: ID -> (name, parent) for OUs and accounts, file -> targets."""
    return {
        "management_account": MANAGEMENT,
        "root": ROOT,
        "ous": {ou: {"name": name, "parent": parent} for ou, (name, parent) in ous.items()},
        "accounts": {
            MANAGEMENT: {"name": "management", "parent": ROOT},
            **{a: {"name": name, "parent": parent} for a, (name, parent) in accounts.items()},
        },
        "policies": {
            name: {"id": f"p-{index:08d}", "targets": list(targets)}
            for index, (name, targets) in enumerate(attachments.items())
        },
    }


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """One finding a row must yield: its category and, for actionable ones, the proposal
    as (policy, statement, element, add)."""

    category: Category
    proposal: tuple[str, str, str, str] | None = None

    @classmethod
    def of(cls, finding: Finding) -> "Expect":
        proposal = finding.proposal
        target = (
            (proposal.policy, proposal.statement, proposal.element, proposal.add)
            if proposal
            else None
        )
        return cls(finding.category, target)


@dataclass(frozen=True)
class Case:
    name: str
    denial: Denial
    expected: tuple[Expect, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    files: dict[str, Document]
    cases: tuple[Case, ...]
    organization: Document | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> Path:
        """The policies/ folder of the scenario, under `directory`."""
        folder = directory / self.name
        folder.mkdir(parents=True)
        for name, document in self.files.items():
            (folder / name).write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")
        if self.organization is not None:
            text = json.dumps(self.organization, indent=4) + "\n"
            (folder / "organization.json").write_text(text, encoding="utf-8")
        return folder

    @property
    def denials(self) -> list[Denial]:
        return [case.denial for case in self.cases]


def _e(category: Category, *proposal: str) -> Expect:
    if not proposal:
        return Expect(category)
    policy_name, statement, element, add = proposal
    return Expect(category, (policy_name, statement, element, add))


REGION_GUARD_SID = "DenyOutsideApprovedRegions"
RG = ("region-guard.json", REGION_GUARD_SID)
WL = ("workloads-allow.json", "ApprovedServices")
PAY = ("payments-allow.json", "PaymentsServices")
HIPAA = ("sandbox-hipaa.json", "HIPAAEligibleServices")
C = Category


def flat_scenario() -> Scenario:
    """One level (no organization.json): FullAWSAccess, AWS's region guard, guardrails."""
    files = {
        "full-aws-access.json": FULL_AWS_ACCESS,
        "region-guard.json": region_guard(),
        "guardrails.json": GUARDRAILS,
    }
    cases = (
        Case(
            "new-region (EC2 encoded message)",
            scp_denial("ec2:RunInstances", "ap-southeast-2", form="ec2"),
            (_e(C.NEW_REGION, *RG, REGION_CONDITION, "ap-southeast-2"),),
        ),
        Case(
            "new-region (2026 message with the policy ARN)",
            scp_denial("lambda:ListFunctions", "us-west-2", form="arn", policy_id="p-00000001"),
            (_e(C.NEW_REGION, *RG, REGION_CONDITION, "us-west-2"),),
        ),
        Case(
            "global-service missing from the exemptions, logged in us-east-1",
            scp_denial("ce:GetCostAndUsage", "us-east-1"),
            (_e(C.GLOBAL_SERVICE, *RG, "NotAction", "ce:*"),),
        ),
        Case(
            "guardrail",
            scp_denial("organizations:LeaveOrganization", "us-east-1"),
            (_e(C.GUARDRAIL),),
        ),
        Case(
            "guardrail in an approved region",
            scp_denial("cloudtrail:StopLogging", "eu-west-1"),
            (_e(C.GUARDRAIL),),
        ),
        Case(
            "guardrail outside the approved regions: the region is not proposed",
            scp_denial("cloudtrail:StopLogging", "ap-southeast-2"),
            (_e(C.GUARDRAIL),),
        ),
        Case(
            "already-allowed",
            scp_denial("s3:PutObject", "eu-central-1"),
            (_e(C.ALREADY_ALLOWED),),
        ),
        Case(
            "break-glass role is exempt from the region guard",
            scp_denial("ec2:RunInstances", "ap-southeast-2", role=BREAK_GLASS_ROLE),
            (_e(C.ALREADY_ALLOWED),),
        ),
        Case(
            "not-scp: identity-based policy",
            denial_from_record(
                record(
                    "ec2:GetPasswordData",
                    region="ap-southeast-2",
                    account=PROD,
                    error_code="Client.UnauthorizedOperation",
                    message=EC2_PREAMBLE
                    + identity_implicit(session_arn(PROD, "developer"), "ec2:GetPasswordData")
                    + f" {ENCODED}blob",
                )
            ),
            (_e(C.NOT_SCP),),
        ),
        Case(
            "not-scp: service-linked role",
            scp_denial("ec2:RunInstances", "ap-southeast-2", role=SERVICE_LINKED_ROLE),
            (_e(C.NOT_SCP),),
        ),
        Case(
            "global-service: billing, logged in us-east-1, via billingconsole events",
            scp_denial(
                "billing:GetBillingData",
                "us-east-1",
                event_source="billingconsole.amazonaws.com",
                event_name="GetBillingData",
            ),
            (_e(C.GLOBAL_SERVICE, *RG, "NotAction", "billing:*"),),
        ),
    )
    return Scenario("flat", files, cases)


def organization_scenario() -> Scenario:
    """A tree: FullAWSAccess + region guard + guardrails at the root; the Workloads OU allows
    only a list (Allow statement, no FullAWSAccess), its Payments OU a shorter list; the Sandbox
    OU keeps FullAWSAccess and adds an allow-list written as Deny + NotAction."""
    files = {
        "full-aws-access.json": FULL_AWS_ACCESS,
        "region-guard.json": region_guard(),
        "guardrails.json": GUARDRAILS,
        "workloads-allow.json": allow_list(WORKLOADS_ACTIONS),
        "payments-allow.json": allow_list(
            ["dynamodb:*", "ec2:*", "events:*", "lambda:*", "ssm:Describe*", "sts:*"],
            "PaymentsServices",
        ),
        "sandbox-hipaa.json": deny_all_but(HIPAA_SERVICES),
    }
    org = organization(
        ous={
            WORKLOADS_OU: ("Workloads", ROOT),
            PAYMENTS_OU: ("Payments", WORKLOADS_OU),
            SANDBOX_OU: ("Sandbox", ROOT),
        },
        accounts={
            PROD: ("prod", WORKLOADS_OU),
            DEV: ("dev", WORKLOADS_OU),
            PAYMENTS: ("payments", PAYMENTS_OU),
            SANDBOX: ("sandbox-1", SANDBOX_OU),
        },
        attachments={
            "full-aws-access.json": [ROOT, SANDBOX_OU, PROD, DEV, PAYMENTS, SANDBOX, MANAGEMENT],
            "region-guard.json": [ROOT],
            "guardrails.json": [ROOT],
            "workloads-allow.json": [WORKLOADS_OU],
            "payments-allow.json": [PAYMENTS_OU],
            "sandbox-hipaa.json": [SANDBOX_OU],
        },
    )
    billing = {"event_source": "billingconsole.amazonaws.com", "event_name": "GetBillingData"}
    cases = (
        Case(
            "new-service (gap at the OU level only)",
            scp_denial("bedrock:InvokeModel", "eu-central-1", DEV, form="implicit"),
            (_e(C.NEW_SERVICE, *WL, "Action", "bedrock:*"),),
        ),
        Case(
            "new-prefix: events allowed, pipes denied",
            scp_denial("pipes:CreatePipe", "eu-west-1", PROD, form="implicit"),
            (_e(C.NEW_PREFIX, *WL, "Action", "pipes:*"),),
        ),
        Case(
            "new-prefix: scheduler",
            scp_denial("scheduler:CreateSchedule", "eu-west-1", DEV),
            (_e(C.NEW_PREFIX, *WL, "Action", "scheduler:*"),),
        ),
        Case(
            "new-prefix: schemas",
            scp_denial("schemas:CreateRegistry", "eu-west-1", PROD),
            (_e(C.NEW_PREFIX, *WL, "Action", "schemas:*"),),
        ),
        Case(
            "renamed-action: aws-portal:ViewBilling allowed, billing:GetBillingData denied",
            scp_denial("billing:GetBillingData", "eu-west-1", PROD, **billing),
            (_e(C.RENAMED_ACTION, *WL, "Action", "billing:GetBillingData"),),
        ),
        Case(
            "new-action: ssm:Describe* allowed, ssm:StartSession denied",
            scp_denial("ssm:StartSession", "eu-west-1", PROD, form="implicit"),
            (_e(C.NEW_ACTION, *WL, "Action", "ssm:StartSession"),),
        ),
        Case(
            "several causes: a region outside the guard and a service outside the allow-list",
            scp_denial("bedrock:InvokeModel", "us-west-2", PROD),
            (
                _e(C.NEW_REGION, *RG, REGION_CONDITION, "us-west-2"),
                _e(C.NEW_SERVICE, *WL, "Action", "bedrock:*"),
            ),
        ),
        Case(
            "several causes: global service outside the exemptions and a renamed action",
            scp_denial("billing:GetBillingData", "us-east-1", DEV, **billing),
            (
                _e(C.GLOBAL_SERVICE, *RG, "NotAction", "billing:*"),
                _e(C.RENAMED_ACTION, *WL, "Action", "billing:GetBillingData"),
            ),
        ),
        Case(
            "gap at two levels: Workloads and Payments both lack the prefix",
            scp_denial("pipes:CreatePipe", "eu-west-1", PAYMENTS, form="implicit"),
            (
                _e(C.NEW_PREFIX, *WL, "Action", "pipes:*"),
                _e(C.NEW_PREFIX, *PAY, "Action", "pipes:*"),
            ),
        ),
        Case(
            "gap at the inner OU only",
            scp_denial("s3:GetObject", "eu-west-1", PAYMENTS),
            (_e(C.NEW_SERVICE, *PAY, "Action", "s3:*"),),
        ),
        Case(
            "Deny + NotAction allow-list: new-service",
            scp_denial("bedrock:InvokeModel", "eu-west-1", SANDBOX),
            (_e(C.NEW_SERVICE, *HIPAA, "NotAction", "bedrock:*"),),
        ),
        Case(
            "Deny + NotAction allow-list: new-prefix",
            scp_denial("pipes:CreatePipe", "eu-west-1", SANDBOX),
            (_e(C.NEW_PREFIX, *HIPAA, "NotAction", "pipes:*"),),
        ),
        Case(
            "Deny + NotAction allow-list: new-action",
            scp_denial("ssm:StartSession", "eu-west-1", SANDBOX),
            (_e(C.NEW_ACTION, *HIPAA, "NotAction", "ssm:StartSession"),),
        ),
        Case(
            "Deny + NotAction allow-list: renamed-action (aws-portal:* listed)",
            scp_denial("billing:GetBillingData", "eu-west-1", SANDBOX, **billing),
            (_e(C.RENAMED_ACTION, *HIPAA, "NotAction", "billing:GetBillingData"),),
        ),
        Case(
            "a guardrail hit does not also widen the allow-list",
            scp_denial("cloudtrail:StopLogging", "eu-west-1", PAYMENTS),
            (_e(C.GUARDRAIL),),
        ),
        Case(
            "already-allowed on the OU's list",
            scp_denial("events:PutRule", "eu-west-1", PROD),
            (_e(C.ALREADY_ALLOWED),),
        ),
        Case(
            "not-scp: the management account",
            scp_denial("pipes:CreatePipe", "eu-west-1", MANAGEMENT),
            (_e(C.NOT_SCP),),
        ),
        Case(
            "account not in organization.json: the root's region guard still applies",
            scp_denial("ec2:RunInstances", "sa-east-1", UNLISTED, form="ec2"),
            (_e(C.NEW_REGION, *RG, REGION_CONDITION, "sa-east-1"),),
        ),
        Case(
            "row without account: every distinct path of organization.json",
            scp_denial("pipes:CreatePipe", "eu-west-1", None),
            (
                _e(C.NEW_PREFIX, *WL, "Action", "pipes:*"),
                _e(C.NEW_PREFIX, *PAY, "Action", "pipes:*"),
                _e(C.NEW_PREFIX, *HIPAA, "NotAction", "pipes:*"),
            ),
        ),
        Case(
            "row without region: the allow-list is still checked",
            scp_denial("bedrock:InvokeModel", None, DEV),
            (_e(C.NEW_SERVICE, *WL, "Action", "bedrock:*"),),
        ),
        Case(
            "unknown-action: a prefix the catalog lacks (a bidi override), its edit kept",
            scp_denial("evi\u202el:DeleteTrail", "eu-west-1", PROD),
            (_e(C.UNKNOWN_ACTION, *WL, "Action", "evi\u202el:*"),),
        ),
    )
    return Scenario("organization", files, cases, org)


def unknown_scenario() -> Scenario:
    """Denials no edit can explain: a level with nothing but denies, and a row that the region
    guard may have denied but whose region is not known."""
    files = {
        "full-aws-access.json": FULL_AWS_ACCESS,
        "region-guard.json": region_guard(),
        "ou-guardrails.json": GUARDRAILS,
    }
    org = organization(
        ous={WORKLOADS_OU: ("Workloads", ROOT)},
        accounts={PROD: ("prod", WORKLOADS_OU)},
        attachments={
            "full-aws-access.json": [ROOT, PROD],
            "region-guard.json": [ROOT],
            "ou-guardrails.json": [WORKLOADS_OU],
        },
    )
    cases = (
        Case(
            "no Allow at the OU and no Action list to extend",
            scp_denial("ec2:RunInstances", "eu-west-1", PROD),
            (_e(C.UNKNOWN),),
        ),
    )
    return Scenario("unknown", files, cases, org)


def scenarios() -> list[Scenario]:
    """Every scenario; `unknown` excluded from closure checks by its expectations."""
    return [flat_scenario(), organization_scenario(), unknown_scenario()]


def expectations(findings: Iterable[Finding]) -> set[Expect]:
    return {Expect.of(finding) for finding in findings}
