"""Reading policy files: every structural problem reported with its line and column."""

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.scp.parse import parse_policy

FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def parse(document: object | str, name: str = "p.json"):
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    return parse_policy(Path(name), text)


def messages(document: object | str) -> list[str]:
    return [str(problem) for problem in parse(document).problems]


def statement(**elements: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [elements]}


def test_a_valid_scp_is_read_with_everything_kept() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "DenyOutsideEU",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*"],
                    "Resource": "*",
                    "Condition": {
                        "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-north-1"]},
                        "ForAnyValue:StringNotLikeIfExists": {"aws:TagKeys": "x*"},
                        "Bool": {"aws:ViaAWSService": False},
                    },
                },
            ],
        },
        indent=2,
    )
    parsed = parse_policy(Path("policies/region-guard.json"), text)
    assert parsed.problems == []
    policy = parsed.policy
    assert policy is not None
    assert (policy.name, policy.kind, policy.text) == ("region-guard.json", "scp", text)
    first, second = policy.statements
    assert (first.label, first.actions, first.resources) == ("#0", ("*",), ("*",))
    assert second.label == "DenyOutsideEU"
    assert second.not_actions == ("iam:*", "sts:*")
    assert second.actions is None
    assert [(c.operator, c.key, c.values) for c in second.conditions] == [
        ("StringNotEquals", "aws:RequestedRegion", ("eu-west-1", "eu-north-1")),
        ("ForAnyValue:StringNotLikeIfExists", "aws:TagKeys", ("x*",)),
        ("Bool", "aws:ViaAWSService", ("false",)),
    ]
    assert (second.line, second.column) == (9, 5)


def test_a_comment_is_invalid_json_with_line_and_column() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    // no comments\n  ]\n}\n'
    parsed = parse(text)
    assert parsed.policy is None
    [problem] = parsed.problems
    assert (problem.severity, problem.line, problem.column) == ("error", 4, 5)
    assert "invalid JSON" in problem.message
    assert "comment" in problem.message


def test_an_unquoted_placeholder_is_invalid_json() -> None:
    text = '{"Version": "2012-10-17",\n "Statement": {"Effect": "Deny", "Action": ${ACTIONS}}}'
    [problem] = parse(text).problems
    assert (problem.line, problem.column) == (2, 44)
    # The standard library refuses it too, at the same place.
    with pytest.raises(json.JSONDecodeError, match=r"^Expecting value: line 2 column 44 "):
        json.loads(text)
    assert "placeholder" in problem.message


def test_missing_statement_and_version() -> None:
    found = messages({"Id": "x"})
    assert any('error: missing "Statement"' in message for message in found)
    assert any('warning: missing "Version"' in message for message in found)
    assert any("Version must be" in m for m in messages({"Version": "2020-01-01", "Statement": []}))


def test_effect_action_and_resource_rules() -> None:
    found = messages(statement(Effect="allow", Action="*", NotAction="s3:*", Resource="*"))
    assert any('Effect must be "Allow" or "Deny"' in message for message in found)
    assert any("Action and NotAction cannot be used together" in message for message in found)
    found = messages(statement(Effect="Deny", Resource="*", NotResource="x"))
    assert any("missing Action or NotAction" in message for message in found)
    assert any("Resource and NotResource cannot be used together" in message for message in found)
    assert any(
        '"s3" is not "service:action"' in m
        for m in messages(statement(Effect="Deny", Action="s3", Resource="*"))
    )


def test_allow_statements_take_the_full_language_since_2025() -> None:
    allow = statement(
        Effect="Allow",
        NotAction="iam:*",
        NotResource="arn:aws:s3:::secret/*",
        Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    )
    assert messages(allow) == []


def test_principal_in_an_scp_is_an_error() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        ],
    }
    parsed = parse(document)
    assert parsed.policy is not None and parsed.policy.kind == "scp"
    [problem] = parsed.problems
    assert "Principal is not allowed in an SCP" in problem.message
    assert problem.message.startswith("Statement[1]:")


def test_an_rcp_is_recognised() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnforceOrgIdentities",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:*", "sts:AssumeRole"],
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
            }
        ],
    }
    parsed = parse(document)
    assert parsed.problems == []
    assert parsed.policy is not None and parsed.policy.kind == "rcp"
    assert parsed.policy.statements[0].has_principal


def test_rcp_rules() -> None:
    document = statement(Effect="Allow", Principal="*", NotAction="s3:*", Resource="*")
    found = messages(document)
    assert any("only AWS's RCPFullAWSAccess allows" in message for message in found)
    assert any("RCPs do not support NotAction" in message for message in found)


def test_condition_operators_are_checked() -> None:
    document = statement(
        Effect="Deny",
        Action="*",
        Resource="*",
        Condition={
            "StringEqualz": {"aws:RequestedRegion": "x"},
            "stringequals": {"aws:RequestedRegion": "x"},
            "NullIfExists": {"aws:TagKeys": "true"},
            "ForAllValues:ArnNotLikeIfExists": {"aws:PrincipalArn": "x"},
        },
    )
    found = messages(document)
    assert sum("unknown condition operator" in message for message in found) == 2
    assert any('"stringequals" is spelled "StringEquals"' in message for message in found)
    assert len(found) == 3


def test_duplicate_keys_and_sids_are_warned() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": ['
        '{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Action": "ec2:*", "Resource": "*"},'
        '{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}'
    )
    found = messages(text)
    assert any('duplicate key "Action"' in message for message in found)
    assert any('Statement[1] "A": the Sid repeats' in message for message in found)
    assert all(": warning: " in message for message in found)


def test_windows_line_endings_are_kept(tmp_path: Path) -> None:
    from recommender.scp.parse import read_policy

    path = tmp_path / "crlf.json"
    path.write_bytes(json.dumps(FULL_ACCESS, indent=2).replace("\n", "\r\n").encode())
    parsed = read_policy(path)
    assert parsed.problems == []
    assert parsed.policy is not None
    assert parsed.policy.text.count("\r\n") == parsed.policy.text.count("\n") > 0
    assert parsed.policy.size == len(path.read_bytes())
    assert (parsed.policy.statements[0].line, parsed.policy.statements[0].column) == (4, 5)
