"""Fuzz target: the policy loader and validator (recommender/scp/: parse, jsonpos, validate,
organization, policyset).

On any bytes, any text and any JSON document (policy-shaped or not, in `policies/*.json` and in
`organization.json`), reading and validating return problems and loading raises only the
project's own errors: never another exception, which would reach the user as a traceback. A
policy set that loads is also evaluated once, which compiles every statement's patterns and
conditions.
"""

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.errors import RecommenderError
from recommender.models import Denial
from recommender.scp.organization import FILE_NAME
from recommender.scp.parse import STATEMENT_ELEMENTS, TOP_LEVEL, parse_policy
from recommender.scp.policyset import load_policy_set
from recommender.scp.validate import validate_paths

CATALOG = load_catalog()
ROW = Denial(
    event_source="s3.amazonaws.com",
    event_name="GetObject",
    count=1,
    region="eu-west-1",
    account_id="222222222222",
    principals=("arn:aws:iam::222222222222:role/dev",),
)
# Strings that mean something to the loader, mixed with arbitrary ones.
WORDS = [
    "Allow", "Deny", "*", "s3:*", "s3:Get*", "ec2:?un*", "2012-10-17", "2008-10-17",
    "StringNotEquals", "ForAnyValue:StringLike", "StringEqualsIfExists", "Null", "Bool",
    "aws:RequestedRegion", "aws:PrincipalArn", "ArnNotLike", "NumericLessThan", "DateGreaterThan",
    "IpAddress", "eu-west-1", "arn:aws:iam::*:role/x", "${aws:PrincipalTag/team}", "r-ab12",
    "ou-ab12-x", "222222222222", "p.json", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(WORDS), inner, max_size=4)
    ),
    max_leaves=24,
)
conditions = st.dictionaries(
    st.sampled_from(WORDS) | st.text(max_size=8),
    st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), json_values, max_size=3)
    | json_values,
    max_size=3,
)
statement = st.dictionaries(
    st.sampled_from([*STATEMENT_ELEMENTS, "Other"]),
    json_values | st.sampled_from(WORDS) | st.lists(st.sampled_from(WORDS), max_size=4),
    max_size=7,
).flatmap(
    lambda found: st.one_of(st.just(found), conditions.map(lambda c: {**found, "Condition": c}))
)
policies = st.dictionaries(
    st.sampled_from([*TOP_LEVEL, "Other"]),
    json_values | st.lists(statement, max_size=4) | statement,
    max_size=4,
)
organizations = st.fixed_dictionaries(
    {},
    optional={
        "management_account": json_values,
        "root": json_values,
        "ous": st.dictionaries(st.sampled_from(WORDS), json_values, max_size=3) | json_values,
        "accounts": st.dictionaries(st.sampled_from(WORDS), json_values, max_size=3) | json_values,
        "policies": st.dictionaries(st.just("p.json"), json_values, max_size=1) | json_values,
    },
)


def documents(shapes: st.SearchStrategy[object]) -> st.SearchStrategy[bytes]:
    """The shape as a file: JSON (any indent, ASCII or not), maybe damaged or re-encoded."""
    text = st.builds(
        lambda value, indent, ascii_only: json.dumps(value, indent=indent, ensure_ascii=ascii_only),
        shapes,
        st.none() | st.integers(0, 4),
        st.booleans(),
    )
    return st.one_of(
        text.map(str.encode),
        st.tuples(text, st.integers(0, 200), st.text(max_size=3)).map(
            lambda damage: (damage[0][: damage[1]] + damage[2]).encode()
        ),
        text.map(lambda document: ("\ufeff" + document).encode("utf-16")),
    )


# Nesting past any recursion limit, closed or not.
depths = st.integers(1, 100_000) | st.sampled_from([1_000, 100_000])
deep = st.tuples(depths, st.sampled_from(["[", '{"a":', '{"Statement":[']), st.booleans()).map(
    lambda nesting: (nesting[1] * nesting[0] + ("]" * nesting[0] if nesting[2] else "")).encode()
)
policy_files = st.binary(max_size=200) | st.text().map(str.encode) | deep | documents(policies)
organization_files = st.none() | deep | documents(organizations) | documents(json_values)


def load_everything(folder: Path) -> None:
    report = validate_paths([folder], CATALOG)
    assert all(problem.message for problem in report.problems)
    try:
        policy_set = load_policy_set(folder)
    except RecommenderError as error:
        assert str(error) and "\n" not in str(error)
        return
    Classifier(policy_set, CATALOG).classify_all([ROW])


@settings(deadline=None)
@given(policy_files, organization_files)
def test_any_policy_folder_loads_or_says_why(policy, organization):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "p.json").write_bytes(policy)
        if organization is not None:
            (folder / FILE_NAME).write_bytes(organization)
        load_everything(folder)


@settings(deadline=None)
@given(st.text() | documents(policies).map(lambda data: data.decode("utf-8", "replace")))
def test_any_text_parses_to_a_policy_or_problems(text):
    parsed = parse_policy(Path("p.json"), text)
    assert parsed.policy is not None or parsed.problems
