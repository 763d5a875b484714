"""IAM action patterns: `*` matches any run of characters, `?` exactly one; case-insensitive."""

import re
from functools import lru_cache


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@lru_cache(maxsize=8192)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A compiled regex that fully matches the lowercase texts the IAM pattern covers.

    Callers lowercase the text they test; compiling the lowercase pattern avoids IGNORECASE,
    which is slower on every match.
    """
    parts = [".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern]
    return re.compile("".join(parts).lower(), re.DOTALL)


def pattern_matches(pattern: str, text: str) -> bool:
    """Whether the IAM pattern covers `text` (both compared case-insensitively)."""
    if not has_wildcard(pattern):
        return pattern.lower() == text.lower()
    return pattern_regex(pattern).fullmatch(text.lower()) is not None
