"""Edges of the evaluator that mutation testing showed unpinned (docs/testing.md): ARN parts,
networks, dates, policy variables, three-valued logic, the decisions' fields, action patterns."""

from pathlib import Path

import pytest

from recommender.atomic import write_files
from recommender.models import Category, Denial, Finding, Verdict
from recommender.propose import _covers
from recommender.scp.conditions import Context, not3
from recommender.scp.evaluate import Call, Decision, arn_account, evaluate, match_statement
from recommender.scp.patterns import ActionMatcher
from recommender.scp.policyset import load_policy_set
from tests.test_scp_conditions import check
from tests.test_scp_evaluate import ORG, policy, write_set

ROLE = "arn:aws:iam::222222222222:role/team/Dev"


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        # The resource part may hold colons; the first five parts are matched one by one.
        ("arn:aws:logs:*:*:log-group:/app:*", "arn:aws:logs:eu-west-1:2:log-group:/app:x", True),
        ("arn:aws:logs:*:*:log-group:/app", "arn:aws:logs:eu-west-1:2:log-group:/app:x", False),
        ("arn:aws:iam::*:role/*", "arn:aws:iam::222222222222:role/a:b", True),
        ("arn:aws:iam::?22222222222:role/*", "arn:aws:iam::222222222222:role/x", True),
        ("arn:aws:iam::?:role/*", "arn:aws:iam::222222222222:role/x", False),
        ("arn:aws:iam::*:role/Dev", "arn:aws:iam::2:role/Dev", True),
        ("arn:aws:iam::*:role/Dev", "arn:aws:iam::2:extra:role/Dev", False),
        ("arn:aws:iam::1*:role/Dev", "arn:aws:iam::2:role/Dev", False),
        # A value of fewer than six parts matches nothing, except a lone `*`.
        ("*", ROLE, True),
        ("**", ROLE, True),
        ("arn:aws:iam::*", ROLE, False),
        ("*:*", ROLE, False),
    ],
)
def test_arn_like_matches_part_by_part(pattern: str, arn: str, expected: bool) -> None:
    context = {"aws:principalarn": (arn,)}
    assert check("ArnLike", "aws:PrincipalArn", [pattern], context) is expected


@pytest.mark.parametrize(
    ("networks", "address", "expected"),
    [
        (["10.0.0.1/8"], "10.200.0.1", True),  # host bits set: still the /8 network
        (["not a network", "10.0.0.0/8"], "10.1.2.3", True),
        (["10.0.0.0/8"], "not an address", False),
        (["10.0.0.0/8"], "11.0.0.1", False),
    ],
)
def test_ip_address_networks(networks: list[str], address: str, expected: bool) -> None:
    context = {"aws:sourceip": (address,)}
    assert check("IpAddress", "aws:SourceIp", networks, context) is expected


@pytest.mark.parametrize(
    ("bound", "moment", "expected"),
    [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:30:00+01:00", True),  # 23:30 UTC
        ("2026-01-01T00:00:00", "2025-12-31T23:30:00Z", True),  # no zone: UTC
        ("2026-01-01T00:00:00+01:00", "2025-12-31T23:30:00Z", False),
    ],
)
def test_dates_without_a_zone_are_utc_and_z_is_utc(bound: str, moment: str, expected: bool) -> None:
    context = {"aws:currenttime": (moment,)}
    assert check("DateLessThan", "aws:CurrentTime", [bound], context) is expected


def test_policy_variables_their_defaults_and_wildcard_values() -> None:
    known = {"aws:principalarn": (ROLE,), "aws:principalaccount": ("222222222222",)}
    like = ["arn:aws:iam::${aws:PrincipalAccount}:role/*"]
    assert check("StringLike", "aws:PrincipalArn", like, known) is True
    with_default = ["arn:aws:iam::${aws:PrincipalAccount, 'x'}:role/team/Dev"]
    assert check("StringEquals", "aws:PrincipalArn", with_default, known) is True
    escaped = ["arn:aws:iam::${aws:PrincipalAccount}:role/team/De${?}"]
    assert check("StringLike", "aws:PrincipalArn", escaped, known) is True
    # A request value holding a wildcard character is not substituted: the answer is unknown.
    for wildcard in ("*", "?"):
        odd = {"aws:principalarn": (ROLE,), "aws:principalaccount": (f"2{wildcard}",)}
        assert check("StringEquals", "aws:PrincipalArn", like, odd) is None
    unknown = {"aws:principalarn": (ROLE,)}
    assert check("StringEquals", "aws:PrincipalArn", like, unknown) is None
    # An unknown variable beside a known value: a match decides, no match is unknown.
    two = [ROLE, "arn:aws:iam::${aws:PrincipalAccount}:role/x"]
    assert check("StringEquals", "aws:PrincipalArn", two, unknown) is True


