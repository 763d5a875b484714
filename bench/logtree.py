"""Writes a realistic CloudTrail log tree and says exactly which denials it holds.

The files have CloudTrail's S3 names and layout (organization trail
`AWSLogs/<org-id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/` or the single-account
`AWSLogs/<account>/CloudTrail/...`), one gzipped `{"Records": [...]}` object per five-minute
delivery, filed under the day it was delivered (so the first file of a day holds the last minutes
of the day before, as in S3). About `denial_rate` of the records are denials, in the message
shapes of ../shared/data/_curated/scp_denial_messages_from_public_issues.json (explicit and
implicit SCP denials, the EC2 form with an encoded message, the 2026 form ending in the policy
ARN) and of identity-based denials; `other_error_rate` carry other errors (throttling, missing
entities); some denials come from AWS Config (excluded by default) and some records have no
source IP. `Expected` counts the denials the default query keeps, per event day and group.

    python bench/logtree.py OUT_DIR --size-mb 50
"""

import argparse
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
from isal import igzip

ORG_ID = "o-a1b2c3d4e5"
MINUTES_PER_FILE = 5
RECORD_BYTES = 1_150  # about the size of one encoded record, for sizing a tree

SCP_ARN = (
    "arn:aws:organizations::999999999999:policy/o-a1b2c3d4e5/service_control_policy/p-abcd1234"
)


@dataclass(frozen=True)
class DenialKind:
    """One kind of denied call: what was called and how AWS worded the refusal."""

    event_source: str
    event_name: str
    action: str
    error_code: str
    message: str
    policy_type: str | None
    config_agent: bool = False


