"""The records that flow between the pipeline stages (see docs/architecture.md)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

import msgspec


class Category(StrEnum):
    """Finding categories: the exact strings of the design's contract, in reading order
    (what needs a change first, then what needs attention, then what is settled)."""

    NEW_SERVICE = "new-service"
    NEW_PREFIX = "new-prefix"
    RENAMED_ACTION = "renamed-action"
    NEW_ACTION = "new-action"
    NEW_REGION = "new-region"
    GLOBAL_SERVICE = "global-service"
    UNKNOWN = "unknown"
    UNKNOWN_ACTION = "unknown-action"
    GUARDRAIL = "guardrail"
    ALREADY_ALLOWED = "already-allowed"
    NOT_SCP = "not-scp"

    @property
    def actionable(self) -> bool:
        return self in ACTIONABLE


ACTIONABLE = frozenset(
    {
        Category.NEW_SERVICE,
        Category.NEW_PREFIX,
        Category.RENAMED_ACTION,
        Category.NEW_ACTION,
        Category.NEW_REGION,
        Category.GLOBAL_SERVICE,
    }
)
# What closure allows to remain after every proposal is applied.
SETTLED = frozenset({Category.GUARDRAIL, Category.ALREADY_ALLOWED, Category.NOT_SCP})


# Checked when a row is decoded or converted, not when the program builds one.
Count = Annotated[int, msgspec.Meta(ge=0)]


# A msgspec struct, not a pydantic model: a batch reads hundreds of thousands of rows, decoded
# straight from JSON into this type. Unknown fields are refused so that a row spelled another way
# (an alias, another letter case) goes through the reader's slower path that maps its names.
# Untracked by the cyclic collector (gc=False): it holds only strings, numbers and tuples of
# strings, so it can never be part of a cycle.
class Denial(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """One group of denied calls: the output of `query`, the input of `classify`."""

    event_source: str
    event_name: str
    count: Count
    region: str | None = None
    account_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    policy_type: str | None = None
    # tuples: every finding of the row shares them
    principals: tuple[str, ...] = ()
    first_seen: str | None = None
    last_seen: str | None = None
    event_ids: tuple[str, ...] = ()


DENIAL_FIELDS: tuple[str, ...] = Denial.__struct_fields__


def replace_row(row: Denial, **changes: Any) -> Denial:
    """A copy of the row with some fields changed (not validated again)."""
    return msgspec.structs.replace(row, **changes)


def fields_of(record: "Proposal | StatementRef") -> dict[str, object]:
    """A flat record's fields as a JSON object, in declaration order."""
    return {name: getattr(record, name) for name in record.__slots__}


@dataclass(frozen=True, slots=True)
class Proposal:
    """Exactly what to add, and where: one value into one element of one statement."""

    policy: str
    statement: str
    statement_index: int
    element: str
    add: str

    def key(self) -> tuple[str, int, str, str]:
        return (self.policy, self.statement_index, self.element, self.add)


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that decided an evaluation: file, Sid or index, and its effect."""

    policy: str
    statement: str
    effect: str
    target: str | None = None
    match: str = "yes"


class Verdict(NamedTuple):
    """What one cause of a denial says, shared by the findings of every row it explains."""

    category: Category
    policy: str | None
    statement: str | None
    reason: str
    proposal: Proposal | None = None
    deciding: tuple[StatementRef, ...] = ()
    deny_type: str | None = None
    checks_skipped: tuple[str, ...] = ()


# The classifier builds one finding per cause of every row (hundreds of thousands per batch): a
# finding holds its row and its verdict, both shared, rather than copies of their fields.
@dataclass(slots=True)
class Finding:
    """One cause of one denial row: the row's facts (what was called, where, how often, by whom)
    and the verdict (category, reason, deciding statements, proposal)."""

    row: Denial
    verdict: Verdict
    action: str
    accounts: tuple[str, ...]
    declined: str | None = None

    @property
    def category(self) -> Category:
        return self.verdict.category

    @property
    def policy(self) -> str | None:
        return self.verdict.policy

    @property
    def statement(self) -> str | None:
        return self.verdict.statement

    @property
    def reason(self) -> str:
        return self.verdict.reason

    @property
    def proposal(self) -> Proposal | None:
        return self.verdict.proposal

    @property
    def deny_type(self) -> str | None:
        return self.verdict.deny_type

    @property
    def deciding(self) -> tuple[StatementRef, ...]:
        return self.verdict.deciding

    @property
    def checks_skipped(self) -> tuple[str, ...]:
        return self.verdict.checks_skipped

    @property
    def event_source(self) -> str:
        return self.row.event_source

    @property
    def event_name(self) -> str:
        return self.row.event_name

    @property
    def region(self) -> str | None:
        return self.row.region

    @property
    def count(self) -> int:
        return self.row.count

    @property
    def principals(self) -> tuple[str, ...]:
        return self.row.principals

    @property
    def first_seen(self) -> str | None:
        return self.row.first_seen

    @property
    def last_seen(self) -> str | None:
        return self.row.last_seen

    @property
    def error_code(self) -> str | None:
        return self.row.error_code

    @property
    def event_ids(self) -> tuple[str, ...]:
        return self.row.event_ids

    def to_json(self) -> dict[str, object]:
        """The contract's JSON object (DESIGN.md)."""
        proposal = self.proposal
        return {
            "category": self.category.value,
            "action": self.action,
            "event_source": self.event_source,
            "event_name": self.event_name,
            "region": self.region,
            "accounts": list(self.accounts),
            "count": self.count,
            "policy": self.policy,
            "statement": self.statement,
            "reason": self.reason,
            "proposal": fields_of(proposal) if proposal else None,
            "deny_type": self.deny_type,
            "deciding": [fields_of(ref) for ref in self.deciding],
            "checks_skipped": list(self.checks_skipped),
            "principals": list(self.principals),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "error_code": self.error_code,
            "event_ids": list(self.event_ids),
            "declined": self.declined,
        }


# What the classifier found for a row: the row (a copy with the account read from the caller's
# ARN, where the row had none), its IAM action, its accounts, and a verdict for each cause.
Judgement = tuple[Denial, str, tuple[str, ...], tuple[Verdict, ...]]


def findings_of(judgement: Judgement) -> list[Finding]:
    row, action, accounts, verdicts = judgement
    return [Finding(row, verdict, action, accounts) for verdict in verdicts]
