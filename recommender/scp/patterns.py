"""IAM wildcard patterns (`*` any run of characters, `?` one character) compiled to regexes.

Action names are case-insensitive in AWS; condition values (StringLike, ArnLike) are not.
Compiled patterns are cached because the same few hundred patterns are matched millions of times.
"""

import re
from functools import lru_cache

WILDCARDS = frozenset("*?")


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_to_regex(pattern: str) -> str:
    return "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )


@lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.compile(glob_to_regex(pattern), flags)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (e.g. `ec2:Describe*`, `*`) covers `action`."""
    return compile_glob(pattern, True).fullmatch(action) is not None


class ActionMatcher:
    """A list of action patterns, organised so that one action is tested in a few lookups.

    Literal names go into a set, patterns under a literal prefix into one regex per prefix, and
    the rare patterns with a wildcard in the prefix into one regex of their own.
    """

    __slots__ = ("any_action", "exact", "literal_prefixes", "other", "patterns", "per_prefix")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self.any_action = any(set(pattern) <= {"*"} and pattern for pattern in patterns)
        exact: set[str] = set()
        grouped: dict[str, list[str]] = {}
        others: list[str] = []
        for pattern in patterns:
            lowered = pattern.lower()
            prefix, colon, name = lowered.partition(":")
            if not colon or has_wildcard(prefix):
                others.append(lowered)
            elif has_wildcard(name):
                grouped.setdefault(prefix, []).append(name)
            else:
                exact.add(lowered)
        self.exact = frozenset(exact)
        self.per_prefix = {
            prefix: re.compile("|".join(glob_to_regex(name) for name in names), re.DOTALL)
            for prefix, names in grouped.items()
        }
        self.literal_prefixes = frozenset({name.partition(":")[0] for name in exact} | set(grouped))
        self.other = (
            re.compile("|".join(glob_to_regex(pattern) for pattern in others), re.DOTALL)
            if others
            else None
        )

    @property
    def needs_every_action(self) -> bool:
        """Whether the matcher can cover actions of prefixes it does not name literally."""
        return self.any_action or self.other is not None

    def matches(self, action_lower: str) -> bool:
        """Whether any pattern covers the action, which must already be lower case."""
        if self.any_action or action_lower in self.exact:
            return True
        prefix, _, name = action_lower.partition(":")
        regex = self.per_prefix.get(prefix)
        if regex is not None and regex.fullmatch(name):
            return True
        return self.other is not None and self.other.fullmatch(action_lower) is not None

    def matching_patterns(self, action: str) -> tuple[str, ...]:
        """The patterns, as written, that cover the action (for explanations, not speed)."""
        return tuple(pattern for pattern in self.patterns if action_matches(pattern, action))
