"""The classifier: every category, with its exact proposal, from SCP denials in the real shapes.

Scenarios (policy sets and rows) live in tests/scenarios.py; this file checks the findings they
yield, the real SCP messages, and every real denied record in ../shared/data.
"""

import gc
import json
import re
import weakref
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.messages import PolicyType, parse_message
from recommender.models import Category, Denial, Finding, Proposal, replace_row
from recommender.scp.policyset import PolicySet, load_policy_set
from tests import scenarios as sc
from tests.scenarios import Case, Scenario, expectations

ROOT = Path(__file__).resolve().parents[1]
DENIAL_CODES = re.compile(r"AccessDenied|Unauthorized|Forbidden")

SCENARIOS = sc.scenarios()
CASES = [(scenario, case) for scenario in SCENARIOS for case in scenario.cases]


@pytest.fixture(scope="module")
def classifiers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Classifier]:
    folder = tmp_path_factory.mktemp("scenarios")
    return {
        scenario.name: Classifier(load_policy_set(scenario.write(folder)), load_catalog())
        for scenario in SCENARIOS
    }


def classify(classifiers: dict[str, Classifier], scenario: Scenario, row: Denial) -> list[Finding]:
    return classifiers[scenario.name].classify(row)


def case_named(scenario: Scenario, name: str) -> Case:
    return next(case for case in scenario.cases if case.name == name)


@pytest.mark.parametrize(("scenario", "case"), CASES, ids=[f"{s.name}: {c.name}" for s, c in CASES])
def test_scenario_rows_yield_exactly_the_expected_findings(classifiers, scenario, case) -> None:
    findings = classify(classifiers, scenario, case.denial)

    assert expectations(findings) == set(case.expected)
    assert len(findings) == len(case.expected)
    for finding in findings:
        assert finding.reason
        assert finding.count == case.denial.count
        assert finding.event_name == case.denial.event_name
        assert (finding.proposal is not None) == finding.category.actionable


def test_the_scenarios_cover_every_category() -> None:
    covered = {expect.category for _, case in CASES for expect in case.expected}
    # unknown-action is planned by propose.py (issue 11) before the classifier sets it; once it
    # does, its scenarios make this `covered == set(Category)` again
    assert set(Category) - {Category.UNKNOWN_ACTION} <= covered <= set(Category)


def test_a_proposal_names_file_statement_index_element_and_value(classifiers) -> None:
    scenario = sc.flat_scenario()
    case = case_named(scenario, "new-region (EC2 encoded message)")
    [finding] = classify(classifiers, scenario, case.denial)

    assert finding.proposal == Proposal(
        policy="region-guard.json",
        statement="DenyOutsideApprovedRegions",
        statement_index=0,
        element="Condition/StringNotEquals/aws:RequestedRegion",
        add="ap-southeast-2",
    )
    assert finding.action == "ec2:RunInstances"
    assert finding.policy == "region-guard.json"
    assert finding.statement == "DenyOutsideApprovedRegions"
    assert [ref.statement for ref in finding.deciding] == ["DenyOutsideApprovedRegions"]
    assert finding.deny_type == "explicit"
    assert "ap-southeast-2 is not one" in finding.reason


