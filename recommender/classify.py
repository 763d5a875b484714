"""Denial rows + policy set + catalog -> findings: what denied each call, and what would fix it.

The evaluation engine (`recommender.scp.evaluate`) says which statements denied a call; this
module reads those statements to name the cause in the categories of the design:

- an explicit Deny with an `aws:RequestedRegion` "not equals" condition is a region guard: the
  call's region is missing (`new-region`), or, for a global service whose calls are logged in
  us-east-1, the service is missing from the guard's `NotAction` exemptions (`global-service`);
- an explicit Deny + `NotAction` whose only other conditions exempt principals is an allow-list
  written as a deny; a level where no Allow matches has an allow-list that lacks the action. In
  both, the gap is a renamed action, a missing action of a partly allowed prefix, a sibling
  prefix of an allowed one, or a whole new service;
- any other Deny is a deliberate guardrail, never weakened.
"""

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any, Generic, NamedTuple, TypeVar

from recommender.catalog import Catalog
from recommender.messages import PolicyType, read_denial
from recommender.models import (
    Category,
    Denial,
    Finding,
    Judgement,
    Proposal,
    StatementRef,
    Verdict,
    findings_of,
    replace_row,
)
from recommender.parallel import classify_on_two_cores, worth_a_second_process
from recommender.scp.conditions import evaluate_condition
from recommender.scp.evaluate import (
    KNOWN_KEYS,
    PRINCIPAL_ACCOUNT,
    PRINCIPAL_ARN,
    PRINCIPAL_ORG_ID,
    REQUESTED_REGION,
    SERVICE_LINKED_ROLE,
    Call,
    Decision,
    LevelDecision,
    StatementMatch,
    arn_account,
    evaluate,
)
from recommender.scp.model import Condition, Statement
from recommender.scp.policyset import Level, PolicySet
from recommender.validation import ACCOUNT_ID

T = TypeVar("T")

# Conditions that carve principals out of a deny: they do not make it a guardrail.
PRINCIPAL_KEYS = frozenset(
    {PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_ORG_ID, "aws:principaltag", "aws:principaltype"}
)
REGION_GUARD_OPERATORS = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"}
)
GLOBAL_REGION = "us-east-1"
CACHE_LIMIT = 500_000
SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleFor"


# The classifier's own records are built tens of thousands of times per batch and never changed
# after: plain slotted dataclasses build several times faster than frozen ones.
@dataclass(slots=True)
class Cause:
    """One reason a call was denied, independent of the row's counts and samples."""

    category: Category
    reason: str
    statement: Statement | None = None
    proposal: Proposal | None = None
    deciding: tuple[StatementRef, ...] = ()
    # A region guard's cause names the call's region: the match and condition rebuild it.
    guard: tuple[StatementMatch, Condition] | None = None
    # It names the account's own level (a statement attached to the account, or its name).
    on_account: bool = False


def _verdict(cause: Cause, deny_type: str | None, checks_skipped: tuple[str, ...]) -> Verdict:
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


class _Numbered(Generic[T]):
    """Values numbered in the order first seen: caches keyed by the number hash an int where
    the value is a deep tuple."""

    __slots__ = ("numbers", "values")

    def __init__(self) -> None:
        self.numbers: dict[T, int] = {}
        self.values: list[T] = []

    def number(self, value: T) -> int:
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = len(self.values)
            self.values.append(value)
        return found


@dataclass(slots=True)
class _Guard:
    """A region guard's cause in an explanation: rebuilt for each row's region."""

    index: int
    match: StatementMatch
    condition: Condition
    # what the rebuilt cause reads besides the region: the statement's level and match, and
    # the action's prefix where the action is global
    key: tuple[object, ...]


