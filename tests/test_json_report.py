"""The JSON report is written from encoded parts; its text must stay what `json.dumps` of the
contract's objects (`Finding.to_json`) gives, byte for byte, however the findings are chunked."""

import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.models import Category, Denial, Finding, Proposal, StatementRef, Verdict
from recommender.render.jsonout import write_json
from recommender.render.summary import Tally
from recommender.scp.policyset import load_policy_set
from tests import scenarios as sc


def expected_text(findings: list[Finding], summary: dict[str, object]) -> bytes:
    document = {"findings": [finding.to_json() for finding in findings], "summary": summary}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def report(chunks: list[list[Finding]], summary: dict[str, object]) -> bytes:
    out = io.BytesIO()
    write_json(chunks, lambda: summary, out)
    return out.getvalue()


def summary_of(findings: list[Finding]) -> dict[str, object]:
    tally = Tally()
    tally.add_rows(len({id(f.row) for f in findings}), sum(f.count for f in findings))
    tally.add(findings)
    return tally.summary()


def test_every_scenario_reads_as_json_dumps_wrote_it(tmp_path: Path) -> None:
    catalog = load_catalog()
    for scenario in sc.scenarios():
        classifier = Classifier(load_policy_set(scenario.write(tmp_path)), catalog)
        findings = classifier.classify_all(scenario.denials)
        for finding in findings[::3]:
            finding.declined = "reviewers said no"
        summary = summary_of(findings)
        whole = report([findings], summary)
        assert whole == expected_text(findings, summary), scenario.name
        # chunks of any size, empty ones among them, give the same text
        chunks = [findings[:1], [], findings[1:5], findings[5:]]
        assert report(chunks, summary) == whole


def test_no_findings_is_an_empty_list() -> None:
    summary = summary_of([])
    assert report([], summary) == expected_text([], summary)
    assert report([[], []], summary) == expected_text([], summary)


texts = st.text(max_size=12)
optional_texts = st.none() | texts
string_tuples = st.lists(texts, max_size=3).map(tuple)
rows = st.builds(
    Denial,
    event_source=texts,
    event_name=texts,
    count=st.integers(min_value=0, max_value=2**63 - 1),
    region=optional_texts,
    account_id=optional_texts,
    error_code=optional_texts,
    principals=string_tuples,
    first_seen=optional_texts,
    last_seen=optional_texts,
    event_ids=string_tuples,
)
proposals = st.none() | st.builds(
    Proposal, policy=texts, statement=texts, statement_index=st.integers(0, 99), element=texts,
    add=texts,
)  # fmt: skip
refs = st.builds(
    StatementRef, policy=texts, statement=texts, effect=texts, target=optional_texts, match=texts
)
verdicts = st.builds(
    Verdict,
    category=st.sampled_from(Category),
    policy=optional_texts,
    statement=optional_texts,
    reason=texts,
    proposal=proposals,
    deciding=st.lists(refs, max_size=2).map(tuple),
    deny_type=optional_texts,
    checks_skipped=string_tuples,
)
findings = st.builds(
    Finding,
    row=rows,
    verdict=verdicts,
    action=texts,
    accounts=string_tuples,
    declined=optional_texts,
)


@given(st.lists(findings, max_size=6), st.integers(min_value=1, max_value=4))
def test_any_text_in_any_field_reads_as_json_dumps_wrote_it(
    drawn: list[Finding], size: int
) -> None:
    # As the classifier makes them: a row's findings come together and share the row, and
    # findings of many rows share a verdict.
    items = [
        item
        for finding, other in zip(drawn, [*drawn[1:], *drawn[:1]], strict=True)
        for item in (finding, Finding(finding.row, other.verdict, finding.action, ()), other)
    ]
    summary = summary_of(items)
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    assert report(chunks, summary) == expected_text(items, summary)


@given(st.lists(findings, max_size=8), st.integers(min_value=1, max_value=3))
def test_the_summary_counts_the_findings_however_they_arrive(
    drawn: list[Finding], size: int
) -> None:
    tally = Tally()
    for start in range(0, len(drawn), size):
        tally.add(drawn[start : start + size])
    summary = tally.summary()
    categories = list(dict.fromkeys(finding.category.value for finding in drawn))
    per_category = {c: [f for f in drawn if f.category.value == c] for c in categories}
    assert summary["findings"] == len(drawn)
    assert summary["actionable"] == sum(f.category.actionable for f in drawn)
    assert summary["findings_per_category"] == {c: len(f) for c, f in per_category.items()}
    assert list(summary["findings_per_category"]) == categories
    assert summary["calls_per_category"] == {
        c: sum(f.count for f in found) for c, found in per_category.items()
    }
    assert tally.to_do == sum(f.category.actionable and f.declined is None for f in drawn)
