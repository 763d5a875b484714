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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from recommender.catalog import Catalog
from recommender.messages import DenialMessage, PolicyType, parse_message
from recommender.models import Category, Denial, Finding, Proposal, StatementRef
from recommender.scp.evaluate import (
    PRINCIPAL_ACCOUNT,
    PRINCIPAL_ARN,
    PRINCIPAL_ORG_ID,
    REQUESTED_REGION,
    SERVICE_LINKED_ROLE,
    Call,
    Decision,
    LevelDecision,
    StatementMatch,
    evaluate,
)
from recommender.scp.model import Condition, Statement
from recommender.scp.policyset import PolicySet

# Conditions that carve principals out of a deny: they do not make it a guardrail.
PRINCIPAL_KEYS = frozenset(
    {PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_ORG_ID, "aws:principaltag", "aws:principaltype"}
)
REGION_GUARD_OPERATORS = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"}
)
GLOBAL_REGION = "us-east-1"
SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleFor"


@dataclass(frozen=True)
class Cause:
    """One reason a call was denied, independent of the row's counts and samples."""

    category: Category
    reason: str
    statement: Statement | None = None
    proposal: Proposal | None = None
    deciding: tuple[StatementRef, ...] = ()


@dataclass(frozen=True)
class Explanation:
    causes: tuple[Cause, ...]
    deny_type: str | None
    checks_skipped: tuple[str, ...] = field(default=())


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
    """Classifies denial rows against one policy set; reuse it for many rows (it caches)."""

    def __init__(self, policy_set: PolicySet, catalog: Catalog) -> None:
        self.policy_set = policy_set
        self.catalog = catalog
        self._cache: dict[tuple[object, ...], Explanation] = {}
        self._representatives = _representative_accounts(policy_set)

    def classify_all(self, denials: Iterable[Denial]) -> list[Finding]:
        return [finding for denial in denials for finding in self.classify(denial)]

    def classify(self, denial: Denial) -> list[Finding]:
        message = parse_message(denial.error_message, denial.error_code)
        action = self._action(denial, message)
        principal = _principal_arn(message.principal_arn, denial.principals)
        # The principal changes the answer only where a policy has a condition on it.
        principal_matters = bool(self.policy_set.context_keys & PRINCIPAL_KEYS)
        key = (
            action.lower(),
            denial.region,
            denial.account_id,
            principal if principal_matters else None,
            any(_service_linked(arn) for arn in _callers(message, denial) if arn),
            message.policy_type,
            message.explicit,
        )
        explanation = self._cache.get(key)
        if explanation is None:
            explanation = self._explain(action, denial, message, principal)
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[key] = explanation
        return [self._finding(denial, action, explanation, cause) for cause in explanation.causes]

    def _action(self, denial: Denial, message: DenialMessage) -> str:
        if message.action and self.catalog.action_exists(message.action):
            return self.catalog.canonical_action(message.action) or message.action
        mapped = self.catalog.iam_action_for_event(denial.event_source, denial.event_name)
        return self.catalog.canonical_action(mapped) or mapped

    def _finding(
        self, denial: Denial, action: str, explanation: Explanation, cause: Cause
    ) -> Finding:
        statement = cause.statement
        return Finding(
            category=cause.category,
            action=action,
            event_source=denial.event_source,
            event_name=denial.event_name,
            region=denial.region,
            accounts=[denial.account_id] if denial.account_id else [],
            count=denial.count,
            policy=statement.policy if statement else None,
            statement=statement.label if statement else None,
            reason=cause.reason,
            proposal=cause.proposal,
            deny_type=explanation.deny_type,
            deciding=list(cause.deciding),
            checks_skipped=list(explanation.checks_skipped),
            principals=list(denial.principals),
            first_seen=denial.first_seen,
            last_seen=denial.last_seen,
            error_code=denial.error_code,
            event_ids=list(denial.event_ids),
        )

    # --- explanation ---------------------------------------------------------------------

    def _explain(
        self, action: str, denial: Denial, message: DenialMessage, principal: str | None
    ) -> Explanation:
        skipped = _skipped_checks(denial)
        not_scp = self._not_scp_reason(denial, message, principal)
        if not_scp is not None:
            return Explanation((Cause(Category.NOT_SCP, not_scp),), None, skipped)
        accounts: Sequence[str | None] = [denial.account_id]
        if denial.account_id is None and self._representatives:
            accounts = self._representatives
            paths = f"each of the {len(accounts)} distinct paths of organization.json"
            skipped = (*skipped, f"account: {paths} was evaluated instead")
        causes: list[Cause] = []
        decisions = []
        for account in accounts:
            decision = evaluate(self.policy_set, Call(action, denial.region, account, principal))
            decisions.append(decision)
            causes.extend(
                self._explicit(match, action, denial.region)
                for match in (*decision.explicit_denies, *_assumed_denies(decision))
            )
            causes.extend(self._implicit(level, action) for level in decision.levels_without_allow)
        skipped += tuple(note for note in decisions[0].notes if note not in skipped)
        unknown_keys = sorted({key for d in decisions for key in d.unknown_keys}, key=str.lower)
        if not causes:
            if all(decision.allowed for decision in decisions):
                return Explanation((self._allowed(decisions[0], message),), None, skipped)
            causes.append(Cause(Category.UNKNOWN, "denied, but no statement explains it"))
        if unknown_keys:
            skipped = (
                *skipped,
                f"conditions on {', '.join(unknown_keys)}: not known from CloudTrail",
            )
        guardrails = [cause for cause in causes if cause.category is Category.GUARDRAIL]
        if guardrails:
            # A deliberate deny stands whatever else is missing: proposing the rest would widen
            # access that can never be used, so the guardrail alone is reported.
            causes = guardrails
        deny_type = next((d.deny_type for d in decisions if d.deny_type), "explicit")
        return Explanation(tuple(_merge(causes)), deny_type, skipped)

    def _not_scp_reason(
        self, denial: Denial, message: DenialMessage, principal: str | None
    ) -> str | None:
        if message.policy_type is not None and message.policy_type is not PolicyType.SCP:
            kind = "an explicit deny in" if message.explicit else "no allow in"
            return f"the message names {kind} the {message.policy_type.value}, not an SCP"
        management = self.policy_set.management_account
        if management and denial.account_id == management:
            return f"{management} is the management account: SCPs never apply to it"
        if any(_service_linked(arn) for arn in (principal, *_callers(message, denial)) if arn):
            return "the caller is a service-linked role: SCPs never apply to those"
        return None

    def _allowed(self, decision: Decision, message: DenialMessage) -> Cause:
        maybe_denies = [match for level in decision.levels for match in level.maybe_denies]
        if message.is_scp and maybe_denies:
            # The message says an SCP denied it and only a statement that depends on what the
            # row lacks can have: the call was not fixed since, its cause is not known.
            causes = "; ".join(f"{m.policy} {m.label}: {m.why_maybe()}" for m in maybe_denies)
            reason = f"an SCP denied it, and only these statements can have: {causes}"
            refs = tuple(_ref(match) for match in maybe_denies)
            return Cause(Category.UNKNOWN, reason, maybe_denies[0].statement, None, refs)
        allows = tuple(_ref(match) for level in decision.levels for match in level.allows)
        if message.is_scp:
            reason = "the SCPs in policies/ allow this call now: it was fixed after the denial"
        else:
            reason = (
                "the SCPs in policies/ allow this call; the message names no policy type, so "
                "another policy may have denied it"
            )
        if not decision.certain:
            reason += f" (unless {_maybe_text(decision)})"
        return Cause(Category.ALREADY_ALLOWED, reason, None, None, allows)

    def _explicit(self, match: StatementMatch, action: str, region: str | None) -> Cause:
        statement = match.statement
        refs = (_ref(match),)
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
        refs = (_ref(match),)
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
            return Cause(Category.GLOBAL_SERVICE, reason, statement, proposal, refs)
        if region is None:
            reason = f"{where} denies calls outside its approved regions; the row has no region"
            return Cause(Category.UNKNOWN, reason, statement, None, refs)
        reason = f"{where} denies calls outside its approved regions, and {region} is not one"
        element = f"Condition/{condition.operator}/{condition.key}"
        return Cause(
            Category.NEW_REGION, reason, statement, self._proposal(statement, element, region), refs
        )

    def _implicit(self, level: LevelDecision, action: str) -> Cause:
        candidates = [
            statement
            for policy in level.level.policies
            for statement in policy.statements
            if statement.effect == "Allow"
            and statement.actions is not None
            and not statement.conditions
            and not statement.resource_scoped
        ]
        where = f"{level.level.kind} {level.level.name}"
        if not candidates:
            reason = f"no SCP attached at {where} allows {action}, and none has an Action list"
            return Cause(Category.UNKNOWN, reason)
        best: tuple[int, Statement, Category, str, str] | None = None
        for statement in candidates:
            category, add, why = self._gap(statement.actions or (), action)
            rank = _RANK[category]
            if best is None or rank > best[0]:
                best = (rank, statement, category, add, why)
        assert best is not None
        _, statement, category, add, why = best
        reason = f"no SCP attached at {where} allows {action}: {why}"
        return Cause(category, reason, statement, self._proposal(statement, "Action", add))

    def _gap(self, patterns: Sequence[str], action: str) -> tuple[Category, str, str]:
        """Why an allow-list (Action or NotAction patterns) lacks `action`, and what to add."""
        prefix = action.partition(":")[0].lower()
        listed_prefixes = {pattern.partition(":")[0].lower() for pattern in patterns}
        lowered = {pattern.lower() for pattern in patterns}
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

    @staticmethod
    def _proposal(statement: Statement, element: str, add: str) -> Proposal:
        return Proposal(
            policy=statement.policy,
            statement=statement.label,
            statement_index=statement.index,
            element=element,
            add=add,
        )


_RANK = {
    Category.RENAMED_ACTION: 3,
    Category.NEW_ACTION: 2,
    Category.NEW_PREFIX: 1,
    Category.NEW_SERVICE: 0,
}


def _merge(causes: list[Cause]) -> list[Cause]:
    """One cause per (category, proposal): the same gap seen at two levels is reported once."""
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


def _callers(message: DenialMessage, denial: Denial) -> tuple[str | None, ...]:
    """Every ARN the row names for its caller: the message's (a session) and the samples."""
    return (message.principal_arn, *denial.principals)


def _service_linked(arn: str) -> bool:
    """Role ARNs carry the `aws-service-role/` path; assumed-role ARNs only the role's name."""
    if SERVICE_LINKED_ROLE in arn:
        return True
    resource = arn.rpartition(":")[2].split("/")
    return (
        resource[0] == "assumed-role"
        and len(resource) > 1
        and resource[1].startswith(SERVICE_LINKED_ROLE_NAME)
    )
