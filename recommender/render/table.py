"""The terminal report: grouped by category, most frequent first, fits 80 columns.

Every value that the project did not write goes through `terminal_text` (render/escape.py says
why that is enough for a terminal): the row's action, region and accounts, and the reason and
proposal, which quote them.
"""

import textwrap
from collections.abc import Sequence

from recommender.models import Category, Finding
from recommender.propose import EditPlan
from recommender.render.escape import terminal_text
from recommender.render.summary import by_category, describe_proposal

WIDTH = 80


def _wrapped(label: str, text: str) -> list[str]:
    indent = " " * 8
    return textwrap.wrap(
        terminal_text(text),
        width=WIDTH,
        initial_indent=f"{indent}{label}",
        subsequent_indent=indent + " " * len(label),
        break_on_hyphens=False,
        # a word is never split: a part of one could start a line with `::` (escape.py)
        break_long_words=False,
    )


def _accounts(finding: Finding) -> str:
    if not finding.accounts:
        return "-"
    first = terminal_text(finding.accounts[0])
    return first if len(finding.accounts) == 1 else f"{first} +{len(finding.accounts) - 1}"


def render_table(findings: Sequence[Finding], summary: dict[str, object]) -> str:
    lines: list[str] = []
    for category, items in by_category(findings).items():
        calls = sum(f.count for f in items)
        lines.append(f"{category.value}  ({len(items)} findings, {calls} denied calls)")
        lines.append(f"  {'calls':>6}  {'action':<38} {'region':<14} {'account':<16}")
        for finding in items:
            action = textwrap.shorten(terminal_text(finding.action), 38, placeholder="…")
            region = terminal_text(finding.region or "-")
            lines.append(
                f"  {finding.count:>6}  {action:<38} {region:<14} {_accounts(finding):<16}"
            )
            lines.extend(_wrapped("why: ", finding.reason))
            if finding.proposal is not None:
                label = (
                    "fix if allowed: " if finding.category is Category.UNKNOWN_ACTION else "fix: "
                )
                lines.extend(_wrapped(label, describe_proposal(finding)))
            if finding.declined:
                lines.extend(_wrapped("declined: ", finding.declined))
            if finding.checks_skipped:
                lines.extend(_wrapped("not checked: ", "; ".join(finding.checks_skipped)))
        lines.append("")
    lines.append(
        f"{summary['denial_rows']} denial rows, {summary['denied_calls']} denied calls, "
        f"{summary['findings']} findings, {summary['actionable']} actionable"
    )
    return "\n".join(line.rstrip() for line in lines) + "\n"


def not_proposed_lines(plan: EditPlan) -> list[str]:
    """One line per proposal the last gate refused: the value, where it would have gone, why."""
    return [
        f"not proposed: {terminal_text(refused.proposal.add)} "
        f"({refused.category.value}, {refused.proposal.policy}): {terminal_text(refused.reason)}"
        for refused in plan.not_proposed
    ]
