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
        # per category, in the order categories first appear
        self._findings: Counter[Category] = Counter()
        self._calls: Counter[Category] = Counter()
        self._declined: Counter[Category] = Counter()

    def add_rows(self, rows: int, calls: int) -> None:
        self.denial_rows += rows
        self.denied_calls += calls

    def add(self, findings: Iterable[Finding]) -> None:
        counts, calls, declined = self._findings, self._calls, self._declined
        for finding in findings:
            category = finding.verdict.category
            counts[category] += 1
            calls[category] += finding.row.count
            if finding.declined is not None:
                declined[category] += 1

    @property
    def to_do(self) -> int:
        """Actionable findings no reviewer declined: what `--exit-code` fails on."""
        return sum(self._findings[c] - self._declined[c] for c in self._findings if c.actionable)

    def summary(self) -> dict[str, object]:
        counts = self._findings
        return {
            "denial_rows": self.denial_rows,
            "denied_calls": self.denied_calls,
            "findings": sum(counts.values()),
            "actionable": sum(counts[category] for category in counts if category.actionable),
            "findings_per_category": {category.value: n for category, n in counts.items()},
            "calls_per_category": {category.value: n for category, n in self._calls.items()},
        }


def describe_proposal(finding: Finding) -> str:
    proposal = finding.proposal
    if proposal is None:
        return ""
    return f"add {proposal.add} to {proposal.policy} {proposal.statement} {proposal.element}"