def test_an_allow_list_gap_names_the_level_and_the_sibling(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(scenario, "new-prefix: events allowed, pipes denied")
    [finding] = classify(classifiers, scenario, case.denial)

    assert finding.deny_type == "implicit"
    assert "OU Workloads" in finding.reason
    assert "events" in finding.reason
    assert finding.proposal is not None
    assert finding.proposal.statement_index == 0


def test_renamed_action_uses_aws_billing_map(classifiers) -> None:
    assert "aws-portal:ViewBilling" in load_catalog().renamed_from("billing:GetBillingData")
    scenario = sc.organization_scenario()
    case = case_named(
        scenario, "renamed-action: aws-portal:ViewBilling allowed, billing:GetBillingData denied"
    )
    [finding] = classify(classifiers, scenario, case.denial)

    assert finding.category is Category.RENAMED_ACTION
    assert "aws-portal:ViewBilling" in finding.reason


def test_several_causes_share_the_row(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(
        scenario,
        "several causes: a region outside the guard and a service outside the allow-list",
    )
    findings = classify(classifiers, scenario, case.denial)

    assert {f.category for f in findings} == {Category.NEW_REGION, Category.NEW_SERVICE}
    assert {f.action for f in findings} == {"bedrock:InvokeModel"}
    assert all(f.accounts == (sc.PROD,) for f in findings)


def test_a_guardrail_hit_proposes_nothing_even_where_the_allow_list_lacks_the_action(
    classifiers,
) -> None:
    scenario = sc.organization_scenario()
    row = case_named(scenario, "a guardrail hit does not also widen the allow-list").denial
    payments_list = scenario.files["payments-allow.json"]["Statement"][0]["Action"]
    assert not any(action.startswith("cloudtrail") for action in payments_list)

    findings = classify(classifiers, scenario, row)

    assert [f.category for f in findings] == [Category.GUARDRAIL]
    assert findings[0].proposal is None
    assert findings[0].statement == "ProtectCloudTrail"


def test_account_missing_from_organization_json_is_said(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(
        scenario, "account not in organization.json: the root's region guard still applies"
    )
    [finding] = classify(classifiers, scenario, case.denial)

    assert any(
        f"account {sc.UNLISTED} is not in organization.json" in note
        for note in finding.checks_skipped
    )


def test_row_without_account_is_evaluated_on_every_distinct_path(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(scenario, "row without account: every distinct path of organization.json")
    findings = classify(classifiers, scenario, case.denial)

    # Workloads (prod and dev share one chain), Payments, Sandbox; never the management account.
    for finding in findings:
        assert finding.accounts == ()
        assert "account: the row has none" in finding.checks_skipped
        assert any("each of the 3 distinct paths" in note for note in finding.checks_skipped)


def test_row_without_region_says_region_guards_were_not_checked(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(scenario, "row without region: the allow-list is still checked")
    [finding] = classify(classifiers, scenario, case.denial)

    assert finding.region is None
    assert any(note.startswith("region:") for note in finding.checks_skipped)


def test_row_without_region_names_the_region_guard_it_could_not_check(classifiers) -> None:
    scenario = sc.flat_scenario()
    [finding] = classify(classifiers, scenario, sc.scp_denial("ec2:RunInstances", None))

    assert finding.category is Category.ALREADY_ALLOWED
    assert finding.proposal is None
    assert f"unless region-guard.json {sc.REGION_GUARD_SID}" in finding.reason
    assert "aws:RequestedRegion" in finding.reason
    assert any(note.startswith("region:") for note in finding.checks_skipped)


def test_row_without_region_or_message_is_not_called_unknown(classifiers) -> None:
    """The original blog query's rows: no region, no message; nothing says an SCP denied it."""
    row = Denial(event_source="ec2.amazonaws.com", event_name="RunInstances", count=7)
    [finding] = classify(classifiers, sc.flat_scenario(), row)

    assert finding.category is Category.ALREADY_ALLOWED
    assert "another policy may have denied it" in finding.reason
    assert "unless" in finding.reason
    assert finding.count == 7


def test_the_role_not_its_session_is_matched_against_principal_exemptions(classifiers) -> None:
    """aws:PrincipalArn of an assumed role is the role's ARN; the message names the session."""
    scenario = sc.flat_scenario()
    exempt = sc.scp_denial(
        "ec2:RunInstances", "ap-southeast-2", role="OrganizationAccountAccessRole"
    )
    assert exempt.error_message is not None and ":assumed-role/" in exempt.error_message

    assert [f.category for f in classify(classifiers, scenario, exempt)] == [
        Category.ALREADY_ALLOWED
    ]
    # A row from the blog query (no sampled principals) still reads the role from the message.
    bare = replace_row(exempt, principals=())
    assert [f.category for f in classify(classifiers, scenario, bare)] == [Category.ALREADY_ALLOWED]


def test_a_role_with_a_path_keeps_it(tmp_path) -> None:
    guard = sc.region_guard()
    guard["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalARN"] = (
        "arn:aws:iam::*:role/admins/BreakGlass"
    )
    scenario = Scenario("path", {"full.json": sc.FULL_AWS_ACCESS, "guard.json": guard}, ())
    classifier = Classifier(load_policy_set(scenario.write(tmp_path)), load_catalog())
    row = sc.scp_denial("ec2:RunInstances", "ap-southeast-2", role="admins/BreakGlass")
    assert row.principals == (f"arn:aws:iam::{sc.PROD}:role/admins/BreakGlass",)

    assert [f.category for f in classifier.classify(row)] == [Category.ALREADY_ALLOWED]
    other = sc.scp_denial("ec2:RunInstances", "ap-southeast-2", role="BreakGlass")
    assert [f.category for f in classifier.classify(other)] == [Category.NEW_REGION]


def test_calls_sharing_an_explanation_keep_their_own_region_and_account_level(
    classifiers,
) -> None:
    """Explanations are shared by calls whose conditions fare alike; what names the call's
    region (a region guard's proposal) or its account's level (an allow there) stays its own."""
    flat = sc.flat_scenario()
    for region in ("ap-southeast-2", "sa-east-1", "us-west-1"):
        [finding] = classify(classifiers, flat, sc.scp_denial("ec2:RunInstances", region))
        assert finding.proposal is not None and finding.proposal.add == region
        assert finding.reason.endswith(f"{region} is not one")

    organization = sc.organization_scenario()
    for account, name in ((sc.PROD, "prod"), (sc.DEV, "dev")):
        row = sc.scp_denial("events:PutRule", "eu-west-1", account)
        [finding] = classify(classifiers, organization, row)
        assert finding.category is Category.ALREADY_ALLOWED
        assert finding.accounts == (account,)
        assert [ref.target for ref in finding.deciding] == ["Root", "Workloads", name]


def test_shared_caches_give_the_findings_a_fresh_classifier_gives(tmp_path: Path) -> None:
    """Every cache of the classifier (context classes, shared explanations rebuilt for a
    region or an account level, causes, decisions) against no sharing between rows at all, on
    the benchmark's varied rows and policy set."""
    from bench.classify import build_rows, write_policy_set

    catalog = load_catalog()
    policy_set = load_policy_set(write_policy_set(tmp_path))
    rows = build_rows(1000, catalog, per_prefix=1, seed=11)
    shared = Classifier(policy_set, catalog)

    for row in rows:
        fresh = Classifier(policy_set, catalog).classify(row)
        assert shared.classify(row) == fresh


def test_conditions_on_the_account_or_on_region_and_caller_together_split_the_calls(
    tmp_path: Path,
) -> None:
    """Conditions on aws:PrincipalAccount, and one that reads the region and the caller at
    once, decide per call: sharing gives what a fresh classifier gives."""
    guard = sc.region_guard()
    guard["Statement"].append(
        {
            "Sid": "NoEc2InDev",
            "Effect": "Deny",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": sc.DEV}},
        }
    )
    guard["Statement"].append(
        {
            "Sid": "RegionNamedInRole",
            "Effect": "Deny",
            "Action": "lambda:*",
            "Resource": "*",
            "Condition": {
                "StringNotLike": {
                    "aws:PrincipalArn": "arn:aws:iam::*:role/${aws:RequestedRegion}-*"
                }
            },
        }
    )
    scenario = Scenario(
        "account-conditions", {"full.json": sc.FULL_AWS_ACCESS, "guard.json": guard}, ()
    )
    policy_set = load_policy_set(scenario.write(tmp_path))
    catalog = load_catalog()
    shared = Classifier(policy_set, catalog)
    rows = [
        sc.scp_denial(action, region, account, role=role)
        for action in ("ec2:RunInstances", "lambda:ListFunctions", "s3:GetObject")
        for region in ("eu-west-1", "ap-southeast-2")
        for account in (sc.PROD, sc.DEV)
        for role in ("developer", "eu-west-1-deployer", sc.BREAK_GLASS_ROLE)
    ]
    categories: set[tuple[str | None, Category, str | None]] = set()
    for row in rows:
        fresh = Classifier(policy_set, catalog).classify(row)
        found = shared.classify(row)
        assert found == fresh, row
        categories.update((row.account_id, f.category, f.statement) for f in found)
    assert (sc.DEV, Category.GUARDRAIL, "NoEc2InDev") in categories
    assert (sc.PROD, Category.GUARDRAIL, "RegionNamedInRole") in categories


def test_repeated_rows_give_equal_findings_from_the_cache(classifiers) -> None:
    scenario = sc.organization_scenario()
    case = case_named(scenario, "gap at two levels: Workloads and Payments both lack the prefix")
    first = classify(classifiers, scenario, case.denial)
    again = classify(classifiers, scenario, replace_row(case.denial, count=9))

    assert [(f.verdict, f.action, f.accounts) for f in first] == [
        (f.verdict, f.action, f.accounts) for f in again
    ]
    assert {f.count for f in again} == {9}


class _Cycle:
    def __init__(self) -> None:
        self.itself = self


def test_a_batch_leaves_the_collector_as_it_found_it(classifiers) -> None:
    scenario = sc.organization_scenario()
    rows = [case.denial for case in scenario.cases]
    classifier = classifiers[scenario.name]
    gc.collect()
    try:
        unreachable = weakref.ref(_Cycle())
        classifier.classify_all(rows)
        # the batch's objects were counted as old, but nothing stays frozen: garbage from before
        # the batch is still collected
        assert gc.isenabled() and gc.get_freeze_count() == 0
        gc.collect()
        assert unreachable() is None

        gc.disable()
        classifier.classify_all(rows)
        assert not gc.isenabled()
        gc.enable()

        kept = _Cycle()
        gc.freeze()
        frozen = gc.get_freeze_count()
        classifier.classify_all(rows)
        # a program that froze its own objects keeps them frozen
        assert gc.get_freeze_count() == frozen and gc.is_tracked(kept)
    finally:
        gc.unfreeze()
        gc.enable()


def test_findings_serialise_to_the_contract_fields(classifiers) -> None:
    scenario = sc.organization_scenario()
    contract = {"category", "action", "event_source", "event_name", "region", "accounts"}
    contract |= {"count", "policy", "statement", "reason", "proposal"}
    for case in scenario.cases:
        for finding in classify(classifiers, scenario, case.denial):
            document = json.loads(json.dumps(finding.to_json()))
            assert contract <= document.keys()
            assert document["category"] == finding.category.value
            assert document["accounts"] == list(finding.accounts)
            proposal = finding.proposal
            assert document["proposal"] == (proposal and asdict(proposal))
            finding.declined = "reviewers said no"  # mark_declined assigns like this
            assert finding.to_json()["declined"] == "reviewers said no"


# --- the real messages and records ------------------------------------------------------------


def real_messages(shared_data: Path) -> list[dict[str, Any]]:
    path = shared_data / "_curated" / "scp_denial_messages_from_public_issues.json"
    items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def synthetic_twin(message: str) -> str | None:
    """The message the scenario builders write for the call a real message describes."""
    parsed = parse_message(message)
    if parsed.principal_arn is None or parsed.action is None:
        return None
    if not parsed.explicit:
        return sc.scp_implicit(parsed.principal_arn, parsed.action)
    if parsed.encoded:
        blob = message.partition(sc.ENCODED)[2]
        assert parsed.resource is not None
        return sc.ec2_encoded(parsed.principal_arn, parsed.action, parsed.resource, blob)
    return sc.scp_explicit(
        parsed.principal_arn, parsed.action, parsed.resource, parsed.policy_arn or ""
    )


@pytest.mark.shared_data
def test_the_builders_write_the_real_scp_message_forms(shared_data: Path) -> None:
    twins = 0
    for item in real_messages(shared_data):
        real = item["message"].partition(" operation: ")[2] or item["message"]
        twin = synthetic_twin(real)
        if twin is None:
            continue
        twins += 1
        assert parse_message(twin) == parse_message(real), item["source"]
        if "ListRespositories" not in real:  # AWS's own example misspells the second name
            assert twin == real, item["source"]
    assert twins == 7


@pytest.mark.shared_data
def test_real_scp_messages_name_the_action_the_classifier_evaluates(
    shared_data: Path, classifiers
) -> None:
    """The row's event name is deliberately useless: the action must come from the message."""
    scenario = sc.organization_scenario()
    allowed_prefixes = {a.partition(":")[0] for a in sc.WORKLOADS_ACTIONS}
    seen = 0
    for item in real_messages(shared_data):
        action = parse_message(item["message"]).action
        if action is None:
            continue
        seen += 1
        event = sc.record(
            action, region="eu-west-1", account=sc.PROD, message=item["message"], event_name="X"
        )
        findings = classify(classifiers, scenario, sc.denial_from_record(event))
        prefix = action.partition(":")[0]
        expected = Category.ALREADY_ALLOWED if prefix in allowed_prefixes else Category.NEW_SERVICE
        assert [f.category for f in findings] == [expected], item["source"]
        assert findings[0].action == load_catalog().canonical_action(action)
    assert seen == 8


def real_denied_rows(shared_data: Path) -> list[Denial]:
    rows: list[Denial] = []
    for relative in (
        "_curated/denied_events_combined.json",
        "panther-analysis/cloudtrail_rule_test_events.json",
    ):
        records = json.loads((shared_data / relative).read_text(encoding="utf-8"))["Records"]
        rows.extend(
            sc.denial_from_record(record)
            for record in records
            if DENIAL_CODES.search(record.get("errorCode") or "")
        )
    return rows


def test_every_real_denied_record_classifies_and_identity_denials_are_not_scp(
    shared_data: Path,
) -> None:
    rows = real_denied_rows(shared_data)
    assert len(rows) == 89 + 38
    classifier = Classifier(load_policy_set(ROOT / "policies"), load_catalog())
    named_other = 0
    for row in rows:
        findings = classifier.classify(row)
        assert findings, row
        message = parse_message(row.error_message, row.error_code)
        if message.policy_type is not None and message.policy_type is not PolicyType.SCP:
            named_other += 1
            assert [f.category for f in findings] == [Category.NOT_SCP], row.error_message
            assert message.policy_type.value in findings[0].reason
    assert named_other == 61


def test_real_identity_records_made_scp_denials_get_an_scp_category(shared_data: Path) -> None:
    """The same real records, their message's policy type switched to SCP: none is not-scp
    unless the account is the management account or the caller a service-linked role."""
    policy_set: PolicySet = load_policy_set(ROOT / "policies")
    classifier = Classifier(policy_set, load_catalog())
    checked = 0
    for row in real_denied_rows(shared_data):
        message = row.error_message or ""
        if "no identity-based policy allows" not in message:
            continue
        as_scp = message.replace(
            "no identity-based policy allows", "no service control policy allows"
        )
        findings = classifier.classify(replace_row(row, error_message=as_scp))
        checked += 1
        if row.account_id != policy_set.management_account:
            assert Category.NOT_SCP not in {f.category for f in findings}, row
    assert checked == 59
