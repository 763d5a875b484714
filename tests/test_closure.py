"""Closure: once every proposal is applied, the same rows leave no actionable finding.

For every scenario of tests/scenarios.py and for the demo's rows (examples/logs through the
local engine, against policies/), the edits `plan_edits` writes are applied to a copy of the
folder and the rows are classified again: only guardrail, already-allowed and not-scp remain.
The edits only ever add, and add nothing but the region, action or `prefix:*` in evidence.
"""

import json
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.config import Settings
from recommender.models import SETTLED, Category, Denial, Finding
from recommender.propose import EditPlan, plan_edits
from recommender.scp.policyset import load_policy_set
from recommender.sources.base import QuerySpec
from recommender.sources.local import LocalSource
from tests import scenarios as sc

ROOT = Path(__file__).resolve().parents[1]
DEMO_WINDOW = QuerySpec(date(2026, 11, 16), date(2026, 11, 23))
PREFIX_WIDE = {Category.NEW_SERVICE, Category.NEW_PREFIX, Category.GLOBAL_SERVICE}
ONE_ACTION = {Category.RENAMED_ACTION, Category.NEW_ACTION}
# Findings whose proposals are not planned by default: they stay after the edits.
NOT_PROPOSED = SETTLED | {Category.UNKNOWN_ACTION}

Leaves = dict[tuple[object, ...], frozenset[str]]


def classify(policies: Path, rows: Iterable[Denial]) -> list[list[Finding]]:
    classifier = Classifier(load_policy_set(policies), load_catalog())
    return [classifier.classify(row) for row in rows]


def apply_plan(policies: Path, rows: list[Denial], target: Path) -> tuple[EditPlan, list[Finding]]:
    """Classify, plan, and write the edited copy of the folder to `target`."""
    policy_set = load_policy_set(policies)
    findings = Classifier(policy_set, load_catalog()).classify_all(rows)
    plan = plan_edits(findings, policy_set, Settings())
    shutil.copytree(policies, target)
    for change in plan.written:
        (target / change.policy).write_text(change.after, encoding="utf-8")
    return plan, findings


def leaves(document: Any, path: tuple[object, ...] = ()) -> Leaves:
    """Every value of a policy by its path; a string and a list of strings both as a set."""
    if isinstance(document, dict):
        found: Leaves = {}
        for key, value in document.items():
            if key == "Statement" and isinstance(value, dict):
                value = [value]
            found.update(leaves(value, (*path, key)))
        return found
    if isinstance(document, list) and all(isinstance(item, str) for item in document):
        return {path: frozenset(document)}
    if isinstance(document, list):
        return {
            k: v for i, item in enumerate(document) for k, v in leaves(item, (*path, i)).items()
        }
    return {path: frozenset([document if isinstance(document, str) else json.dumps(document)])}


def added_values(plan: EditPlan) -> dict[tuple[object, ...], set[str]]:
    """What the edits add, by (policy, *path), checking that nothing else changes."""
    added: dict[tuple[object, ...], set[str]] = {}
    for change in plan.written:
        before = leaves(json.loads(change.before))
        after = leaves(json.loads(change.after))
        assert set(after) == set(before), f"{change.policy}: an element appeared or vanished"
        for path, values in before.items():
            assert values <= after[path], f"{change.policy} {path}: a value was removed"
            if after[path] - values:
                added[(change.policy, *path)] = set(after[path] - values)
    return added


def check_evidence(findings: Iterable[Finding], plan: EditPlan) -> None:
    """Each added value is exactly a proposal, and each proposal the region, action or
    `prefix:*` of the finding that carries it."""
    proposed: dict[tuple[object, ...], set[str]] = {}
    for finding in findings:
        proposal = finding.proposal
        if proposal is None or finding.category in NOT_PROPOSED:
            continue
        prefix = finding.action.partition(":")[0]
        if finding.category is Category.NEW_REGION:
            assert proposal.add == finding.region
        elif finding.category in PREFIX_WIDE:
            assert proposal.add == f"{prefix}:*"
        else:
            assert finding.category in ONE_ACTION
            assert proposal.add == finding.action
        element = tuple(proposal.element.split("/"))
        key = (proposal.policy, "Statement", proposal.statement_index, *element)
        proposed.setdefault(key, set()).add(proposal.add)
    assert added_values(plan) == proposed


def check_closure(policies: Path, rows: list[Denial], workdir: Path) -> list[Finding]:
    edited = workdir / "edited"
    plan, findings = apply_plan(policies, rows, edited)
    assert plan.blocked == []
    check_evidence(findings, plan)
    for row, again in zip(rows, classify(edited, rows), strict=True):
        assert again, row
        left = [(f.category.value, f.reason) for f in again if f.category not in NOT_PROPOSED]
        assert left == [], f"{row.event_source} {row.event_name} {row.region}: {left}"
    return findings


CLOSING = [
    s
    for s in sc.scenarios()
    if not any(e.category is Category.UNKNOWN for c in s.cases for e in c.expected)
]


@pytest.mark.parametrize("scenario", CLOSING, ids=[s.name for s in CLOSING])
def test_applying_every_proposal_settles_every_row(scenario: sc.Scenario, tmp_path: Path) -> None:
    findings = check_closure(scenario.write(tmp_path), scenario.denials, tmp_path)
    assert any(finding.category.actionable for finding in findings)


def test_unknown_rows_get_no_proposal_and_stay_unknown(tmp_path: Path) -> None:
    scenario = sc.unknown_scenario()
    policies = scenario.write(tmp_path)
    plan, findings = apply_plan(policies, scenario.denials, tmp_path / "edited")

    assert {f.category for f in findings} == {Category.UNKNOWN}
    assert plan.changes == []
    again = classify(tmp_path / "edited", scenario.denials)
    assert {f.category for found in again for f in found} == {Category.UNKNOWN}


def test_all_scenario_rows_together_settle_in_the_organization(tmp_path: Path) -> None:
    """Rows of several scenarios against one folder: proposals from different rows that touch
    the same statement are merged without losing one."""
    scenario = sc.organization_scenario()
    extra = [case.denial for case in sc.flat_scenario().cases]
    rows = [*scenario.denials, *extra]
    check_closure(scenario.write(tmp_path), rows, tmp_path)


@pytest.fixture(scope="module")
def demo_rows() -> list[Denial]:
    return LocalSource(ROOT / "examples" / "logs", workers=1).fetch(DEMO_WINDOW)


def test_the_demo_settles_after_its_own_proposals(demo_rows: list[Denial], tmp_path: Path) -> None:
    findings = check_closure(ROOT / "policies", demo_rows, tmp_path)

    headline = {
        Category.NEW_SERVICE,
        Category.NEW_REGION,
        Category.RENAMED_ACTION,
        Category.NEW_PREFIX,
        Category.GUARDRAIL,
        Category.NOT_SCP,
    }
    assert headline <= {finding.category for finding in findings}