@dataclass(slots=True)
class Explanation:
    causes: tuple[Cause, ...]
    deny_type: str | None
    checks_skipped: tuple[str, ...] = field(default=())
    account: str | None = None
    # For an already-allowed call, whether the message named an SCP (the reason differs).
    named_scp: bool | None = None
    # The action's prefix where it is a global service's: its region guard causes name it.
    global_prefix: str | None = None
    # Derived once: read for every row the explanation serves.
    account_bound: bool = field(init=False, repr=False, compare=False)
    verdicts: tuple[Verdict, ...] = field(init=False, repr=False, compare=False)
    guards: tuple[_Guard, ...] = field(init=False, repr=False, compare=False)
    # Filled as rows are classified: the templates for each region a guard's cause names,
    # and this explanation for other accounts governed alike (see `Classifier._for_account`).
    in_region: dict[str | None, tuple[Verdict, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    for_account: dict[str | None, "Explanation"] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        guards = []
        for index, cause in enumerate(self.causes):
            if cause.guard is not None:
                match, condition = cause.guard
                key = (id(condition), match.level.target_id, match.match, self.global_prefix)
                guards.append(_Guard(index, match, condition, key))
        self.account_bound = any(c.on_account for c in self.causes)
        verdicts = tuple(_verdict(c, self.deny_type, self.checks_skipped) for c in self.causes)
        self.verdicts = verdicts
        self.guards = tuple(guards)


class _Read(NamedTuple):
    """What the classifier read of a row: what an explanation is built from (only on a miss)."""

    action: str
    denial: Denial
    policy_type: PolicyType | None
    explicit: bool | None
    principal: str | None
    service_linked: bool


class _ConditionOutcomes:
    """The outcome of every condition of a policy set for a call, in parts that are cached by
    what they read: the region, the caller, or (rarely) both. A condition that reads none of
    the keys a row can give has the same outcome for every call and is left out."""

    def __init__(self, policy_set: PolicySet) -> None:
        known = frozenset(KNOWN_KEYS)
        region_only = frozenset({REQUESTED_REGION})
        self.region: list[Condition] = []
        self.principal: list[Condition] = []
        self.mixed: list[Condition] = []
        for policy in policy_set.policies.values():
            for statement in policy.statements:
                for condition in statement.conditions:
                    read = known.intersection(condition.context_keys)
                    if not read:
                        continue
                    if read <= region_only:
                        self.region.append(condition)
                    elif REQUESTED_REGION not in read:
                        self.principal.append(condition)
                    else:
                        self.mixed.append(condition)
        # where each condition's outcome sits in the region's or the caller's outcomes
        self._places = {id(c): (True, i) for i, c in enumerate(self.region)}
        self._places.update({id(c): (False, i) for i, c in enumerate(self.principal)})
        self._by_region: dict[str | None, tuple[bool | None, ...]] = {}
        self._by_principal: dict[tuple[str | None, str | None], tuple[bool | None, ...]] = {}

    def outcome_of(
        self,
        condition: Condition,
        region_outcomes: tuple[bool | None, ...],
        principal_outcomes: tuple[bool | None, ...],
    ) -> bool | str | None:
        """The condition's outcome in a call's parts; "same" where it is the same for every
        call (it reads nothing a row gives)."""
        place = self._places.get(id(condition))
        if place is None:
            return "same"
        in_region, index = place
        return region_outcomes[index] if in_region else principal_outcomes[index]

    def region_outcomes(self, region: str | None) -> tuple[bool | None, ...]:
        found = self._by_region.get(region)
        if found is None:
            context = Call("", region).context()
            found = self._by_region[region] = tuple(
                evaluate_condition(condition, context) for condition in self.region
            )
        return found

    def principal_outcomes(
        self, account: str | None, principal: str | None
    ) -> tuple[bool | None, ...]:
        key = (account, principal)
        found = self._by_principal.get(key)
        if found is None:
            context = Call("", None, account, principal).context()
            found = tuple(evaluate_condition(condition, context) for condition in self.principal)
            if len(self._by_principal) > CACHE_LIMIT:
                self._by_principal.clear()
            self._by_principal[key] = found
        return found


@dataclass(frozen=True, slots=True)
class _Summary:
    """What explanations read of a decision: the denies that explain it (explicit, or assumed
    where only the caller's exemption is unknown), the levels without an allow, unknown keys."""

    decision: Decision
    denies: tuple[StatementMatch, ...]
    lacking: tuple[LevelDecision, ...]
    unknown_keys: tuple[str, ...]


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _age_young_objects()
            gc.enable()


def _age_young_objects() -> None:
    """Counts every object the batch made as old. They live as long as the findings do, and
    the first allocation after the pause would otherwise walk them all in a young collection
    (about a tenth of a 100,000-row batch) only to find no garbage. Freezing and unfreezing
    moves every tracked object to the oldest generation and resets the young count; where the
    program has frozen objects of its own, they are left as they are."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _where(level: Level) -> str:
    """How a reason names a level: "no SCP attached to OU Workloads allows ..."."""
    if level.kind == "all":
        return "in policies/"
    if level.kind == "root":
        return "attached to the root"
    return f"attached to {'OU' if level.kind == 'ou' else 'account'} {level.name}"


def _account_of(arn: str | None) -> str | None:
    """The ARN's account, where it is a real one (public messages are often redacted)."""
    account = arn_account(arn)
    return account if account and ACCOUNT_ID.match(account) else None


def _on_account(level: Level) -> bool:
    return level.kind == "account"


def _bound(cause: Cause, on_account: bool) -> Cause:
    """The cause, marked as naming the account's own level where it does."""
    return replace(cause, on_account=True) if on_account else cause


def _ref(match: StatementMatch) -> StatementRef:
    return StatementRef(
        policy=match.policy,
        statement=match.label,
        effect=match.effect,
        target=match.level.name,
        match=match.match,
    )


def _base_operator(condition: Condition) -> str | None:
    parsed = condition.parsed
    return parsed.base if parsed else None


def _is_exemption(condition: Condition) -> bool:
    parsed = condition.parsed
    return bool(parsed and parsed.negated and condition.key_lower in PRINCIPAL_KEYS)


def _region_guard_condition(match: StatementMatch) -> Condition | None:
    """The `aws:RequestedRegion` allow-list condition that made this Deny match, if any."""
    for result in match.conditions:
        condition = result.condition
        if (
            condition.key_lower == REQUESTED_REGION
            and _base_operator(condition) in REGION_GUARD_OPERATORS
            and result.outcome is not False
        ):
            return condition
    return None


def _only_exemptions(statement: Statement, allowed_extra: Condition | None = None) -> bool:
    return all(
        condition is allowed_extra or _is_exemption(condition) for condition in statement.conditions
    )


class Classifier:
    """Classifies denial rows against one policy set; reuse it for many rows (it caches).

    Rows rarely repeat, but what decides them does: the action, the region, and the class of
    the call's context (the governing levels and every condition's outcome). Calls of one class
    are evaluated through one representative, so the evaluator's own cache serves them all.
    """

    def __init__(self, policy_set: PolicySet, catalog: Catalog) -> None:
        self.policy_set = policy_set
        self.catalog = catalog
        self._management = policy_set.management_account
        self._cache: dict[tuple[object, ...], Explanation] = {}
        self._variants: dict[tuple[object, ...], Explanation] = {}
        self._guard_verdicts: dict[tuple[object, ...], Verdict] = {}
        self._account_tuples: dict[str | None, tuple[str, ...]] = {}
        self._account_refs: set[int] = set()
        self._renamed_refs: dict[tuple[int, str], StatementRef] = {}
        self._representatives = _representative_accounts(policy_set)
        self._conditions = _ConditionOutcomes(policy_set)
        self._classes: dict[tuple[str | None, str | None, str | None], int] = {}
        self._class_ids: dict[tuple[object, ...], int] = {}
        self._members: list[tuple[str | None, str | None, str | None]] = []
        self._class_signatures: list[tuple[object, ...]] = []
        self._shared: dict[tuple[str | None, str | None, str | None], int] = {}
        self._shared_signatures: _Numbered[tuple[Any, ...]] = _Numbered()
        self._caller_parts: dict[tuple[str | None, str | None], int] = {}
        self._caller_part_list: _Numbered[tuple[Any, ...]] = _Numbered()
        self._relevant: dict[tuple[int, int], int] = {}
        self._relevant_ids: dict[tuple[object, ...], int] = {}
        self._shapes: dict[str | None, tuple[object, ...]] = {}
        self._actions: dict[tuple[str | None, str, str], tuple[str, str, int]] = {}
        self._callers: dict[tuple[str | None, tuple[str, ...]], tuple[str | None, bool]] = {}
        self._refs: dict[tuple[int, str, str], StatementRef] = {}
        self._proposals: dict[tuple[str, int, str, str], Proposal] = {}
        self._gaps: dict[tuple[int, str], tuple[Category, str, str]] = {}
        self._listed: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._candidates: dict[int, list[Statement]] = {}
        self._summaries: dict[int, _Summary] = {}
        self._decisions: dict[tuple[int, int], Decision] = {}
        self._explicit_causes: dict[tuple[object, ...], Cause] = {}
        self._implicit_causes: dict[tuple[int, str], Cause] = {}

    def classify_all(self, denials: Iterable[Denial], two_cores: bool = True) -> list[Finding]:
        """The findings of every row, in row order. A large batch is shared with a forked
        child where the machine allows (`recommender.parallel`); `two_cores=False` keeps it in
        this process."""
        rows = denials if isinstance(denials, list) else list(denials)
        # A batch keeps every finding it builds and makes no reference cycles: the cyclic
        # collector would only walk the growing heap again and again (about half the time of
        # a 100,000-row batch), so it is paused for the batch.
        with _collector_paused():
            if two_cores and worth_a_second_process(len(rows)):
                found = classify_on_two_cores(self.judge, rows)
                if found is not None:
                    return found
            return list(chain.from_iterable(map(findings_of, map(self.judge, rows))))

    def classify(self, denial: Denial) -> list[Finding]:
        return findings_of(self.judge(denial))

    def judge(self, denial: Denial) -> Judgement:
        """What `classify` finds for the row, before it is made into findings."""
        policy_type, explicit, named_action, message_arn = read_denial(
            denial.error_message, denial.error_code
        )
        event = (named_action, denial.event_source, denial.event_name)
        action, action_key, signature = self._actions.get(event) or self._action(*event)
        principal, service_linked = self._caller(message_arn, denial.principals)
        account = denial.account_id
        if not account:
            # The caller's ARN names its account: rows of the original query lack the column.
            caller_account = _account_of(principal)
            if caller_account is not None:
                denial = replace_row(denial, account_id=caller_account)
                account = caller_account
        region = denial.region
        # What decides the explanation. The region and the account count through their class
        # (the conditions' outcomes, the policies of each level); a cause that names the region
        # or the account's own level is rebuilt for the call.
        key: tuple[object, ...]
        # Where SCPs did not decide, nothing but the reason and what the row lacks matters.
        if policy_type is not None and policy_type is not PolicyType.SCP:
            key = (policy_type, explicit, region is None, not account)
        elif account is not None and account == self._management:
            key = ("management account", region is None, not account)
        elif service_linked:
            key = ("service-linked role", region is None, not account)
        else:
            shared = self._shared.get((region, account, principal))
            if shared is None:
                shared = self._shared_class(region, account, principal)
            relevant = self._relevant.get((signature, shared))
            if relevant is None:
                relevant = self._relevant_class(action, signature, shared)
            key = (action_key, region is None, not account, relevant)
        explanation = self._cache.get(key)
        if (
            explanation is None
            or (
                explanation.named_scp is not None
                and explanation.named_scp != (policy_type is PolicyType.SCP)
            )
            or (explanation.account_bound and explanation.account != account)
        ):
            read = _Read(action, denial, policy_type, explicit, principal, service_linked)
            explanation = self._uncached(key, explanation, read)
        return self._judgement(denial, action, account, explanation)

    def _uncached(
        self, key: tuple[object, ...], explanation: Explanation | None, read: _Read
    ) -> Explanation:
        """The row's explanation where the cache has none, or one that says otherwise than the
        row: whether the message named an SCP (for an allowed call), or which account."""
        if explanation is None:
            explanation = self._explained(self._cache, key, read)
        named = explanation.named_scp
        if named is not None and named != (read.policy_type is PolicyType.SCP):
            variant_key = (*key, not named)
            explanation = self._variants.get(variant_key) or self._explained(
                self._variants, variant_key, read
            )
        account = read.denial.account_id
        if explanation.account_bound and explanation.account != account:
            explanation = explanation.for_account.get(account) or self._for_account(
                explanation, read
            )
        return explanation

    def _explained(
        self, cache: dict[tuple[object, ...], Explanation], key: tuple[object, ...], read: _Read
    ) -> Explanation:
        explanation = self._explain(read)
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        cache[key] = explanation
        return explanation

    def _for_account(self, explanation: Explanation, read: _Read) -> Explanation:
        """An explanation that names its account's own level, for another account governed
        alike: the same causes, naming this account's level."""
        account = read.denial.account_id
        old = self._account_level(explanation.account)
        new = self._account_level(account)
        if (
            old is None
            or new is None
            or any(_on_account(g.match.level) for g in explanation.guards)
        ):
            # a region guard attached to the account itself: its causes are built for each
            # region from the account's own match
            renamed = self._explain(read)
        else:
            renamed = Explanation(
                tuple(
                    self._renamed_cause(cause, old, new) if cause.on_account else cause
                    for cause in explanation.causes
                ),
                explanation.deny_type,
                explanation.checks_skipped,
                account,
                explanation.named_scp,
                explanation.global_prefix,
            )
        explanation.for_account[account] = renamed
        return renamed

    def _account_level(self, account: str | None) -> Level | None:
        levels = self.policy_set.governance(account).levels
        return levels[-1] if levels and _on_account(levels[-1]) else None

    def _renamed_cause(self, cause: Cause, old: Level, new: Level) -> Cause:
        deciding = tuple(
            self._renamed_ref(ref, new) if id(ref) in self._account_refs else ref
            for ref in cause.deciding
        )
        reason = cause.reason.replace(_where(old), _where(new))
        return Cause(
            cause.category,
            reason,
            cause.statement,
            cause.proposal,
            deciding,
            cause.guard,
            cause.on_account,
        )

    def _renamed_ref(self, ref: StatementRef, level: Level) -> StatementRef:
        # refs are kept for the classifier's life: their ids stay theirs
        key = (id(ref), level.target_id)
        renamed = self._renamed_refs.get(key)
        if renamed is None:
            renamed = self._renamed_refs[key] = replace(ref, target=level.name)
        return renamed

    def _judgement(
        self, denial: Denial, action: str, account: str | None, explanation: Explanation
    ) -> Judgement:
        verdicts = explanation.verdicts
        if explanation.guards:
            region = denial.region
            verdicts = explanation.in_region.get(region) or self._in_region(
                explanation, action, region
            )
        accounts = self._account_tuples.get(account) or self._account_tuple(account)
        return denial, action, accounts, verdicts

    def _in_region(
        self, explanation: Explanation, action: str, region: str | None
    ) -> tuple[Verdict, ...]:
        """The explanation's verdicts with its region guard causes for the region."""
        verdicts = list(explanation.verdicts)
        for guard in explanation.guards:
            verdicts[guard.index] = self._guard_verdict(explanation, guard, action, region)
        found = explanation.in_region[region] = tuple(verdicts)
        return found

    def _account_tuple(self, account: str | None) -> tuple[str, ...]:
        """The accounts of a row's findings, one tuple shared by all rows of the account."""
        found = self._account_tuples[account] = (account,) if account else ()
        return found

    def _guard_verdict(
        self, explanation: Explanation, guard: _Guard, action: str, region: str | None
    ) -> Verdict:
        """A region guard's cause for the row's region: calls that differ only in a region the
        guard denies share every other cause."""
        deny_type, skipped = explanation.deny_type, explanation.checks_skipped
        key = (guard.key, region, deny_type, skipped)
        verdict = self._guard_verdicts.get(key)
        if verdict is None:
            cause = self._region_guard(guard.match, guard.condition, action, region)
            if len(self._guard_verdicts) > CACHE_LIMIT:
                self._guard_verdicts.clear()
            verdict = self._guard_verdicts[key] = _verdict(cause, deny_type, skipped)
        return verdict

    def _action(
        self, named_action: str | None, event_source: str, event_name: str
    ) -> tuple[str, str, int]:
        """Reads into the cache the call's IAM action, its lowercase form (which keys
        explanations) and its signature in the policy set (which statements match it)."""
        read = self._read_action(named_action, event_source, event_name)
        signature = self.policy_set.action_signature(read)
        action = self._actions[(named_action, event_source, event_name)] = (
            read,
            read.lower(),
            signature,
        )
        return action

    def _read_action(self, named_action: str | None, event_source: str, event_name: str) -> str:
        if named_action and self.catalog.action_exists(named_action):
            return self.catalog.canonical_action(named_action) or named_action
        mapped = self.catalog.iam_action_for_event(event_source, event_name)
        return self.catalog.canonical_action(mapped) or mapped

    def _caller(
        self, message_arn: str | None, principals: tuple[str, ...]
    ) -> tuple[str | None, bool]:
        """The principal to evaluate, and whether the row names a service-linked role."""
        # A session's name changes nothing: `.../assumed-role/<role>/<session>` is read as its role
        if message_arn is not None:
            head, marker, rest = message_arn.partition(":assumed-role/")
            if marker and "/" in rest:
                message_arn = head + marker + rest.partition("/")[0]
        key = (message_arn, principals)
        caller = self._callers.get(key)
        if caller is None:
            principal = _principal_arn(message_arn, principals)
            linked = any(_service_linked(arn) for arn in (principal, *key[1], message_arn) if arn)
            if len(self._callers) > CACHE_LIMIT:
                self._callers.clear()
            caller = self._callers[key] = (principal, linked)
        return caller

    def _context_class(self, region: str | None, account: str | None, principal: str | None) -> int:
        """Equal for two calls exactly when the same levels govern them and every condition of
        the policy set has the same outcome for both: such calls get the same decision."""
        member = (region, account, principal)
        found = self._classes.get(member)
        if found is None:
            signature: tuple[object, ...]
            if account is not None and account == self._management:
                signature = ("management account",)
            else:
                mixed_outcomes: tuple[bool | None, ...] = ()
                if self._conditions.mixed:
                    context = Call("", region, account, principal).context()
                    mixed_outcomes = tuple(
                        evaluate_condition(c, context) for c in self._conditions.mixed
                    )
                # evaluate() itself exempts service-linked roles: never a representative
                linked = principal is not None and SERVICE_LINKED_ROLE in principal
                signature = (
                    self.policy_set.governance(account).key,
                    self._conditions.region_outcomes(region),
                    self._conditions.principal_outcomes(account, principal),
                    mixed_outcomes,
                    linked,
                )
            found = self._class_ids.get(signature)
            if found is None:
                found = self._class_ids[signature] = len(self._members)
                self._members.append(member)
                self._class_signatures.append(signature)
            if len(self._classes) > CACHE_LIMIT:
                self._classes.clear()
            self._classes[member] = found
        return found

    def _shared_class(self, region: str | None, account: str | None, principal: str | None) -> int:
        """Like the context class, but accounts whose levels hold the same policies share it:
        their explanations differ only where a cause names the account's own level."""
        member = (region, account, principal)
        found = self._shared.get(member)
        if found is None:
            signature: tuple[object, ...]
            if self._conditions.mixed:
                fine = self._context_class(region, account, principal)
                signature = (self._shape(account), self._class_signatures[fine][1:])
            else:
                # A batch has few regions and few callers but many pairs of them: each part is
                # worked out once.
                caller = self._caller_parts.get((account, principal))
                if caller is None:
                    caller = self._caller_part(account, principal)
                signature = (caller, self._conditions.region_outcomes(region))
            found = self._shared_signatures.number(signature)
            if len(self._shared) > CACHE_LIMIT:
                self._shared.clear()
            self._shared[member] = found
        return found

    def _relevant_class(self, action: str, signature: int, shared: int) -> int:
        """The shared class as the statements that match the action see it: only their
        conditions count, and a statement that some condition rules out counts as absent,
        whatever its other conditions say. Calls of one relevant class get the same decision
        (the break-glass role and an approved region both stop a region guard from matching)."""
        parts: tuple[object, ...]
        if self._conditions.mixed:
            parts = ("shared", shared)
        else:
            caller, region_outcomes = self._shared_signatures.values[shared]
            shape, principal_outcomes, linked = self._caller_part_list.values[caller]
            outcomes = self._conditions.outcome_of
            statements = []
            for matching in self.policy_set.statements_matching(action).values():
                for statement in matching:
                    read = tuple(
                        outcomes(condition, region_outcomes, principal_outcomes)
                        for condition in statement.conditions
                    )
                    statements.append(False if False in read else read)
            parts = (signature, shape, linked, tuple(statements))
        found = self._relevant_ids.setdefault(parts, len(self._relevant_ids))
        if len(self._relevant) > CACHE_LIMIT:
            self._relevant.clear()
        self._relevant[(signature, shared)] = found
        return found

    def _caller_part(self, account: str | None, principal: str | None) -> int:
        """What the shared class reads of the caller: the shape of its account's levels and
        the outcomes of the conditions on the caller."""
        part = (
            self._shape(account),
            self._conditions.principal_outcomes(account, principal),
            principal is not None and SERVICE_LINKED_ROLE in principal,
        )
        found = self._caller_part_list.number(part)
        if len(self._caller_parts) > CACHE_LIMIT:
            self._caller_parts.clear()
        self._caller_parts[(account, principal)] = found
        return found

    def _shape(self, account: str | None) -> tuple[object, ...]:
        """The levels that govern the account, with the account's own level unnamed."""
        shape = self._shapes.get(account)
        if shape is None:
            governance = self.policy_set.governance(account)
            shape = self._shapes[account] = (
                tuple(
                    (
                        "account" if level.kind == "account" else level.target_id,
                        tuple(policy.name for policy in level.policies),
                    )
                    for level in governance.levels
                ),
                governance.notes,
                account is not None and account == self._management,
            )
        return shape

    def _decide(
        self, action: str, region: str | None, account: str | None, principal: str | None
    ) -> Decision:
        """The decision for the call, through the first call seen of its context class."""
        context_class = self._context_class(region, account, principal)
        # actions that the same statements match share every decision
        key = (self.policy_set.action_signature(action), context_class)
        decision = self._decisions.get(key)
        if decision is None:
            representative = self._members[context_class]
            decision = evaluate(self.policy_set, Call(action, *representative))
            if len(self._decisions) > CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    # --- explanation ---------------------------------------------------------------------

    def _explain(self, read: _Read) -> Explanation:
        action, denial, policy_type, explicit, principal, service_linked = read
        skipped = _skipped_checks(denial)
        not_scp = self._not_scp_reason(denial, policy_type, explicit, service_linked)
        if not_scp is not None:
            not_scp_cause = (Cause(Category.NOT_SCP, not_scp),)
            return Explanation(not_scp_cause, None, skipped, denial.account_id)
        accounts: Sequence[str | None] = [denial.account_id]
        if denial.account_id is None and self._representatives:
            accounts = self._representatives
            paths = f"each of the {len(accounts)} distinct paths of organization.json"
            skipped = (*skipped, f"account: {paths} was evaluated instead")
        causes: list[Cause] = []
        decisions = []
        unknown_keys: set[str] = set()
        for account in accounts:
            decision = self._decide(action, denial.region, account, principal)
            decisions.append(decision)
            summary = self._summary(decision)
            causes.extend(self._explicit(match, action, denial.region) for match in summary.denies)
            causes.extend(self._implicit(level, action) for level in summary.lacking)
            unknown_keys.update(summary.unknown_keys)
        skipped += tuple(note for note in decisions[0].notes if note not in skipped)
        if not causes:
            if all(decision.allowed for decision in decisions):
                named_scp = policy_type is PolicyType.SCP
                allowed = (self._allowed(decisions[0], named_scp),)
                return Explanation(allowed, None, skipped, denial.account_id, named_scp)
            causes.append(Cause(Category.UNKNOWN, "denied, but no statement explains it"))
        if unknown_keys:
            # keys differing only in case (aws:PrincipalArn, aws:PrincipalARN) in one order,
            # not the set's, which changes from run to run with the string hash seed
            keys = ", ".join(sorted(unknown_keys, key=lambda key: (key.lower(), key)))
            skipped = (*skipped, f"conditions on {keys}: not known from CloudTrail")
        guardrails = [cause for cause in causes if cause.category is Category.GUARDRAIL]
        if guardrails:
            # A deliberate deny stands whatever else is missing: proposing the rest would widen
            # access that can never be used, so the guardrail alone is reported.
            causes = guardrails
        deny_type = next((d.deny_type for d in decisions if d.deny_type), "explicit")
        merged = tuple(_merge(causes))
        global_prefix = action.partition(":")[0] if self.catalog.is_global_action(action) else None
        return Explanation(
            merged, deny_type, skipped, denial.account_id, global_prefix=global_prefix
        )

    def _summary(self, decision: Decision) -> "_Summary":
        # Decisions are shared by many calls; the summary keeps its decision alive, so the id
        # cannot be reused while the entry exists.
        summary = self._summaries.get(id(decision))
        if summary is None or summary.decision is not decision:
            if len(self._summaries) > CACHE_LIMIT:
                self._summaries.clear()
            summary = self._summaries[id(decision)] = _Summary(
                decision,
                (*decision.explicit_denies, *_assumed_denies(decision)),
                decision.levels_without_allow,
                decision.unknown_keys,
            )
        return summary

    def _not_scp_reason(
        self,
        denial: Denial,
        policy_type: PolicyType | None,
        explicit: bool | None,
        service_linked: bool,
    ) -> str | None:
        if policy_type is not None and policy_type is not PolicyType.SCP:
            kind = "an explicit deny in" if explicit else "no allow in"
            return f"the message names {kind} the {policy_type.value}, not an SCP"
        management = self._management
        if management and denial.account_id == management:
            return f"{management} is the management account: SCPs never apply to it"
        if service_linked:
            return "the caller is a service-linked role: SCPs never apply to those"
        return None

    def _allowed(self, decision: Decision, named_scp: bool) -> Cause:
        allows = tuple(self._ref(match) for level in decision.levels for match in level.allows)
        if named_scp:
            reason = "the SCPs in policies/ allow this call now: it was fixed after the denial"
        else:
            reason = (
                "the SCPs in policies/ allow this call; the message names no policy type, so "
                "another policy may have denied it"
            )
        if not decision.certain:
            reason += f" (unless {_maybe_text(decision)})"
        on_account = any(level.allows and _on_account(level.level) for level in decision.levels)
        return Cause(Category.ALREADY_ALLOWED, reason, None, None, allows, on_account=on_account)

    def _explicit(self, match: StatementMatch, action: str, region: str | None) -> Cause:
        # What the cause reads of the match: the statement, its level (the policy set keeps
        # both) and the outcome of each condition. A region guard's cause is rebuilt for each
        # row's region (`_guard_template`); only whether there is a region is read here.
        outcomes = tuple(result.outcome for result in match.conditions)
        key = (id(match.statement), id(match.level), match.match, outcomes, action, region is None)
        cause = self._explicit_causes.get(key)
        if cause is None:
            if len(self._explicit_causes) > CACHE_LIMIT:
                self._explicit_causes.clear()
            cause = self._explicit_causes[key] = _bound(
                self._explicit_cause(match, action, region), _on_account(match.level)
            )
        return cause

    def _explicit_cause(self, match: StatementMatch, action: str, region: str | None) -> Cause:
        statement = match.statement
        refs = (self._ref(match),)
        region_condition = _region_guard_condition(match)
        if region_condition is not None and _only_exemptions(statement, region_condition):
            return self._region_guard(match, region_condition, action, region)
        if statement.not_actions is not None and _only_exemptions(statement):
            category, add, why = self._gap(statement.not_actions, action)
            proposal = self._proposal(statement, "NotAction", add)
            reason = (
                f"{statement.policy} {statement.label} denies every action but those in its "
                f"NotAction, and {why}"
            )
            return Cause(category, reason, statement, proposal, refs)
        reason = f"{statement.policy} {statement.label} deliberately denies {action}"
        if match.match == "maybe":
            reason += f" (it may apply: {match.why_maybe()})"
        return Cause(Category.GUARDRAIL, reason, statement, None, refs)

    def _region_guard(
        self, match: StatementMatch, condition: Condition, action: str, region: str | None
    ) -> Cause:
        statement = match.statement
        refs = (self._ref(match),)
        guard = (match, condition)
        where = f"{statement.policy} {statement.label}"
        prefix = action.partition(":")[0]
        if self.catalog.is_global_action(action):
            logged = region or GLOBAL_REGION
            reason = (
                f"{where} denies calls outside its approved regions; {prefix} is a global "
                f"service, logged in {logged} whatever the caller's region, and is not among "
                "the guard's NotAction exemptions"
            )
            proposal = (
                self._proposal(statement, "NotAction", f"{prefix}:*")
                if statement.not_actions is not None
                else None
            )
            return Cause(Category.GLOBAL_SERVICE, reason, statement, proposal, refs, guard)
        if region is None:
            reason = f"{where} denies calls outside its approved regions; the row has no region"
            return Cause(Category.UNKNOWN, reason, statement, None, refs, guard)
        reason = f"{where} denies calls outside its approved regions, and {region} is not one"
        element = f"Condition/{condition.operator}/{condition.key}"
        proposal = self._proposal(statement, element, region)
        return Cause(Category.NEW_REGION, reason, statement, proposal, refs, guard)

    def _implicit(self, level: LevelDecision, action: str) -> Cause:
        # the policy set keeps its levels: their ids stay theirs
        key = (id(level.level), action)
        cause = self._implicit_causes.get(key)
        if cause is None:
            if len(self._implicit_causes) > CACHE_LIMIT:
                self._implicit_causes.clear()
            cause = self._implicit_causes[key] = _bound(
                self._implicit_cause(level, action), _on_account(level.level)
            )
        return cause

    def _implicit_cause(self, level: LevelDecision, action: str) -> Cause:
        candidates = self._candidates.get(id(level.level))
        if candidates is None:
            candidates = self._candidates[id(level.level)] = [
                statement
                for policy in level.level.policies
                for statement in policy.statements
                if statement.effect == "Allow"
                and statement.actions is not None
                and not statement.conditions
                and not statement.resource_scoped
            ]
        where = _where(level.level)
        if not candidates:
            reason = f"no SCP {where} allows {action}, and none has an Action list"
            return Cause(Category.UNKNOWN, reason)
        best: tuple[int, Statement, Category, str, str] | None = None
        for statement in candidates:
            category, add, why = self._gap(statement.actions or (), action)
            rank = _RANK[category]
            if best is None or rank > best[0]:
                best = (rank, statement, category, add, why)
        assert best is not None
        _, statement, category, add, why = best
        reason = f"no SCP {where} allows {action}: {why}"
        return Cause(category, reason, statement, self._proposal(statement, "Action", add))

    def _gap(self, patterns: tuple[str, ...], action: str) -> tuple[Category, str, str]:
        """Why an allow-list (Action or NotAction patterns) lacks `action`, and what to add."""
        # The pattern tuples belong to statements of the policy set, which outlives the cache.
        key = (id(patterns), action)
        gap = self._gaps.get(key)
        if gap is None:
            if len(self._gaps) > CACHE_LIMIT:
                self._gaps.clear()
            gap = self._gaps[key] = self._find_gap(patterns, action)
        return gap

    def _find_gap(self, patterns: tuple[str, ...], action: str) -> tuple[Category, str, str]:
        prefix = action.partition(":")[0].lower()
        listed = self._listed.get(id(patterns))
        if listed is None:
            listed = self._listed[id(patterns)] = (
                frozenset(pattern.partition(":")[0].lower() for pattern in patterns),
                frozenset(pattern.lower() for pattern in patterns),
            )
        listed_prefixes, lowered = listed
        for old in self.catalog.renamed_from(action):
            if old.lower() in lowered or f"{old.partition(':')[0].lower()}:*" in lowered:
                why = f"it lists {old}, which AWS replaced by {action}"
                return Category.RENAMED_ACTION, action, why
        if prefix in listed_prefixes:
            why = f"it allows part of {prefix} but not {action}"
            return Category.NEW_ACTION, action, why
        siblings = sorted((self.catalog.family_of(prefix) - {prefix}) & listed_prefixes)
        if siblings:
            service = self.catalog.service_name(prefix) or prefix
            why = (
                f"it allows {', '.join(siblings)} but not {prefix}, "
                f"a prefix of the same service ({service})"
            )
            return Category.NEW_PREFIX, f"{prefix}:*", why
        service = self.catalog.service_name(prefix) or prefix
        why = f"it allows nothing of {service} ({prefix})"
        return Category.NEW_SERVICE, f"{prefix}:*", why

    def _proposal(self, statement: Statement, element: str, add: str) -> Proposal:
        key = (statement.policy, statement.index, element, add)
        proposal = self._proposals.get(key)
        if proposal is None:
            if len(self._proposals) > CACHE_LIMIT:
                self._proposals.clear()
            proposal = self._proposals[key] = Proposal(
                policy=statement.policy,
                statement=statement.label,
                statement_index=statement.index,
                element=element,
                add=add,
            )
        return proposal

    def _ref(self, match: StatementMatch) -> StatementRef:
        key = (id(match.statement), match.level.target_id, match.match)
        ref = self._refs.get(key)
        if ref is None:
            ref = self._refs[key] = _ref(match)
            if _on_account(match.level):
                # refs are kept for the classifier's life: their ids stay theirs
                self._account_refs.add(id(ref))
        return ref


_RANK = {
    Category.RENAMED_ACTION: 3,
    Category.NEW_ACTION: 2,
    Category.NEW_PREFIX: 1,
    Category.NEW_SERVICE: 0,
}


def _merge(causes: list[Cause]) -> list[Cause]:
    """One cause per (category, proposal): the same gap seen at two levels is reported once."""
    if len(causes) < 2:
        return causes
    seen: dict[tuple[object, ...], Cause] = {}
    for cause in causes:
        proposal_key = cause.proposal.key() if cause.proposal else None
        key = (cause.category, proposal_key, cause.reason if proposal_key is None else None)
        seen.setdefault(key, cause)
    return list(seen.values())


def _representative_accounts(policy_set: PolicySet) -> list[str | None]:
    """One member account per distinct chain of attached SCPs: what a row without an account
    is evaluated against, so that an OU's allow-list is not skipped."""
    organization = policy_set.organization
    if organization is None:
        return []
    chains: dict[tuple[tuple[str, ...], ...], str] = {}
    for account in sorted(organization.accounts):
        if account == organization.management_account:
            continue
        levels = policy_set.governance(account).levels
        chain = tuple(tuple(policy.name for policy in level.policies) for level in levels)
        chains.setdefault(chain, account)
    return list(chains.values())


def _assumed_denies(decision: Decision) -> list[StatementMatch]:
    """Denies that match unless the caller is exempt, where the row does not name the caller.

    A region guard usually exempts a break-glass role (`ArnNotLike aws:PrincipalArn`); a denied
    call from an unknown principal is taken as not exempt. A deny that needs a positive fact
    (`StringLike aws:PrincipalArn ...:root`) or a resource is not assumed.
    """
    return [
        match
        for level in decision.levels
        for match in level.maybe_denies
        if not match.resource_scoped
        and all(result.known or _is_exemption(result.condition) for result in match.conditions)
    ]


def _maybe_text(decision: Decision) -> str:
    return "; ".join(f"{m.policy} {m.label}: {m.why_maybe()}" for m in decision.maybe)


def _skipped_checks(denial: Denial) -> tuple[str, ...]:
    skipped = []
    if not denial.region:
        skipped.append("region: the row has none, so region guards could not be checked")
    if not denial.account_id:
        skipped.append("account: the row has none")
    return tuple(skipped)


def _principal_arn(message_arn: str | None, principals: Sequence[str]) -> str | None:
    """The caller as `aws:PrincipalArn` sees it: for an assumed role, the role's ARN, not the
    session's (IAM User Guide, aws:PrincipalArn). The row's role ARN with the same name keeps the
    role's path, which the session ARN does not carry."""
    if message_arn is None:
        return principals[0] if principals else None
    head, _, resource = message_arn.partition(":assumed-role/")
    if not resource or ":sts::" not in head:
        return message_arn
    role = resource.split("/", 1)[0]
    for candidate in principals:
        if candidate.endswith(f"/{role}") and ":role/" in candidate:
            return candidate
    partition, _, account = head.removeprefix("arn:").partition(":sts::")
    return f"arn:{partition}:iam::{account}:role/{role}"


def _service_linked(arn: str) -> bool:
    """Role ARNs carry the `aws-service-role/` path; assumed-role ARNs only the role's name."""
    if SERVICE_LINKED_ROLE in arn:
        return True
    if SERVICE_LINKED_ROLE_NAME not in arn:
        return False
    resource = arn.rpartition(":")[2].split("/")
    return (
        resource[0] == "assumed-role"
        and len(resource) > 1
        and resource[1].startswith(SERVICE_LINKED_ROLE_NAME)
    )
