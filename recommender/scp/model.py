"""The policy model: a policy file, its statements and their conditions, as written.

Everything is frozen: a policy set is loaded once and then evaluated many times. Element values
keep the author's spelling (action case, operator form) so that explanations quote them as
written; matching uses the precompiled forms.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from recommender.scp.operators import Operator, parse_operator, spelled_like
from recommender.scp.patterns import ActionMatcher

PolicyKind = Literal["scp", "rcp"]
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
Effect = Literal["Allow", "Deny"]
ActionElement = Literal["Action", "NotAction"]


@dataclass(frozen=True)
class Condition:
    """One key under one operator: `"StringNotEquals": {"aws:RequestedRegion": [...]}`."""

    operator: str
    key: str
    values: tuple[str, ...]
    # Derived once: conditions are evaluated millions of times.
    key_lower: str = field(init=False, repr=False, compare=False)
    parsed: Operator | None = field(init=False, repr=False, compare=False)
    variables: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = parse_operator(self.operator)
        if parsed is None:  # a name in the wrong letter case is read as its right spelling
            spelling = spelled_like(self.operator)
            parsed = parse_operator(spelling) if spelling else None
        object.__setattr__(self, "key_lower", self.key.lower())
        object.__setattr__(self, "parsed", parsed)
        names = {
            name.split(",")[0].strip().lower()
            for value in self.values
            for name in _VARIABLE.findall(value)
        }
        object.__setattr__(self, "variables", tuple(sorted(names - set("*?$"))))

    @property
    def context_keys(self) -> tuple[str, ...]:
        """Lower-case keys whose values decide this condition: its key and policy variables."""
        return (self.key_lower, *self.variables)


@dataclass(frozen=True)
class Statement:
    policy: str
    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    has_principal: bool
    conditions: tuple[Condition, ...]
    line: int = 0
    column: int = 0
    offset: int = 0
    matcher: ActionMatcher = field(init=False, repr=False, compare=False)
    context_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = self.actions if self.actions is not None else self.not_actions
        object.__setattr__(self, "matcher", ActionMatcher(patterns or ()))
        keys = {key for condition in self.conditions for key in condition.context_keys}
        object.__setattr__(self, "context_keys", tuple(sorted(keys)))

    @property
    def label(self) -> str:
        """How reports name the statement: its Sid, or `#<index>` (0-based) without one."""
        return self.sid if self.sid else f"#{self.index}"

    @property
    def reference(self) -> str:
        """How problems name the statement: `Statement[2] "DenyLeave"`."""
        return statement_reference(self.index, self.sid)

    @property
    def action_element(self) -> ActionElement:
        return "Action" if self.actions is not None else "NotAction"

    @property
    def resource_scoped(self) -> bool:
        """Whether the statement applies to some resources only (denial rows name none)."""
        if self.not_resources is not None:
            return True
        return self.resources is not None and "*" not in self.resources


@dataclass(frozen=True)
class Policy:
    name: str
    path: Path
    text: str
    kind: PolicyKind
    statements: tuple[Statement, ...]

    @property
    def size(self) -> int:
        return policy_size(self.text)


def statement_reference(index: int, sid: str | None) -> str:
    return f'Statement[{index}] "{sid}"' if sid else f"Statement[{index}]"


def policy_size(text: str) -> int:
    """The size AWS counts: every character of the document as saved, whitespace included."""
    return len(text)
