"""Figures shared by every output format."""

from collections import Counter
from collections.abc import Iterable, Sequence

from recommender.models import Category, Finding

CATEGORY_ORDER = list(Category)


def by_category(findings: Iterable[Finding]) -> dict[Category, list[Finding]]:
    """Findings grouped in the reading order of CATEGORY_ORDER, most denied calls first."""
    groups: dict[Category, list[Finding]] = {category: [] for category in CATEGORY_ORDER}
    for finding in findings:
        groups[finding.category].append(finding)
    return {
        category: sorted(items, key=lambda f: (-f.count, f.action, f.region or ""))
        for category, items in groups.items()
        if items
    }


def summarize(
    findings: Sequence[Finding], denial_rows: int, denied_calls: int
) -> dict[str, object]:
    calls_per_category: Counter[str] = Counter()
    findings_per_category: Counter[str] = Counter()
    for finding in findings:
        findings_per_category[finding.category.value] += 1
        calls_per_category[finding.category.value] += finding.count
    return {
        "denial_rows": denial_rows,
        "denied_calls": denied_calls,
        "findings": len(findings),
        "actionable": sum(1 for f in findings if f.category.actionable),
        "findings_per_category": dict(findings_per_category),
        "calls_per_category": dict(calls_per_category),
    }


def describe_proposal(finding: Finding) -> str:
    proposal = finding.proposal
    if proposal is None:
        return ""
    return f"add {proposal.add} to {proposal.policy} {proposal.statement} {proposal.element}"
