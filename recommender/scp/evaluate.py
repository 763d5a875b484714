"""Decide a call as AWS evaluates SCPs, and keep every reason for the answer.

At every level from the root down to the account an Allow statement must match, or the call is
implicitly denied there; any matching Deny at any level denies explicitly. A statement matches
"yes", or "maybe" when the answer depends on what a denial row does not carry: the resource (the
statement is resource-scoped) or a condition key that CloudTrail does not record. "maybe"
statements are treated as not matching; `Decision.certain` says whether one could change the
answer.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal
from weakref import WeakKeyDictionary

from recommender.scp.conditions import Context, all3, evaluate_condition
from recommender.scp.model import ActionElement, Condition, Statement
from recommender.scp.policyset import Level, PolicySet

MatchKind = Literal["yes", "maybe"]
DenyType = Literal["explicit", "implicit"]

REQUESTED_REGION = "aws:requestedregion"
PRINCIPAL_ARN = "aws:principalarn"
PRINCIPAL_ACCOUNT = "aws:principalaccount"
PRINCIPAL_ORG_ID = "aws:principalorgid"
KNOWN_KEYS = (REQUESTED_REGION, PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_ORG_ID)
SERVICE_LINKED_ROLE = ":role/aws-service-role/"


@dataclass(frozen=True)
class Call:
    """One API call as a denial row describes it; None where the row does not say."""

    action: str
    region: str | None = None
    account: str | None = None
    principal_arn: str | None = None
    org_id: str | None = None

    @property
    def principal_account(self) -> str | None:
        return self.account or arn_account(self.principal_arn)

    def context(self) -> dict[str, tuple[str, ...]]:
        """The condition keys known for this call; any other key is not known."""
        values = ((key, value(self)) for key, value in _CALL_VALUES.items())
        return {key: (value,) for key, value in values if value}


def arn_account(arn: str | None) -> str | None:
    parts = arn.split(":", 5) if arn else []
    return parts[4] or None if len(parts) == 6 else None


@dataclass(frozen=True)
class ConditionResult:
    """One operator/key pair of a matching statement, and how the call fared against it."""

    condition: Condition
    outcome: bool | None
    request_values: tuple[str, ...] | None

    @property
    def known(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class StatementMatch:
    """A statement that matched the call ("yes") or may have ("maybe"), and why."""

    statement: Statement
    level: Level
    match: MatchKind
    conditions: tuple[ConditionResult, ...]

    @property
    def via(self) -> ActionElement:
        """Whether the action matched through the statement's Action or its NotAction."""
        return self.statement.action_element

    def patterns_for(self, action: str) -> tuple[str, ...]:
        """The Action patterns, as written, that cover the action (none for NotAction)."""
        if self.statement.actions is None:
            return ()
        return self.statement.matcher.matching_patterns(action)

    @property
    def policy(self) -> str:
        return self.statement.policy

    @property
    def label(self) -> str:
        return self.statement.label

    @property
    def effect(self) -> str:
        return self.statement.effect

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        return tuple(result.condition.key for result in self.conditions if not result.known)

    @property
    def resource_scoped(self) -> bool:
        return self.statement.resource_scoped

    def why_maybe(self) -> str:
        reasons = []
        if self.resource_scoped:
            reasons.append("it applies to some resources only and the call names none")
        if self.unknown_keys:
            keys = ", ".join(self.unknown_keys)
            reasons.append(f"it depends on {keys}, not known from CloudTrail")
        return "; ".join(reasons)


@dataclass(frozen=True)
class LevelDecision:
    level: Level
    allows: tuple[StatementMatch, ...] = ()
    maybe_allows: tuple[StatementMatch, ...] = ()
    denies: tuple[StatementMatch, ...] = ()
    maybe_denies: tuple[StatementMatch, ...] = ()

    @property
    def allowed(self) -> bool:
        return bool(self.allows)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    deny_type: DenyType | None
    certain: bool
    levels: tuple[LevelDecision, ...]
    scp_applies: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def explicit_denies(self) -> tuple[StatementMatch, ...]:
        return tuple(match for level in self.levels for match in level.denies)

    @property
    def levels_without_allow(self) -> tuple[LevelDecision, ...]:
        return tuple(level for level in self.levels if not level.allowed)

    @property
    def maybe(self) -> tuple[StatementMatch, ...]:
        return tuple(
            match for level in self.levels for match in (*level.maybe_denies, *level.maybe_allows)
        )

    @property
    def deciding(self) -> tuple[StatementMatch, ...]:
        """The statements that decided: the explicit denies, or else every allow that counted."""
        if self.deny_type == "explicit":
            return self.explicit_denies
        return tuple(match for level in self.levels for match in level.allows)

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        keys = {key for match in self.maybe for key in match.unknown_keys}
        return tuple(sorted(keys, key=str.lower))


_CALL_VALUES: dict[str, Callable[[Call], str | None]] = {
    REQUESTED_REGION: attrgetter("region"),
    PRINCIPAL_ARN: attrgetter("principal_arn"),
    PRINCIPAL_ACCOUNT: attrgetter("principal_account"),
    PRINCIPAL_ORG_ID: attrgetter("org_id"),
}


