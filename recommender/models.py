"""The records that flow between the pipeline stages (see docs/architecture.md)."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


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


class Denial(BaseModel):
    """One group of denied calls: the output of `query`, the input of `classify`."""

    model_config = ConfigDict(extra="ignore")

    event_source: str
    event_name: str
    count: int = Field(ge=0)
    region: str | None = None
    account_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    policy_type: str | None = None
    principals: list[str] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    event_ids: list[str] = Field(default_factory=list)


class Proposal(BaseModel):
    """Exactly what to add, and where: one value into one element of one statement."""

    policy: str
    statement: str
    statement_index: int
    element: str
    add: str

    def key(self) -> tuple[str, int, str, str]:
        return (self.policy, self.statement_index, self.element, self.add)


class StatementRef(BaseModel):
    """A statement that decided an evaluation: file, Sid or index, and its effect."""

    policy: str
    statement: str
    effect: str
    target: str | None = None
    match: str = "yes"


class Finding(BaseModel):
    category: Category
    action: str
    event_source: str
    event_name: str
    region: str | None
    accounts: list[str]
    count: int
    policy: str | None
    statement: str | None
    reason: str
    proposal: Proposal | None
    deny_type: str | None = None
    deciding: list[StatementRef] = Field(default_factory=list)
    checks_skipped: list[str] = Field(default_factory=list)
    principals: list[str] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    error_code: str | None = None
    event_ids: list[str] = Field(default_factory=list)
    declined: str | None = None
