"""Figures shared by every output format."""

from collections import Counter
from collections.abc import Iterable

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


class Tally:
    """The summary's figures, counted as rows and their findings go by."""

    def __init__(self) -> None:
        self.denial_rows = 0
        self.denied_calls = 0
        self.findings = 0
        self.actionable = 0
        # actionable, and no reviewer declined the proposal: what `--exit-code` fails on
        self.to_do = 0
        self.findings_per_category: Counter[str] = Counter()
        self.calls_per_category: Counter[str] = Counter()

    def add_rows(self, rows: int, calls: int) -> None:
        self.denial_rows += rows
        self.denied_calls += calls

    def add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            category = finding.category
            self.findings += 1
            self.findings_per_category[category.value] += 1
            self.calls_per_category[category.value] += finding.count
            if category.actionable:
                self.actionable += 1
                self.to_do += finding.declined is None

    def summary(self) -> dict[str, object]:
        return {
            "denial_rows": self.denial_rows,
            "denied_calls": self.denied_calls,
            "findings": self.findings,
            "actionable": self.actionable,
            "findings_per_category": dict(self.findings_per_category),
            "calls_per_category": dict(self.calls_per_category),
        }


def describe_proposal(finding: Finding) -> str:
    proposal = finding.proposal
    if proposal is None:
        return ""
    return f"add {proposal.add} to {proposal.policy} {proposal.statement} {proposal.element}"