@dataclass
class _Memo:
    """What one policy set has already worked out: decisions, and condition outcomes per
    statement and the context values its conditions read."""

    # the call's values that some statement reads: the others cannot change a decision
    read: tuple[Callable[[Call], str | None], ...]
    decisions: dict[tuple[object, ...], Decision] = field(default_factory=dict)
    conditions: dict[tuple[object, ...], tuple[ConditionResult, ...]] = field(default_factory=dict)


_MEMOS: "WeakKeyDictionary[PolicySet, _Memo]" = WeakKeyDictionary()
MEMO_LIMIT = 200_000


def evaluate(policy_set: PolicySet, call: Call) -> Decision:
    """How the SCPs that govern the call's account decide it (see the module's docstring)."""
    if call.account and call.account == policy_set.management_account:
        return Decision(True, None, True, (), False, ("management account: SCPs do not apply",))
    if call.principal_arn and SERVICE_LINKED_ROLE in call.principal_arn:
        return Decision(True, None, True, (), False, ("service-linked role: SCPs do not apply",))
    memo = _MEMOS.get(policy_set)
    if memo is None:
        read = tuple(_CALL_VALUES[key] for key in KNOWN_KEYS if key in policy_set.context_keys)
        memo = _MEMOS[policy_set] = _Memo(read)
    governance = policy_set.governance(call.account)
    # Calls that differ only in what no statement looks at share one decision: the same
    # statements match their actions, the accounts are governed alike, and the values the
    # statements read are equal.
    key = (
        policy_set.action_signature(call.action),
        governance.key,
        *[value(call) for value in memo.read],
    )
    decision = memo.decisions.get(key)
    if decision is None:
        context = call.context()
        matching = policy_set.statements_matching(call.action)
        levels = tuple(_decide_level(level, matching, context, memo) for level in governance.levels)
        decision = _combine(levels, governance.notes)
        if len(memo.decisions) > MEMO_LIMIT:
            memo.decisions.clear()
        memo.decisions[key] = decision
    return decision


def _decide_level(
    level: Level,
    matching: dict[str, tuple[Statement, ...]],
    context: Context,
    memo: _Memo,
) -> LevelDecision:
    found: dict[tuple[str, MatchKind], list[StatementMatch]] = {}
    for policy in level.policies:
        for statement in matching.get(policy.name, ()):
            results = _condition_results(statement, context, memo)
            match = _match(statement, level, results)
            if match is not None:
                found.setdefault((statement.effect, match.match), []).append(match)
    return LevelDecision(
        level,
        allows=tuple(found.get(("Allow", "yes"), ())),
        maybe_allows=tuple(found.get(("Allow", "maybe"), ())),
        denies=tuple(found.get(("Deny", "yes"), ())),
        maybe_denies=tuple(found.get(("Deny", "maybe"), ())),
    )


def _condition_results(
    statement: Statement, context: Context, memo: _Memo
) -> tuple[ConditionResult, ...]:
    if not statement.conditions:
        return ()
    key = (id(statement), *(context.get(name) for name in statement.context_keys))
    results = memo.conditions.get(key)
    if results is None:
        results = condition_results(statement, context)
        if len(memo.conditions) > MEMO_LIMIT:
            memo.conditions.clear()
        memo.conditions[key] = results
    return results


def condition_results(statement: Statement, context: Context) -> tuple[ConditionResult, ...]:
    """Every operator/key pair of the statement evaluated against the call's context."""
    return tuple(
        ConditionResult(
            condition, evaluate_condition(condition, context), context.get(condition.key_lower)
        )
        for condition in statement.conditions
    )


def match_statement(statement: Statement, level: Level, context: Context) -> StatementMatch | None:
    """How a statement whose action element matched the call fares on the rest; None: no match."""
    return _match(statement, level, condition_results(statement, context))


def _match(
    statement: Statement, level: Level, results: tuple[ConditionResult, ...]
) -> StatementMatch | None:
    outcome = all3(result.outcome for result in results)
    if outcome is False:
        return None
    kind: MatchKind = "yes" if outcome and not statement.resource_scoped else "maybe"
    return StatementMatch(statement, level, kind, results)


def _combine(levels: tuple[LevelDecision, ...], notes: tuple[str, ...]) -> Decision:
    if any(level.denies for level in levels):
        return Decision(False, "explicit", True, levels, True, notes)
    lacking = [level for level in levels if not level.allowed]
    if lacking:
        certain = not all(level.maybe_allows for level in lacking)
        return Decision(False, "implicit", certain, levels, True, notes)
    certain = not any(level.maybe_denies for level in levels)
    return Decision(True, None, certain, levels, True, notes)


def statement_matches_action(statement: Statement, action: str) -> bool:
    """Whether the statement's Action covers the action, or its NotAction leaves it out."""
    covered = statement.matcher.matches(action.lower())
    return covered if statement.actions is not None else not covered
