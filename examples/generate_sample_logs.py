"""Writes the sample CloudTrail tree that `make demo` scans: examples/logs/.

The records have the shape of real CloudTrail deliveries (organization trail layout, gzipped
`{"Records": [...]}` objects) and the denial messages follow the real formats quoted in
../shared/data/_curated/scp_denial_messages_from_public_issues.json. Each scenario is built to
exercise one classification against the example organization in policies/. The output is
deterministic, so re-running this script gives byte-identical files.

    python examples/generate_sample_logs.py
"""

import gzip
import json
import random
import shutil
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.logtree import assumed_role_identity

ORG_ID = "o-exampleorg1"
START = datetime(2026, 11, 16, tzinfo=UTC)
DAYS = 7
OUT = Path(__file__).resolve().parent / "logs"
SCP_EXPLICIT = "with an explicit deny in a service control policy"
SCP_IMPLICIT = "because no service control policy allows the {action} action"
IDENTITY_IMPLICIT = "because no identity-based policy allows the {action} action"


@dataclass(frozen=True)
class Scenario:
    """Denied calls of one kind: who, where, what, and the message AWS returned."""

    account: str
    region: str
    event_source: str
    event_name: str
    action: str
    role: str
    count: int
    reason: str
    error_code: str = "AccessDenied"
    ec2_style: bool = False
    service_linked: bool = False


SCENARIOS = [
    # new-prefix: events:* is approved on the Workloads OU, EventBridge Pipes is not.
    Scenario(
        "222222222222",
        "eu-west-1",
        "pipes.amazonaws.com",
        "CreatePipe",
        "pipes:CreatePipe",
        "data-pipeline-deployer",
        42,
        SCP_IMPLICIT,
    ),
    Scenario(
        "222222222223",
        "eu-west-1",
        "scheduler.amazonaws.com",
        "CreateSchedule",
        "scheduler:CreateSchedule",
        "platform-ci",
        17,
        SCP_IMPLICIT,
        "AccessDeniedException",
    ),
    # new-service: Bedrock is nowhere approved.
    Scenario(
        "222222222223",
        "eu-central-1",
        "bedrock.amazonaws.com",
        "InvokeModel",
        "bedrock:InvokeModel",
        "ml-experiments",
        130,
        SCP_IMPLICIT,
        "AccessDeniedException",
    ),
    # new-service inside the sandbox's Deny + NotAction allow-list.
    Scenario(
        "333333333333",
        "eu-west-1",
        "sqs.amazonaws.com",
        "CreateQueue",
        "sqs:CreateQueue",
        "sandbox-developer",
        9,
        SCP_EXPLICIT,
    ),
    # renamed-action (aws-portal:ViewBilling -> billing:GetBillingData) and, as billing is a
    # global service logged in us-east-1, global-service on the region guard: two causes.
    Scenario(
        "222222222222",
        "us-east-1",
        "billingconsole.amazonaws.com",
        "GetBillingData",
        "billing:GetBillingData",
        "finops-analyst",
        23,
        SCP_EXPLICIT,
    ),
    # new-action: ssm:Describe*/Get*/List* are approved, StartSession is not.
    Scenario(
        "222222222222",
        "eu-west-1",
        "ssm.amazonaws.com",
        "StartSession",
        "ssm:StartSession",
        "oncall-engineer",
        61,
        SCP_IMPLICIT,
    ),
    # new-region: Sydney is not an approved region.
    Scenario(
        "333333333333",
        "ap-southeast-2",
        "ec2.amazonaws.com",
        "RunInstances",
        "ec2:RunInstances",
        "sandbox-developer",
        12,
        SCP_EXPLICIT,
        "Client.UnauthorizedOperation",
        ec2_style=True,
    ),
    Scenario(
        "222222222222",
        "us-west-2",
        "lambda.amazonaws.com",
        "ListFunctions20150331",
        "lambda:ListFunctions",
        "platform-ci",
        5,
        SCP_EXPLICIT,
    ),
    # global-service: Cost Explorer is approved but missing from the region guard's exemptions.
    Scenario(
        "222222222222",
        "us-east-1",
        "ce.amazonaws.com",
        "GetCostAndUsage",
        "ce:GetCostAndUsage",
        "finops-analyst",
        31,
        SCP_EXPLICIT,
    ),
    # guardrail: deliberate denies, never weakened.
    Scenario(
        "222222222222",
        "eu-west-1",
        "cloudtrail.amazonaws.com",
        "StopLogging",
        "cloudtrail:StopLogging",
        "oncall-engineer",
        2,
        SCP_EXPLICIT,
    ),
    Scenario(
        "222222222223",
        "us-east-1",
        "organizations.amazonaws.com",
        "LeaveOrganization",
        "organizations:LeaveOrganization",
        "platform-admin",
        1,
        SCP_EXPLICIT,
    ),
    # not-scp: an identity-based policy, and a service-linked role.
    Scenario(
        "222222222222",
        "eu-west-1",
        "s3.amazonaws.com",
        "GetObject",
        "s3:GetObject",
        "reporting-job",
        14,
        IDENTITY_IMPLICIT,
    ),
    Scenario(
        "222222222223",
        "eu-west-1",
        "logs.amazonaws.com",
        "CreateLogGroup",
        "logs:CreateLogGroup",
        "AWSServiceRoleForECS",
        3,
        SCP_EXPLICIT,
        service_linked=True,
    ),
    # already-allowed: denied before the policy was fixed.
    Scenario(
        "222222222222",
        "eu-central-1",
        "dynamodb.amazonaws.com",
        "CreateTable",
        "dynamodb:CreateTable",
        "platform-ci",
        4,
        SCP_IMPLICIT,
    ),
]