USER = "User: {principal} is not authorized to perform: {action}"
DENIAL_KINDS = [
    DenialKind(
        "bedrock.amazonaws.com",
        "InvokeModel",
        "bedrock:InvokeModel",
        "AccessDeniedException",
        USER + " because no service control policy allows the {action} action",
        "service control policy",
    ),
    DenialKind(
        "ec2.amazonaws.com",
        "RunInstances",
        "ec2:RunInstances",
        "Client.UnauthorizedOperation",
        "You are not authorized to perform this operation. "
        + USER
        + " on resource: arn:aws:ec2:{region}:{account}:instance/* with an explicit deny in a"
        " service control policy. Encoded authorization failure message: {encoded}",
        "service control policy",
    ),
    DenialKind(
        "iam.amazonaws.com",
        "ListRoles",
        "iam:ListRoles",
        "AccessDenied",
        USER + " on resource: arn:aws:iam::{account}:role/* with an explicit deny in a service"
        " control policy: " + SCP_ARN,
        "service control policy",
    ),
    DenialKind(
        "pipes.amazonaws.com",
        "CreatePipe",
        "pipes:CreatePipe",
        "accessdeniedexception",
        USER + " because no service control policy allows the {action} action",
        "service control policy",
    ),
    DenialKind(
        "s3.amazonaws.com",
        "GetObject",
        "s3:GetObject",
        "AccessDenied",
        USER + " on resource: arn:aws:s3:::data-{account}/report.csv because no identity-based"
        " policy allows the {action} action",
        "identity-based policy",
    ),
    DenialKind(
        "cognito-idp.amazonaws.com",
        "AdminGetUser",
        "cognito-idp:AdminGetUser",
        "NotAuthorizedException",
        USER + " with an explicit deny in a resource-based policy",
        "resource-based policy",
    ),
    DenialKind(
        "support.amazonaws.com",
        "DescribeTrustedAdvisorChecks",
        "support:DescribeTrustedAdvisorChecks",
        "AccessDenied",
        "Access Denied",
        None,
    ),
    DenialKind(
        "config.amazonaws.com",
        "DescribeConfigRules",
        "config:DescribeConfigRules",
        "AccessDenied",
        USER + " with an explicit deny in a service control policy",
        "service control policy",
        config_agent=True,
    ),
]
OTHER_ERRORS = [
    ("dynamodb.amazonaws.com", "DescribeTable", "ThrottlingException", "Rate exceeded"),
    ("iam.amazonaws.com", "GetRole", "NoSuchEntity", "The role with name app cannot be found."),
    ("lambda.amazonaws.com", "GetFunction", "ResourceNotFoundException", "Function not found"),
    (
        "ec2.amazonaws.com",
        "DescribeInstances",
        "Client.InvalidInstanceID.NotFound",
        "The instance ID 'i-0abc' does not exist",
    ),
]
CALLS = [
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("kms.amazonaws.com", "Decrypt"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("lambda.amazonaws.com", "Invoke"),
]
ROLES = ["platform-ci", "data-pipeline", "ml-experiments", "AWSReservedSSO_Admin_0123abcd"]
AGENTS = [
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
    "Boto3/1.34.0 md/Botocore#1.34.0",
    "aws-sdk-go/1.50",
]


@dataclass
class Expected:
    """Denials the default query keeps: counts per (event day, group), principals, event IDs."""

    groups: Counter[tuple[str, str, str, str, str, str, str | None]] = field(
        default_factory=Counter
    )
    records: int = 0
    denials: int = 0
    other_errors: int = 0

    def in_window(self, start: date, end: date) -> Counter[tuple[str, ...]]:
        """Counts per group (source, name, region, account, code, policy type) in [start, end)."""
        totals: Counter[tuple[str, ...]] = Counter()
        for (day, *group), count in self.groups.items():
            if start.isoformat() <= day < end.isoformat():
                totals[tuple(str(part) for part in group)] += count
        return totals


@dataclass
class TreeSpec:
    root: Path
    accounts: tuple[str, ...] = ("111111111111", "222222222222")
    regions: tuple[str, ...] = ("eu-west-1", "us-east-1")
    start: date = date(2026, 11, 1)
    days: int = 7
    files_per_day: int = 4
    records_per_file: int = 50
    denial_rate: float = 0.01
    other_error_rate: float = 0.03
    org_id: str | None = ORG_ID
    compress: bool = True
    seed: int = 7


def assumed_role_identity(
    rng: random.Random, account: str, role: str, session: str, role_path: str = ""
) -> dict[str, object]:
    """CloudTrail's `userIdentity` of a role session, as real records carry it."""
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{rng.randrange(10**12):012d}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": f"ASIA{rng.randrange(10**12):012d}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{rng.randrange(10**12):012d}",
                "arn": f"arn:aws:iam::{account}:role/{role_path}{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _identity(rng: random.Random, account: str) -> dict[str, object]:
    role = rng.choice(ROLES)
    return assumed_role_identity(rng, account, role, f"session-{rng.randrange(1000)}")


def _record(rng: random.Random, account: str, region: str, moment: datetime) -> dict[str, object]:
    """One successful call; `_deny` and `_make` turn some into errors."""
    identity = _identity(rng, account)
    source, name = rng.choice(CALLS)
    record: dict[str, object] = {
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "userAgent": rng.choice(AGENTS),
        "requestParameters": {"bucketName": f"data-{account}", "key": f"k/{rng.randrange(10**6)}"},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }
    return record


def _deny(rng: random.Random, record: dict[str, object], kind: DenialKind) -> None:
    identity = record["userIdentity"]
    assert isinstance(identity, dict)
    account = str(record["recipientAccountId"])
    record["eventSource"] = kind.event_source
    record["eventName"] = kind.event_name
    record["errorCode"] = kind.error_code
    record["errorMessage"] = (
        kind.message.replace("{principal}", str(identity["arn"]))
        .replace("{action}", kind.action)
        .replace("{account}", account)
        .replace("{region}", str(record["awsRegion"]))
        .replace("{encoded}", f"{rng.getrandbits(256):064x}")
    )
    if kind.config_agent:
        record["userAgent"] = "config.amazonaws.com"
        record["sourceIPAddress"] = "config.amazonaws.com"
    elif rng.random() < 0.2:
        # Calls from inside AWS services may come without a source IP.
        del record["sourceIPAddress"]


def _file_name(account: str, region: str, delivered: datetime, rng: random.Random) -> str:
    stamp = delivered.strftime("%Y%m%dT%H%MZ")
    suffix = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop0123456789") for _ in range(16)
    )
    return f"{account}_CloudTrail_{region}_{stamp}_{suffix}.json"


