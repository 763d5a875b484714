"""Condition operators, one family at a time, as the IAM User Guide defines them."""

import pytest

from recommender.scp.conditions import Context, evaluate_condition
from recommender.scp.model import Condition
from recommender.scp.operators import parse_operator, spelled_like

REGION = {"aws:requestedregion": ("eu-west-1",)}


def check(operator: str, key: str, values: list[str], context: Context) -> bool | None:
    return evaluate_condition(Condition(operator, key, tuple(values)), context)


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("StringEquals", ["eu-west-1", "eu-central-1"], True),
        ("StringEquals", ["EU-WEST-1"], False),
        ("StringNotEquals", ["eu-west-1", "eu-central-1"], False),
        ("StringNotEquals", ["us-east-1"], True),
        ("StringEqualsIgnoreCase", ["EU-WEST-1"], True),
        ("StringNotEqualsIgnoreCase", ["EU-WEST-1"], False),
        ("StringLike", ["eu-*"], True),
        ("StringLike", ["eu-west-?"], True),
        ("StringLike", ["EU-*"], False),
        ("StringNotLike", ["us-*", "ap-*"], True),
        ("StringNotLike", ["us-*", "eu-*"], False),
    ],
)
def test_string_operators(operator: str, values: list[str], expected: bool) -> None:
    assert check(operator, "aws:RequestedRegion", values, REGION) is expected


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("ArnLike", "arn:aws:iam::*:role/Admin*", True),
        ("ArnEquals", "arn:aws:iam::*:role/AdminRole", True),
        ("ArnLike", "arn:aws:iam::*:role/Other", False),
        ("ArnNotLike", "arn:aws:iam::*:role/Other", True),
        ("ArnNotEquals", "arn:aws:iam::111111111111:role/AdminRole", False),
        # a wildcard in the account part does not reach across the colons of the ARN
        ("ArnLike", "arn:aws:iam::*/AdminRole", False),
        ("ArnLike", "arn:aws:iam::*:role/*", True),
    ],
)
def test_arn_operators(operator: str, value: str, expected: bool) -> None:
    context = {"aws:principalarn": ("arn:aws:iam::111111111111:role/AdminRole",)}
    assert check(operator, "aws:PrincipalArn", [value], context) is expected


def test_condition_keys_are_case_insensitive() -> None:
    context = {"aws:principalarn": ("arn:aws:iam::111111111111:role/AdminRole",)}
    assert check("ArnLike", "aws:PrincipalARN", ["arn:aws:iam::*:role/AdminRole"], context)


def test_bool_null_numeric_date_ip_binary() -> None:
    context = {
        "aws:securetransport": ("true",),
        "aws:multifactorauthage": ("300",),
        "aws:currenttime": ("2026-11-20T10:00:00Z",),
        "aws:sourceip": ("10.1.2.3",),
        "aws:binary": ("QmluYXJ5",),
        "aws:absent": (),
    }
    assert check("Bool", "aws:SecureTransport", ["True"], context) is True
    assert check("Bool", "aws:SecureTransport", ["false"], context) is False
    assert check("Null", "aws:Absent", ["true"], context) is True
    assert check("Null", "aws:SecureTransport", ["true"], context) is False
    assert check("Null", "aws:SecureTransport", ["false"], context) is True
    assert check("NumericLessThan", "aws:MultiFactorAuthAge", ["3600"], context) is True
    assert check("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", ["301"], context) is False
    assert check("NumericEquals", "aws:MultiFactorAuthAge", ["not a number"], context) is False
    assert check("DateLessThan", "aws:CurrentTime", ["2027-01-01T00:00:00Z"], context) is True
    assert check("DateGreaterThan", "aws:CurrentTime", ["2027-01-01"], context) is False
    assert check("IpAddress", "aws:SourceIp", ["10.0.0.0/8"], context) is True
    assert check("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.0.2.0/24"], context) is False
    assert check("BinaryEquals", "aws:Binary", ["QmluYXJ5"], context) is True


def test_missing_key_positive_false_negated_true_if_exists_true() -> None:
    absent = {"aws:principaltag/team": ()}
    assert check("StringEquals", "aws:PrincipalTag/team", ["a"], absent) is False
    assert check("StringNotEquals", "aws:PrincipalTag/team", ["a"], absent) is True
    assert check("StringEqualsIfExists", "aws:PrincipalTag/team", ["a"], absent) is True
    assert check("StringNotEqualsIfExists", "aws:PrincipalTag/team", ["a"], absent) is True
    # IfExists changes nothing when the key is present
    assert check("StringEqualsIfExists", "aws:RequestedRegion", ["us-east-1"], REGION) is False


def test_set_operators() -> None:
    tags = {"aws:tagkeys": ("team", "cost-center")}
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], tags) is True
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["team"], tags) is False
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["team", "cost-center"], tags)
    assert check("ForAnyValue:StringNotLike", "aws:TagKeys", ["team"], tags) is True
    assert check("ForAllValues:StringNotEquals", "aws:TagKeys", ["owner"], tags) is True
    assert check("ForAnyValue:StringLike", "aws:TagKeys", ["cost-*"], tags) is True
    empty = {"aws:tagkeys": ()}
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["team"], empty) is True
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], empty) is False
    assert check("ForAnyValue:StringNotLikeIfExists", "aws:TagKeys", ["x"], empty) is True


def test_unknown_key_is_never_guessed() -> None:
    assert check("StringNotEqualsIfExists", "aws:SourceVpc", ["vpc-1"], REGION) is None
    assert check("StringEquals", "aws:RequestedRegion", ["eu-west-1"], {}) is None


def test_policy_variables_are_substituted_when_known() -> None:
    context = {
        "aws:principalarn": ("arn:aws:iam::111111111111:role/Admin",),
        "aws:principalaccount": ("111111111111",),
    }
    value = "arn:aws:iam::${aws:PrincipalAccount}:role/Admin"
    assert check("ArnEquals", "aws:PrincipalArn", [value], context) is True
    assert check("ArnNotEquals", "aws:PrincipalArn", [value], context) is False
    without_account = {"aws:principalarn": context["aws:principalarn"]}
    assert check("ArnEquals", "aws:PrincipalArn", [value], without_account) is None
    # another value matching settles it even while the variable is not known
    assert check("ArnLike", "aws:PrincipalArn", [value, "arn:aws:iam::*:role/*"], without_account)


def test_operator_names() -> None:
    parsed = parse_operator("ForAnyValue:StringNotLikeIfExists")
    assert parsed is not None
    assert (parsed.base, parsed.negated, parsed.if_exists, parsed.set_qualifier) == (
        "StringNotLike",
        True,
        True,
        "ForAnyValue",
    )
    assert parse_operator("NullIfExists") is None
    assert parse_operator("StringEqualz") is None
    assert parse_operator("ForSomeValues:StringEquals") is None
    assert parse_operator("stringequals") is None
    assert spelled_like("stringequals") == "StringEquals"
    assert spelled_like("StringEqualz") is None