SUCCESSFUL_CALLS = [
    ("s3.amazonaws.com", "GetObject"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("lambda.amazonaws.com", "Invoke"),
    ("logs.amazonaws.com", "PutLogEvents"),
]
OTHER_ERRORS = [("ThrottlingException", "Rate exceeded"), ("NoSuchEntity", "Role not found")]


def identity(
    account: str, role: str, service_linked: bool, rng: random.Random
) -> dict[str, object]:
    path = "aws-service-role/ecs.amazonaws.com/" if service_linked else ""
    session = f"{role.lower()}-{rng.randrange(10**6):06d}"
    return assumed_role_identity(rng, account, role, session, path)


def message(scenario: Scenario, user_arn: str) -> str:
    reason = scenario.reason.format(action=scenario.action)
    text = f"User: {user_arn} is not authorized to perform: {scenario.action} {reason}"
    if scenario.ec2_style:
        return (
            f"You are not authorized to perform this operation. {text}. "
            "Encoded authorization failure message: q2Vx0mPzLk1sEXAMPLEENCODEDMESSAGE"
        )
    return text


def record(
    when: datetime,
    account: str,
    region: str,
    source: str,
    name: str,
    user: dict[str, object],
    rng: random.Random,
) -> dict[str, object]:
    return {
        "eventVersion": "1.11",
        "userIdentity": user,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"198.51.100.{rng.randrange(1, 255)}",
        "userAgent": "aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.1 os/linux#6.8 md/arch#x86_64",
        "requestParameters": None,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": name.startswith(("Get", "List", "Describe")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    }


def build(rng: random.Random) -> dict[tuple[str, str, int], list[dict[str, object]]]:
    """Records per (account, region, day)."""
    files: dict[tuple[str, str, int], list[dict[str, object]]] = {}
    for scenario in SCENARIOS:
        for _ in range(scenario.count):
            day = rng.randrange(DAYS)
            when = START + timedelta(days=day, seconds=rng.randrange(86_400))
            user = identity(scenario.account, scenario.role, scenario.service_linked, rng)
            event = record(
                when,
                scenario.account,
                scenario.region,
                scenario.event_source,
                scenario.event_name,
                user,
                rng,
            )
            event["errorCode"] = scenario.error_code
            event["errorMessage"] = message(scenario, str(user["arn"]))
            files.setdefault((scenario.account, scenario.region, day), []).append(event)
    accounts = sorted({scenario.account for scenario in SCENARIOS})
    for _ in range(2_000):
        account = rng.choice(accounts)
        region = rng.choice(["eu-west-1", "eu-central-1"])
        day = rng.randrange(DAYS)
        when = START + timedelta(days=day, seconds=rng.randrange(86_400))
        source, name = rng.choice(SUCCESSFUL_CALLS)
        event = record(
            when, account, region, source, name, identity(account, "platform-ci", False, rng), rng
        )
        if rng.random() < 0.03:
            event["errorCode"], event["errorMessage"] = rng.choice(OTHER_ERRORS)
        files.setdefault((account, region, day), []).append(event)
    return files


def write(files: dict[tuple[str, str, int], list[dict[str, object]]]) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    for (account, region, day), records in sorted(files.items()):
        date = START + timedelta(days=day)
        folder = (
            OUT / "AWSLogs" / ORG_ID / account / "CloudTrail" / region / date.strftime("%Y/%m/%d")
        )
        folder.mkdir(parents=True, exist_ok=True)
        records.sort(key=lambda event: str(event["eventTime"]))
        stamp = date.strftime("%Y%m%dT0000Z")
        name = f"{account}_CloudTrail_{region}_{stamp}_{ORG_ID[2:]}.json.gz"
        payload = json.dumps({"Records": records}, separators=(",", ":")).encode()
        with (
            open(folder / name, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        ):
            compressed.write(payload)


if __name__ == "__main__":
    write(build(random.Random(20261116)))