def _folder(spec: TreeSpec, account: str, region: str, day: date) -> Path:
    base = spec.root / "AWSLogs"
    if spec.org_id:
        base = base / spec.org_id
    return base / account / "CloudTrail" / region / day.strftime("%Y/%m/%d")


def write_tree(spec: TreeSpec) -> Expected:
    """Writes the tree under `spec.root` and returns what the default query must find."""
    rng = random.Random(spec.seed)
    expected = Expected()
    encoder = msgspec.json.Encoder()
    interval = timedelta(minutes=24 * 60 // spec.files_per_day)
    for account in spec.accounts:
        for region in spec.regions:
            for day_index in range(spec.days):
                day = spec.start + timedelta(days=day_index)
                folder = _folder(spec, account, region, day)
                folder.mkdir(parents=True, exist_ok=True)
                for file_index in range(spec.files_per_day):
                    delivered = datetime(day.year, day.month, day.day, tzinfo=UTC) + (
                        file_index * interval + timedelta(minutes=3)
                    )
                    records = [
                        _make(rng, spec, expected, account, region, delivered)
                        for _ in range(spec.records_per_file)
                    ]
                    records.sort(key=lambda record: str(record["eventTime"]))
                    body = encoder.encode({"Records": records})
                    name = _file_name(account, region, delivered, rng)
                    if spec.compress:
                        (folder / f"{name}.gz").write_bytes(igzip.compress(body, compresslevel=1))
                    else:
                        (folder / name).write_bytes(body)
    return expected


def _make(
    rng: random.Random,
    spec: TreeSpec,
    expected: Expected,
    account: str,
    region: str,
    delivered: datetime,
) -> dict[str, object]:
    # Events of the five minutes before delivery (the first file of a day holds the last
    # minutes of the day before).
    moment = delivered - timedelta(seconds=rng.randrange(60, MINUTES_PER_FILE * 60))
    record = _record(rng, account, region, moment)
    expected.records += 1
    draw = rng.random()
    if draw < spec.denial_rate:
        kind = rng.choice(DENIAL_KINDS)
        _deny(rng, record, kind)
        expected.denials += 1
        if not kind.config_agent:
            key = (
                moment.date().isoformat(),
                kind.event_source,
                kind.event_name,
                region,
                account,
                kind.error_code,
                kind.policy_type,
            )
            expected.groups[key] += 1
    elif draw < spec.denial_rate + spec.other_error_rate:
        source, name, code, message = rng.choice(OTHER_ERRORS)
        record.update(eventSource=source, eventName=name, errorCode=code, errorMessage=message)
        expected.other_errors += 1
    return record


def spec_for_size(root: Path, size_mb: int, **overrides: object) -> TreeSpec:
    """A tree of about `size_mb` uncompressed megabytes: 4 accounts, 3 regions, 7 days."""
    spec = TreeSpec(
        root=root,
        accounts=("111111111111", "222222222222", "333333333333", "444444444444"),
        regions=("eu-west-1", "eu-central-1", "us-east-1"),
        days=7,
        records_per_file=200,
    )
    for name, value in overrides.items():
        setattr(spec, name, value)
    folders = len(spec.accounts) * len(spec.regions) * spec.days
    total_records = size_mb * 1_000_000 // RECORD_BYTES
    spec.files_per_day = max(1, math.ceil(total_records / (folders * spec.records_per_file)))
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--single-account", action="store_true", help="AWSLogs/<account>/...")
    arguments = parser.parse_args()
    spec = spec_for_size(arguments.root, arguments.size_mb)
    if arguments.single_account:
        spec.org_id = None
    expected = write_tree(spec)
    print(
        f"{expected.records} records, {expected.denials} denials, "
        f"{expected.other_errors} other errors under {arguments.root}"
    )


if __name__ == "__main__":
    main()
