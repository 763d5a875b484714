"""The evaluation engine: AWS's SCP logic, three-valued where a denial row cannot tell."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import PolicyError
from recommender.scp.evaluate import Call, evaluate, statement_matches_action
from recommender.scp.patterns import action_matches
from recommender.scp.policyset import load_policy_set

FULL_ACCESS = {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
REGION_GUARD = {
    "Sid": "DenyOutsideEU",
    "Effect": "Deny",
    "NotAction": ["iam:*", "sts:*", "support:*", "s3:GetAccountPublic*"],
    "Resource": "*",
    "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
        "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/BreakGlass"},
    },
}
GUARDRAILS = [
    {
        "Sid": "DenyLeave",
        "Effect": "Deny",
        "Action": "organizations:LeaveOrganization",
        "Resource": "*",
    },
    {
        "Effect": "Deny",
        "Action": "cloudtrail:StopLogging",
        "Resource": "arn:aws:cloudtrail:*:*:trail/org-trail",
    },
    {
        "Sid": "DenyOutsideVpc",
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
    },
]
WORKLOADS_ALLOW = {
    "Sid": "ApprovedServices",
    "Effect": "Allow",
    "Action": ["events:*", "ssm:Describe*", "lambda:Get?unction", "aws-portal:ViewBilling"],
    "Resource": "*",
}
SANDBOX_ALLOW_LIST = {
    "Sid": "DenyAllButSandboxServices",
    "Effect": "Deny",
    "NotAction": ["ec2:*", "s3:*", "organizations:*"],
    "Resource": "*",
}


def policy(*statements: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def write_set(folder: Path, files: dict[str, Any], org: dict[str, Any] | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    for name, document in files.items():
        (folder / name).write_text(json.dumps(document, indent=2), encoding="utf-8")
    if org is not None:
        (folder / "organization.json").write_text(json.dumps(org), encoding="utf-8")
    return folder


ORG = {
    "management_account": "111111111111",
    "root": "r-ab12",
    "ous": {
        "ou-ab12-workload1": {"name": "Workloads", "parent": "r-ab12"},
        "ou-ab12-sandbox1": {"name": "Sandbox", "parent": "r-ab12"},
        "ou-ab12-inner001": {"name": "Inner", "parent": "ou-ab12-sandbox1"},
    },
    "accounts": {
        "222222222222": {"name": "prod", "parent": "ou-ab12-workload1"},
        "333333333333": {"name": "sandbox-1", "parent": "ou-ab12-inner001"},
        "444444444444": {"name": "no-scp", "parent": "r-ab12"},
    },
    "policies": {
        "full.json": {
            "id": "p-FullAWSAccess",
            "targets": [
                "r-ab12",
                "ou-ab12-sandbox1",
                "ou-ab12-inner001",
                "222222222222",
                "333333333333",
            ],
        },
        "region.json": {"id": "p-1", "targets": ["r-ab12"]},
        "guardrails.json": {"id": "p-2", "targets": ["r-ab12"]},
        "workloads.json": {"id": "p-3", "targets": ["ou-ab12-workload1"]},
        "sandbox.json": {"id": "p-4", "targets": ["ou-ab12-sandbox1"]},
    },
}
FILES = {
    "full.json": policy(FULL_ACCESS),
    "region.json": policy(REGION_GUARD),
    "guardrails.json": policy(*GUARDRAILS),
    "workloads.json": policy(WORKLOADS_ALLOW),
    "sandbox.json": policy(SANDBOX_ALLOW_LIST),
}


@pytest.fixture
def org_set(tmp_path: Path):
    return load_policy_set(write_set(tmp_path / "policies", FILES, ORG))


def test_action_patterns() -> None:
    assert action_matches("ec2:Describe*", "EC2:DescribeInstances")
    assert action_matches("lambda:Get?unction", "lambda:GetFunction")
    assert not action_matches("lambda:Get?unction", "lambda:GetFunctions")
    assert action_matches("*", "pipes:CreatePipe")
    assert action_matches("*:Describe*", "ec2:DescribeVpcs")
    assert not action_matches("ec2:Describe*", "ec2:RunInstances")


def test_region_guard_through_not_action(org_set) -> None:
    call = Call(
        "ec2:RunInstances", "ap-southeast-2", "333333333333", "arn:aws:iam::333333333333:role/Dev"
    )
    decision = evaluate(org_set, call)
    assert (decision.allowed, decision.deny_type, decision.certain) == (False, "explicit", True)
    [deny] = decision.explicit_denies
    assert (deny.policy, deny.label, deny.via, deny.patterns_for(call.action)) == (
        "region.json",
        "DenyOutsideEU",
        "NotAction",
        (),
    )
    assert deny.level.target_id == "r-ab12"
    region, principal = deny.conditions
    assert (region.condition.operator, region.condition.key) == (
        "StringNotEquals",
        "aws:RequestedRegion",
    )
    assert region.condition.values == ("eu-west-1", "eu-central-1")
    assert (region.outcome, region.request_values) == (True, ("ap-southeast-2",))
    assert principal.outcome is True
    assert decision.deciding == decision.explicit_denies


def test_region_guard_exemptions(org_set) -> None:
    dev = "arn:aws:iam::333333333333:role/Dev"
    exempt_service = evaluate(org_set, Call("iam:CreateRole", "us-east-1", "333333333333", dev))
    assert (
        exempt_service.deny_type != "explicit"
        or exempt_service.explicit_denies[0].label != "DenyOutsideEU"
    )
    assert evaluate(
        org_set, Call("s3:GetAccountPublicAccessBlock", "us-east-1", "333333333333", dev)
    ).allowed
    in_region = evaluate(org_set, Call("ec2:RunInstances", "eu-west-1", "333333333333", dev))
    assert (in_region.allowed, in_region.certain) == (True, True)
    break_glass = "arn:aws:iam::333333333333:role/BreakGlass"
    assert evaluate(
        org_set, Call("ec2:RunInstances", "us-west-2", "333333333333", break_glass)
    ).allowed


def test_unknown_principal_makes_the_region_guard_a_maybe(org_set) -> None:
    decision = evaluate(org_set, Call("ec2:RunInstances", "ap-southeast-2", "333333333333"))
    assert (decision.allowed, decision.deny_type, decision.certain) == (True, None, False)
    [maybe] = decision.maybe
    assert (maybe.label, maybe.match, maybe.unknown_keys) == (
        "DenyOutsideEU",
        "maybe",
        ("aws:PrincipalARN",),
    )
    assert decision.unknown_keys == ("aws:PrincipalARN",)
    assert "not known from CloudTrail" in maybe.why_maybe()


def test_allow_list_on_an_ou_denies_implicitly(org_set) -> None:
    decision = evaluate(org_set, Call("pipes:CreatePipe", "eu-west-1", "222222222222"))
    assert (decision.allowed, decision.deny_type, decision.certain) == (False, "implicit", True)
    assert [level.level.name for level in decision.levels_without_allow] == ["Workloads"]
    assert [level.level.kind for level in decision.levels] == ["root", "ou", "account"]
    allowed = evaluate(org_set, Call("events:PutRule", "eu-west-1", "222222222222"))
    assert allowed.allowed
    [workloads] = [level for level in allowed.levels if level.level.name == "Workloads"]
    [allow] = workloads.allows
    assert (allow.via, allow.patterns_for("events:PutRule")) == ("Action", ("events:*",))
    assert evaluate(org_set, Call("lambda:GetFunction", "eu-west-1", "222222222222")).allowed
    assert not evaluate(org_set, Call("lambda:GetFunctions", "eu-west-1", "222222222222")).allowed


def test_deny_not_action_allow_list_and_nested_ous(org_set) -> None:
    decision = evaluate(org_set, Call("pipes:CreatePipe", "eu-west-1", "333333333333"))
    assert decision.deny_type == "explicit"
    [deny] = decision.explicit_denies
    assert (deny.policy, deny.via, deny.level.name) == ("sandbox.json", "NotAction", "Sandbox")
    assert [level.level.name for level in decision.levels] == [
        "Root",
        "Sandbox",
        "Inner",
        "sandbox-1",
    ]
    assert evaluate(org_set, Call("ec2:RunInstances", "eu-west-1", "333333333333")).allowed


def test_a_deny_anywhere_wins(org_set) -> None:
    decision = evaluate(
        org_set, Call("organizations:LeaveOrganization", "us-east-1", "333333333333")
    )
    assert decision.deny_type == "explicit"
    assert {match.label for match in decision.explicit_denies} == {"DenyLeave"}


def test_account_without_any_allow_at_its_level(org_set) -> None:
    decision = evaluate(org_set, Call("iam:ListRoles", "us-east-1", "444444444444"))
    assert decision.deny_type == "implicit"
    assert [level.level.kind for level in decision.levels_without_allow] == ["account"]


def test_resource_scoped_and_unknown_key_statements_may_apply(org_set) -> None:
    scoped = evaluate(org_set, Call("cloudtrail:StopLogging", "eu-west-1", "333333333333"))
    assert (scoped.allowed, scoped.certain) == (False, True)  # the sandbox allow-list denies it
    root_only = load_policy_set(write_set(Path(org_set.directory.parent / "flat"), FILES))
    maybe = evaluate(root_only, Call("cloudtrail:StopLogging", "eu-west-1"))
    assert [(match.label, match.resource_scoped) for match in maybe.maybe] == [("#1", True)]
    assert "some resources only" in maybe.maybe[0].why_maybe()
    vpc = evaluate(root_only, Call("s3:PutObject", "eu-west-1"))
    assert (vpc.allowed, vpc.certain) == (True, False)
    assert vpc.unknown_keys == ("aws:SourceVpc",)


def test_implicit_deny_with_a_maybe_allow_is_not_certain(tmp_path: Path) -> None:
    scoped_allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"}
    policy_set = load_policy_set(write_set(tmp_path / "p", {"allow.json": policy(scoped_allow)}))
    decision = evaluate(policy_set, Call("s3:GetObject", "eu-west-1"))
    assert (decision.allowed, decision.deny_type, decision.certain) == (False, "implicit", False)
    assert [match.match for match in decision.levels[0].maybe_allows] == ["maybe"]


def test_without_organization_every_file_is_one_level(tmp_path: Path) -> None:
    policy_set = load_policy_set(write_set(tmp_path / "p", FILES))
    decision = evaluate(policy_set, Call("events:PutRule", "eu-west-1", "222222222222"))
    [level] = decision.levels
    assert level.level.kind == "all"
    assert [p.name for p in level.level.policies] == sorted(FILES)
    assert decision.deny_type == "explicit"  # the sandbox allow-list applies everywhere here


def test_accounts_outside_the_tree_and_unknown_accounts(org_set) -> None:
    unlisted = evaluate(org_set, Call("pipes:CreatePipe", "eu-west-1", "999999999999"))
    assert [level.level.kind for level in unlisted.levels] == ["root"]
    assert unlisted.notes == (
        "account 999999999999 is not in organization.json: only the root's SCPs were evaluated",
    )
    unknown = evaluate(org_set, Call("pipes:CreatePipe", "eu-west-1"))
    assert unknown.notes == ("account not known: only the root's SCPs were evaluated",)


def test_scps_do_not_apply_to_the_management_account_or_service_linked_roles(org_set) -> None:
    management = evaluate(
        org_set, Call("organizations:LeaveOrganization", "us-east-1", "111111111111")
    )
    assert (management.allowed, management.scp_applies) == (True, False)
    role = (
        "arn:aws:iam::333333333333:role/aws-service-role/ops.apigateway.amazonaws.com/"
        "AWSServiceRoleForAPIGateway"
    )
    linked = evaluate(
        org_set, Call("organizations:LeaveOrganization", "us-east-1", "333333333333", role)
    )
    assert (linked.allowed, linked.scp_applies) == (True, False)


def test_cached_decisions_follow_the_context(org_set) -> None:
    dev = Call(
        "ec2:RunInstances", "ap-southeast-2", "333333333333", "arn:aws:iam::333333333333:role/Dev"
    )
    glass = Call(
        "ec2:RunInstances",
        "ap-southeast-2",
        "333333333333",
        "arn:aws:iam::333333333333:role/BreakGlass",
    )
    for _ in range(2):
        assert evaluate(org_set, dev).deny_type == "explicit"
        assert evaluate(org_set, glass).allowed
        assert evaluate(org_set, Call("ec2:RunInstances", "eu-west-1", "333333333333")).allowed


def test_statement_matches_action(org_set) -> None:
    guard = org_set.policies["region.json"].statements[0]
    assert statement_matches_action(guard, "ec2:RunInstances")
    assert not statement_matches_action(guard, "IAM:CreateRole")
    allow = org_set.policies["workloads.json"].statements[0]
    assert statement_matches_action(allow, "ssm:DescribeParameters")
    assert not statement_matches_action(allow, "ssm:GetParameter")


def test_policy_set_errors_are_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.json").write_text('{"Version": "2012-10-17",\n  "Statement": [ // x\n]}')
    broken = re.escape(f"{folder / 'broken.json'}:2:18: invalid JSON: ")
    with pytest.raises(PolicyError, match=f"^{broken}") as raised:
        load_policy_set(folder)
    message = str(raised.value)
    assert message.endswith("(a comment: JSON and AWS policies allow none)")
    assert "\n" not in message
    org = dict(ORG, policies={"full.json": {"id": "p-1", "targets": ["ou-nowhere"]}})
    write_set(tmp_path / "org", {"full.json": policy(FULL_ACCESS)}, org)
    with pytest.raises(
        PolicyError, match=r"organization.json: policies.full.json.targets: 'ou-nowhere'"
    ):
        load_policy_set(tmp_path / "org")
    with pytest.raises(PolicyError, match="not a folder"):
        load_policy_set(tmp_path / "missing")


def test_rcps_are_set_aside(tmp_path: Path) -> None:
    rcp = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    policy_set = load_policy_set(
        write_set(tmp_path / "p", {"full.json": policy(FULL_ACCESS), "rcp.json": rcp})
    )
    assert [p.name for p in policy_set.rcps] == ["rcp.json"]
    assert [w.message for w in policy_set.warnings] == [
        "a resource control policy (RCP): set aside, not evaluated as an SCP"
    ]
    assert evaluate(policy_set, Call("s3:GetObject", "eu-west-1")).allowed


def test_alike_calls_share_one_decision(org_set) -> None:
    # Neither prefix is on the Workloads allow-list: the same statements match both actions.
    pipes = evaluate(org_set, Call("pipes:CreatePipe", "eu-west-1", "222222222222"))
    scheduler = evaluate(org_set, Call("scheduler:CreateSchedule", "eu-west-1", "222222222222"))
    assert pipes is scheduler
    signature = org_set.action_signature
    assert signature("pipes:CreatePipe") == signature("scheduler:CreateSchedule")
    assert signature("events:PutRule") != signature("pipes:CreatePipe")
    assert evaluate(org_set, Call("events:PutRule", "eu-west-1", "222222222222")).allowed
    # the region guard reads the region: another region is another decision
    elsewhere = evaluate(org_set, Call("pipes:CreatePipe", "us-west-2", "222222222222"))
    assert elsewhere is not pipes
