"""Stage 3, decide: the evaluator's answer (`recommender.scp.evaluate`), once per signature.

Requests with equal signatures (see `request`) get the same decision: the first of them is
evaluated and the others share its decision. Its levels are that first request's: the stage that
explains a decision names the row's own account level, not theirs.
"""

from recommender.classify.request import Request, Signer
from recommender.scp.evaluate import (
    PRINCIPAL_ACCOUNT,
    PRINCIPAL_ARN,
    PRINCIPAL_ORG_ID,
    Decision,
    StatementMatch,
    evaluate,
)
from recommender.scp.model import Condition
from recommender.scp.policyset import PolicySet

# Conditions that carve principals out of a deny.
PRINCIPAL_KEYS = frozenset(
    {PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, PRINCIPAL_ORG_ID, "aws:principaltag", "aws:principaltype"}
)


class Decider:
    """Decisions of one policy set, by signature."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self.signer = Signer(policy_set)
        self._decisions: dict[int, Decision] = {}

    def decide(self, request: Request, signature: int | None = None) -> Decision:
        """The decision for the request, whose signature may be known already."""
        if signature is None:
            signature = self.signer.signature(*request)
        decision = self._decisions.get(signature)
        if decision is None:
            decision = self._decisions[signature] = evaluate(self.policy_set, request.call())
        return decision


def denies(decision: Decision) -> list[StatementMatch]:
    """The denies that explain a decision: the explicit ones, and those that match unless the
    caller is exempt, where the row does not name the caller.

    A region guard usually exempts a break-glass role (`ArnNotLike aws:PrincipalArn`); a denied
    call from an unknown principal is taken as not exempt. A deny that needs a positive fact
    (`StringLike aws:PrincipalArn ...:root`) or a resource is not assumed.
    """
    assumed = [
        match
        for level in decision.levels
        for match in level.maybe_denies
        if not match.resource_scoped
        and all(result.known or is_exemption(result.condition) for result in match.conditions)
    ]
    return [*decision.explicit_denies, *assumed]


def is_exemption(condition: Condition) -> bool:
    parsed = condition.parsed
    return bool(parsed and parsed.negated and condition.key_lower in PRINCIPAL_KEYS)
