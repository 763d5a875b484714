"""The classifier: each row through the four stages, and one memo of their answers.

    read the row  ->  build the request  ->  decide  ->  explain
    read.py           request.py            decide.py   explain.py (gaps.py)

Rows rarely repeat, but what decides them does. The memo keys a row by what can change its
answer: its action, the outcomes of the policy set's conditions for its region and its caller,
the chain of policies that governs its account (`request.Signer.context`), and whether it lacks a
region or an account. Rows of one key get the same decision and the same explanation, except
where the explanation quotes the row's region (a region guard), its account's own level (a
statement attached to the account) or whether its message named an SCP: the explanation records
which of these it read (`explain.Facts`), and is made again for each row that differs in them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from recommender.catalog import Catalog
from recommender.classify.decide import Decider
from recommender.classify.explain import (
    ACCOUNT,
    NAMED_SCP,
    REGION,
    Cause,
    Explainer,
    Explanation,
    Facts,
    not_scp_reason,
    verdict,
)
from recommender.classify.read import Reader, Reading
from recommender.classify.request import Request
from recommender.messages import PolicyType
from recommender.models import Category, Denial, Finding, Verdict
from recommender.scp.policyset import Level, PolicySet

Key = tuple[object, ...]


@dataclass(slots=True)
class Answer:
    """What the stages found for the rows of one key."""

    verdicts: tuple[Verdict, ...]
    # what of the row the explanation quoted: the region, the account's level, the message
    reads: frozenset[str] = frozenset()
    explanation: Explanation | None = None
    # the verdicts for each value of what the explanation quoted
    quoted: dict[Key, tuple[Verdict, ...]] = field(default_factory=dict)


class Classifier:
    """Classifies denial rows against one policy set; reuse it for many rows (see the module)."""

    def __init__(self, policy_set: PolicySet, catalog: Catalog) -> None:
        self.policy_set = policy_set
        self.catalog = catalog
        self._reader = Reader(catalog)
        self._decider = Decider(policy_set)
        self._signer = self._decider.signer
        self._explainer = Explainer(catalog)
        self._management = policy_set.management_account
        self._representatives = representative_accounts(policy_set)
        self._memo: dict[Key, Answer] = {}
        self._accounts: dict[str | None, tuple[str, ...]] = {}

    def classify_all(self, rows: Iterable[Denial]) -> list[Finding]:
        """The findings of every row, in row order."""
        findings: list[Finding] = []
        for row in rows:
            findings += self.classify(row)
        return findings

    def classify(self, row: Denial) -> list[Finding]:
        reading = self._reader.read(row)
        row, action = reading.row, reading.action
        region, account = row.region, row.account_id
        not_scp = not_scp_reason(reading, self._management)
        signature: int | None = None
        if not_scp is not None:
            key: Key = (not_scp, region is None, account is None)
        else:
            signature = self._signer.signature(action, region, account, reading.principal)
            key = (action, signature, region is None, account is None)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._memo[key] = self._answer(reading, not_scp, signature)
        verdicts = answer.verdicts
        if answer.reads:
            verdicts = self._quoted(answer, reading)
        accounts = self._accounts.get(account)
        if accounts is None:
            # one tuple for every finding of the account
            accounts = self._accounts[account] = (account,) if account else ()
        return [Finding(row, verdict, action, accounts) for verdict in verdicts]

    def _answer(self, reading: Reading, not_scp: str | None, signature: int | None) -> Answer:
        row = reading.row
        skipped = skipped_checks(row)
        if not_scp is not None or signature is None:
            return Answer((verdict(Cause(Category.NOT_SCP, not_scp or ""), None, skipped),))
        accounts: list[str | None] = [row.account_id]
        if row.account_id is None and self._representatives:
            accounts = self._representatives
            paths = f"each of the {len(accounts)} distinct paths of organization.json"
            skipped = (*skipped, f"account: {paths} was evaluated instead")
        decisions = tuple(
            self._decider.decide(
                Request(reading.action, row.region, account, reading.principal),
                signature if account == row.account_id else None,
            )
            for account in accounts
        )
        explanation = self._explainer.explain(decisions, self._facts(reading), skipped)
        answer = Answer(explanation.verdicts, explanation.reads, explanation)
        if answer.reads:
            answer.quoted[_quoted_key(answer, reading)] = explanation.verdicts
        return answer

    def _quoted(self, answer: Answer, reading: Reading) -> tuple[Verdict, ...]:
        """The answer's verdicts for the row's own region, account level and message."""
        key = _quoted_key(answer, reading)
        verdicts = answer.quoted.get(key)
        if verdicts is None:
            assert answer.explanation is not None  # only an explanation quotes the row
            verdicts = answer.quoted[key] = answer.explanation.for_row(self._facts(reading))
        return verdicts

    def _facts(self, reading: Reading) -> Facts:
        row = reading.row
        named_scp = reading.policy_type is PolicyType.SCP
        return Facts(reading.action, row.region, self._account_level(row.account_id), named_scp)

    def _account_level(self, account: str | None) -> Level | None:
        if account is None:
            return None
        levels = self.policy_set.governance(account).levels
        return levels[-1] if levels and levels[-1].kind == "account" else None


def _quoted_key(answer: Answer, reading: Reading) -> Key:
    reads, row = answer.reads, reading.row
    return (
        row.region if REGION in reads else None,
        row.account_id if ACCOUNT in reads else None,
        reading.policy_type is PolicyType.SCP if NAMED_SCP in reads else None,
    )


def skipped_checks(row: Denial) -> tuple[str, ...]:
    skipped = []
    if not row.region:
        skipped.append("region: the row has none, so region guards could not be checked")
    if not row.account_id:
        skipped.append("account: the row has none")
    return tuple(skipped)


def representative_accounts(policy_set: PolicySet) -> list[str | None]:
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
