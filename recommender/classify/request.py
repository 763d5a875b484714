"""Stage 2, build the request: the call as the evaluator sees it, and what can change its answer.

A request is the action, the region, the account and the caller (and, once rows carry one, the
resource). Its signature is what decides it: the statements that can match the action (the
action's signature in the policy set), the chain of policies that governs the account (its own
level unnamed: accounts with the same policies at every level are decided alike), and the
outcome of every test those statements make of the request (their conditions now, their
resource patterns later). Two requests with equal signatures get the same decision.

The tests are worked out by the part of the request they read, region or caller (a batch has
few regions and few callers but many pairs of them); a test that reads both is worked out for
the pair.
"""

from typing import NamedTuple

from recommender.scp.conditions import evaluate_condition
from recommender.scp.evaluate import KNOWN_KEYS, REQUESTED_REGION, Call
from recommender.scp.model import Condition
from recommender.scp.policyset import PolicySet

# The outcome of a test that reads nothing a request carries: the same for every request.
SAME = "same"
Outcome = bool | None | str
# Equal for requests whose conditions fare alike, region and caller apart or together.
Context = tuple[int, int, int]


class Request(NamedTuple):
    action: str
    region: str | None
    account: str | None
    principal: str | None

    def call(self) -> Call:
        return Call(self.action, self.region, self.account, self.principal)


class Signer:
    """Signatures of requests against one policy set."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        known = frozenset(KNOWN_KEYS)
        # conditions by the part of the request they read: region, caller, or both
        self._parts: tuple[list[Condition], list[Condition], list[Condition]] = ([], [], [])
        self._place: dict[int, tuple[int, int]] = {}
        for policy in policy_set.policies.values():
            for statement in policy.statements:
                for condition in statement.conditions:
                    read = known.intersection(condition.context_keys)
                    if not read or id(condition) in self._place:
                        continue
                    part = 0 if read == {REQUESTED_REGION} else 2 if REQUESTED_REGION in read else 1
                    self._place[id(condition)] = (part, len(self._parts[part]))
                    self._parts[part].append(condition)
        self._by_region: dict[str | None, int] = {}
        self._by_caller: dict[tuple[str | None, str | None], int] = {}
        self._by_both: dict[tuple[str | None, str | None, str | None], int] = {}
        # what the numbers stand for: a part's outcomes, and for the caller its chain
        self._numbers: dict[tuple[object, ...], int] = {}
        self._values: list[tuple[object, ...]] = []
        self._signatures: dict[tuple[str, Context], int] = {}
        # number 0: the outcomes of no conditions (the both part of a policy set without any)
        self._number(((),))

    def signature(
        self, action: str, region: str | None, account: str | None, principal: str | None
    ) -> int:
        """What decides a request, as a number: equal numbers, equal decisions. It stands for
        the action's signature in the policy set, the chain and the tests of the statements
        that can match the action (see the module)."""
        context = self._context(region, account, principal)
        found = self._signatures.get((action, context))
        if found is None:
            found = self._signatures[(action, context)] = self._signature(action, context)
        return found

    def _context(self, region: str | None, account: str | None, principal: str | None) -> Context:
        """The request's context as the conditions see it: three small numbers."""
        region_part = self._by_region.get(region)
        if region_part is None:
            region_part = self._by_region[region] = self._number(
                (self._outcomes(0, Call("", region)),)
            )
        caller_part = self._by_caller.get((account, principal))
        if caller_part is None:
            outcomes = self._outcomes(1, Call("", None, account, principal))
            caller_part = self._by_caller[(account, principal)] = self._number(
                (outcomes, self._chain(account))
            )
        both_part = 0
        if self._parts[2]:
            found = self._by_both.get((region, account, principal))
            if found is None:
                outcomes = self._outcomes(2, Call("", region, account, principal))
                found = self._by_both[(region, account, principal)] = self._number((outcomes,))
            both_part = found
        return region_part, caller_part, both_part

    def _signature(self, action: str, context: Context) -> int:
        # a statement that some condition rules out counts as absent, whatever its other
        # conditions say
        parts = [self._values[number][0] for number in context]
        chain = self._values[context[1]][1]
        tests: list[object] = []
        for statements in self.policy_set.statements_matching(action).values():
            for statement in statements:
                read = tuple(self._outcome(condition, parts) for condition in statement.conditions)
                tests.append(False if False in read else read)
        signature = (self.policy_set.action_signature(action), chain, tuple(tests))
        return self._number(signature)

    def _outcome(self, condition: Condition, parts: list[object]) -> Outcome:
        place = self._place.get(id(condition))
        if place is None:
            return SAME
        part, index = place
        outcomes = parts[part]
        assert isinstance(outcomes, tuple)
        found: Outcome = outcomes[index]
        return found

    def _outcomes(self, part: int, call: Call) -> tuple[bool | None, ...]:
        context = call.context()
        return tuple(evaluate_condition(condition, context) for condition in self._parts[part])

    def _chain(self, account: str | None) -> tuple[object, ...]:
        """The policies at each level that governs the account, its own level unnamed, and
        what the caller is told about them."""
        governance = self.policy_set.governance(account)
        levels = tuple(
            (
                "account" if level.kind == "account" else level.target_id,
                tuple(policy.name for policy in level.policies),
            )
            for level in governance.levels
        )
        return levels, governance.notes

    def _number(self, value: tuple[object, ...]) -> int:
        number = self._numbers.get(value)
        if number is None:
            number = self._numbers[value] = len(self._values)
            self._values.append(value)
        return number