def test_an_empty_request_set_under_for_any_value() -> None:
    empty: Context = {"aws:tagkeys": ()}
    assert check("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], empty) is False
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["a"], empty) is False
    assert check("ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], empty) is True
    assert not3(None) is None and not3(True) is False and not3(False) is True


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        (ROLE, "222222222222"),
        ("arn:aws:s3:::bucket/key:with:colons", None),
        ("arn:aws:iam::222222222222:role/a:b", "222222222222"),
        ("arn:aws:iam::222222222222", None),
        ("not an arn", None),
        ("", None),
        (None, None),
    ],
)
def test_the_account_of_an_arn(arn: str | None, account: str | None) -> None:
    assert arn_account(arn) == account


@pytest.fixture
def org_set(tmp_path: Path):
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    files = {"full.json": policy(allow), "guard.json": policy(allow, deny)}
    attached = {"full.json": {"id": "p-1", "targets": ["r-ab12"]}}
    attached["guard.json"] = {"id": "p-2", "targets": ["r-ab12"]}
    org = dict(ORG, policies=attached)
    return load_policy_set(write_set(tmp_path / "org", files, org))


def test_decisions_say_whether_scps_apply_and_why_not(org_set) -> None:
    for call, note in [
        (Call("s3:DeleteBucket", "eu-west-1", "111111111111"), "management account"),
        (
            Call("s3:DeleteBucket", "eu-west-1", "3", "arn:aws:iam::3:role/aws-service-role/x/y"),
            "service-linked role",
        ),
    ]:
        assert evaluate(org_set, call) == Decision(
            True, None, True, (), False, (f"{note}: SCPs do not apply",)
        )
    # The account's own levels attach nothing: an implicit deny, unless the root's Deny matches.
    for action, deny_type in [("s3:DeleteBucket", "explicit"), ("s3:GetObject", "implicit")]:
        decision = evaluate(org_set, Call(action, "eu-west-1", "222222222222"))
        assert (decision.allowed, decision.deny_type) == (False, deny_type)
        assert (decision.scp_applies, decision.certain) == (True, True)
        assert decision.notes == ()


def test_match_statement_reads_the_statements_conditions(org_set) -> None:
    level = evaluate(org_set, Call("s3:GetObject", "eu-west-1", "222222222222")).levels[0]
    [guard] = [p for p in level.level.policies if p.name == "guard.json"]
    _, deny = guard.statements
    found = match_statement(deny, level.level, {})
    assert found is not None and (found.statement, found.level, found.match) == (
        deny,
        level.level,
        "yes",
    )
    assert found.why_maybe() == ""


def test_why_maybe_names_both_reasons(tmp_path: Path) -> None:
    scoped = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1", "aws:SourceVpce": "vpce-1"}},
    }
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    policy_set = load_policy_set(write_set(tmp_path / "p", {"p.json": policy(allow, scoped)}))
    decision = evaluate(policy_set, Call("s3:GetObject", "eu-west-1"))
    assert (decision.allowed, decision.scp_applies, decision.certain) == (True, True, False)
    [maybe] = decision.maybe
    assert maybe.why_maybe() == (
        "it applies to some resources only and the call names none; "
        "it depends on aws:SourceVpc, aws:SourceVpce, not known from CloudTrail"
    )


def test_several_patterns_under_one_prefix_or_with_a_wildcard_prefix() -> None:
    matcher = ActionMatcher(("ec2:Describe*", "ec2:Get*", "s3:Get*", "*:List*", "iam:Pass?ole"))
    for action in ("ec2:describeinstances", "ec2:getconsoleoutput", "sqs:listqueues"):
        assert matcher.matches(action), action
    for action in ("ec2:runinstances", "sqs:sendmessage", "iam:passrole2"):
        assert not matcher.matches(action), action
    assert matcher.matches("iam:passrole")


def test_files_are_replaced_with_their_mode_bytes_and_line_ends(tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("{}\n", encoding="utf-8")
    kept.chmod(0o640)
    new = tmp_path / "new.json"
    texts = {kept: '{\r\n  "Sid": "Zürich"\r\n}\r\n', new: "{}\n"}

    write_files(texts)

    assert kept.read_bytes() == texts[kept].encode("utf-8")
    assert (kept.stat().st_mode & 0o777, new.read_text(encoding="utf-8")) == (0o640, "{}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.json", "new.json"]


def test_a_declined_value_covers_the_action_or_region_in_any_letter_case() -> None:
    row = Denial(
        event_source="ec2.amazonaws.com",
        event_name="RunInstances",
        count=1,
        region="ap-southeast-2",
    )
    verdict = Verdict(Category.NEW_REGION, "region-guard.json", "#0", "not an allowed region")
    finding = Finding(row, verdict, "ec2:RunInstances", ("222222222222",))
    for value, covered in [("AP-SOUTHEAST-2", True), ("EC2:RUNINSTANCES", True), ("", False)]:
        assert _covers(value, finding) is covered, value
