"""Unsubstituted placeholders left in policy text by examples and templates.

Forms seen in the public examples: `${Account}`, `${ACCEL_LOOKUP::VPC_ID:OU:Infrastructure}`,
`[PRIVILEGED_ROLE]`, `<my-org-id>`, and instructions in capitals (`MY_ORG_ID`,
`NAME_OF_YOUR_CLOUD_ENGINEERING_ROLE`). IAM policy variables (`${aws:PrincipalAccount}`,
`${s3:prefix}`, `${*}`) are real syntax and are left alone.
"""

import re
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$\{([^}]*)\}")
_POLICY_VARIABLE = re.compile(r"^(?:[a-z0-9-]+:[A-Za-z0-9_/.:-]+(?:\s*,\s*'[^']*')?|[*?$])$")
_BRACKETED = re.compile(r"\[[A-Z][A-Z0-9_]*\]|<[A-Za-z][A-Za-z0-9_ .-]*>")
_CAPITALS = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]+(?:[_ ][A-Z0-9]+)+(?![A-Za-z0-9])")
_INSTRUCTION_WORDS = frozenset({"YOUR", "MY", "INSERT", "REPLACE", "CHANGEME", "PLACEHOLDER"})


@dataclass(frozen=True)
class Placeholder:
    text: str
    offset: int
    count: int


def find_placeholders(text: str) -> list[Placeholder]:
    """Each distinct placeholder once, at its first position, with how often it occurs."""
    found: dict[str, list[int]] = {}
    for match in _DOLLAR.finditer(text):
        if not _POLICY_VARIABLE.match(match.group(1)):
            found.setdefault(match.group(), []).append(match.start())
    for match in _BRACKETED.finditer(text):
        found.setdefault(match.group(), []).append(match.start())
    for match in _CAPITALS.finditer(text):
        if _INSTRUCTION_WORDS & set(re.split(r"[_ ]", match.group())):
            found.setdefault(match.group(), []).append(match.start())
    return sorted(
        (Placeholder(name, offsets[0], len(offsets)) for name, offsets in found.items()),
        key=lambda placeholder: placeholder.offset,
    )
