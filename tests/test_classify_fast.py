"""The classifier's fast paths read and build exactly what the general ones do: `read_denial`
against `parse_message`, on the real messages and on every form (and near-miss) the fast
reader matches."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.messages import parse_message, read_denial
from recommender.models import replace_row
from recommender.scp.policyset import load_policy_set
from tests import scenarios as sc

USER = "arn:aws:sts::111122223333:assumed-role/Dev/alice"
RESOURCE = "arn:aws:pipes:eu-west-1:111122223333:pipe/p1"
POLICY_ARN = "arn:aws:organizations::111111111111:policy/o-abc/service_control_policy/p-1"


def facts(message: str | None, error_code: str | None = None) -> tuple[object, ...]:
    parsed = parse_message(message, error_code)
    return parsed.policy_type, parsed.explicit, parsed.action, parsed.principal_arn


MESSAGES = [
    sc.scp_explicit(USER, "pipes:CreatePipe"),
    sc.scp_explicit(USER, "pipes:CreatePipe", RESOURCE),
    sc.scp_explicit(USER, "pipes:CreatePipe", RESOURCE, POLICY_ARN),
    sc.scp_explicit(USER, "pipes:CreatePipe", None, POLICY_ARN + "."),
    sc.scp_implicit(USER, "pipes:CreatePipe"),
    sc.identity_implicit(USER, "pipes:CreatePipe", RESOURCE),
    sc.ec2_encoded(USER, "ec2:RunInstances", RESOURCE),
    sc.ec2_encoded(USER, "ec2:RunInstances", RESOURCE, "with an explicit deny in a session"),
    # near misses: each falls back to the general reader, which must still be followed
    sc.scp_explicit(USER, "xxxx"),
    sc.scp_explicit(USER, "pipes:CreatePipe.", RESOURCE),
    sc.scp_implicit(USER, "pipes:CreatePipe").replace("allows the pipes", "allows the x"),
    f"User: {USER} is not authorized to perform: a:B with an explicit deny IN A session policy",
    f"User: {USER} is not authorized to perform: a:B with an explicit deny in a Session Policy",
    f"User: {USER} is not authorized to perform: a:B with an explicit deny",
    f"User: {USER} is not authorized to perform: a:B because no identity-based policy allows",
    f"User: {USER}] is not authorized to perform: a:B with an explicit deny in a session policy",
    f"User:  {USER} is not authorized to perform: a:B with an explicit deny in a session policy",
    f"User: {USER} is not authorized to perform: a:B\twith an explicit deny in a session policy",
    f"User: {USER} is not authorized to perform: a:B because no session policy allows the c:D "
    "action with an explicit deny in a service control policy",
    f"User: {USER} is not authorized to perform: a:B on resource: r with an explicit deny in a "
    "session policy: not-an-arn",
    f"Principal [{USER}] is not allowed to execute [kms:Decrypt] on the resource",
    "Access Denied",
    "",
    None,
]


@pytest.mark.parametrize("message", MESSAGES)
def test_read_denial_reads_what_parse_message_reads(message: str | None) -> None:
    for error_code in (None, "AccessDenied", "VpceAccessDenied"):
        assert read_denial(message, error_code) == facts(message, error_code)


WORD = st.text(st.sampled_from("aB:*-.,;]/ \t"), max_size=8)
PHRASE = st.sampled_from(
    [
        " with an explicit deny in a service control policy",
        " with an explicit deny in an identity-based policy",
        " with an explicit deny in a VPC endpoint Policy",
        " with an explicit deny",
        " because no service control policy allows the ",
        " because no Permissions Boundary allows the ",
        " action",
        " on resource: ",
        ": arn:",
        ". Encoded authorization failure message: ",
        "You are not authorized to perform this operation. ",
        "User: arn:",
        " is not authorized to perform: ",
        "s3:GetObject",
    ]
)


@given(st.lists(st.one_of(WORD, PHRASE), max_size=12))
def test_read_denial_on_pieces_of_the_forms(pieces: list[str]) -> None:
    message = "".join(pieces)
    assert read_denial(message) == facts(message)


TOKEN = st.text(st.sampled_from("aB:*-.,;]/\t"), min_size=1, max_size=8)
TYPE = st.sampled_from(["a service control policy", "an identity-based Policy", "a session"])


@given(
    st.sampled_from(["", "You are not authorized to perform this operation. "]),
    TOKEN,
    TOKEN,
    st.one_of(st.just(""), TOKEN.map(" on resource: {}".format)),
    st.one_of(
        TYPE.map(" with an explicit deny in {}".format),
        st.tuples(TYPE, TOKEN).map(" with an explicit deny in {0[0]}: arn:{0[1]}".format),
        st.tuples(TYPE, TOKEN).map(" because no {0[0]} allows the {0[1]} action".format),
    ),
    st.sampled_from(["", ".", ". ", " ", ". Encoded authorization failure message: x"]),
)
def test_read_denial_on_the_common_forms(
    preamble: str, principal: str, action: str, resource: str, phrase: str, end: str
) -> None:
    message = (
        f"{preamble}User: arn:{principal} is not authorized to perform: s3:{action}"
        f"{resource}{phrase}{end}"
    )
    assert read_denial(message) == facts(message)


@pytest.mark.shared_data
def test_read_denial_on_the_real_messages(shared_data: Path) -> None:
    curated = shared_data / "_curated"
    items = json.loads((curated / "scp_denial_messages_from_public_issues.json").read_text())
    records = json.loads((curated / "denied_events_combined.json").read_text())["Records"]
    pairs = [(item["message"], item.get("errorCode")) for item in items["items"]]
    pairs += [(record.get("errorMessage"), record.get("errorCode")) for record in records]
    for message, error_code in pairs:
        assert read_denial(message, error_code) == facts(message, error_code), message


def test_unknown_keys_differing_only_in_case_are_named_in_one_order(tmp_path: Path) -> None:
    """The order was the set's, which changes with the string hash seed from run to run."""
    statements = [
        {
            "Sid": sid,
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"ArnNotLike": {key: "arn:aws:iam::*:role/break-glass"}},
        }
        for sid, key in (("A", "aws:PrincipalArn"), ("B", "aws:PrincipalARN"))
    ]
    files = {"full-aws-access.json": sc.FULL_AWS_ACCESS, "exempt.json": sc.policy(*statements)}
    policies = sc.Scenario("case", files, ()).write(tmp_path)
    classifier = Classifier(load_policy_set(policies), load_catalog())
    # no caller named: the principal conditions cannot be evaluated
    row = replace_row(sc.scp_denial("s3:GetObject"), principals=(), error_message="Access Denied")
    notes = {note for finding in classifier.classify(row) for note in finding.checks_skipped}
    assert "conditions on aws:PrincipalARN, aws:PrincipalArn: not known from CloudTrail" in notes
