"""Condition evaluation as AWS does it, three-valued: True, False, or None when not known.

The request context maps lower-case condition keys (keys are case-insensitive in AWS) to the
request's values: a tuple of strings, `()` when the key is known to be absent. A key missing from
the context is not known (CloudTrail does not record it), so every condition on it is None:
never guessed.

Semantics (IAM User Guide, "Condition operators", "Multivalued context keys"): several values
under one key are OR-ed; a negated operator (`StringNotEquals`...) is the negation of that OR; a
missing key makes positive operators false and negated ones true; `...IfExists` makes a missing
key true; `ForAnyValue:` needs one request value to match, `ForAllValues:` every one (and is
true for an empty set).
"""

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache

from recommender.scp.model import Condition
from recommender.scp.operators import Comparison, Family, Operator
from recommender.scp.patterns import glob_to_regex

Context = Mapping[str, tuple[str, ...]]
Test = Callable[[str], bool | None]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def any3(results: Iterable[bool | None]) -> bool | None:
    unknown = False
    for result in results:
        if result:
            return True
        unknown = unknown or result is None
    return None if unknown else False


def all3(results: Iterable[bool | None]) -> bool | None:
    unknown = False
    for result in results:
        if result is False:
            return False
        unknown = unknown or result is None
    return None if unknown else True


def not3(result: bool | None) -> bool | None:
    return None if result is None else not result


def evaluate_condition(condition: Condition, context: Context) -> bool | None:
    """Whether the request satisfies one operator/key pair; None when it depends on the unknown."""
    operator = condition.parsed
    request = context.get(condition.key_lower)
    if operator is None or request is None:
        return None
    if operator.family is Family.NULL:
        wanted = "true" if not request else "false"
        return any(value.lower() == wanted for value in condition.values)
    if not request:
        if operator.if_exists or operator.set_qualifier == "ForAllValues":
            return True
        if operator.set_qualifier == "ForAnyValue":
            return False
        return operator.negated
    test = _test(operator, condition.values, context)
    if operator.set_qualifier is None:
        matched = any3(test(value) for value in request)
        return not3(matched) if operator.negated else matched
    outcomes = (not3(test(value)) if operator.negated else test(value) for value in request)
    return all3(outcomes) if operator.set_qualifier == "ForAllValues" else any3(outcomes)


def _test(operator: Operator, values: tuple[str, ...], context: Context) -> Test:
    """Whether one request value matches any policy value (the operator's positive sense)."""
    if any("${" in value for value in values):
        resolved = [_substitute(value, context) for value in values]
        known = tuple(value for value in resolved if value is not None)
        test = _compiled(operator.family, operator.comparison, known)
        if len(known) == len(resolved):
            return test
        return lambda value: True if test(value) else None
    return _compiled(operator.family, operator.comparison, values)


def _substitute(value: str, context: Context) -> str | None:
    """The value with its policy variables replaced; None when one of them is not known.

    A substituted value that holds `*` or `?` would act as a wildcard in Like operators, so it
    counts as not known rather than being matched wrongly (the keys known here never hold one).
    """
    unknown = False

    def replace(variable: re.Match[str]) -> str:
        nonlocal unknown
        name = variable.group(1).split(",")[0].strip()
        if name in _ESCAPES:
            return _ESCAPES[name]
        request = context.get(name.lower())
        if not request or "*" in request[0] or "?" in request[0]:
            unknown = True
            return ""
        return request[0]

    substituted = _VARIABLE.sub(replace, value)
    return None if unknown else substituted


@lru_cache(maxsize=4096)
def _compiled(family: Family, comparison: Comparison, values: tuple[str, ...]) -> Test:
    if family is Family.ARN:
        regex = re.compile("|".join(_arn_regex(value) for value in values) or "(?!)", re.DOTALL)
        return lambda value: regex.fullmatch(value) is not None
    if family in (Family.STRING, Family.BINARY):
        if comparison is Comparison.LIKE:
            return _like(values)
        if comparison is Comparison.EQUALS_IGNORE_CASE:
            folded = frozenset(value.lower() for value in values)
            return lambda value: value.lower() in folded
        exact = frozenset(values)
        return lambda value: value in exact
    if family is Family.BOOL:
        booleans = frozenset(value.lower() for value in values)
        return lambda value: value.lower() in booleans
    if family is Family.IP:
        return _in_networks(values)
    parse = _number if family is Family.NUMERIC else _date
    return _ordered(comparison, [parse(value) for value in values], parse)


def _like(values: tuple[str, ...]) -> Test:
    regex = re.compile("|".join(glob_to_regex(value) for value in values) or "(?!)", re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _arn_regex(pattern: str) -> str:
    """ArnLike matches the six colon-separated parts of an ARN one by one, so a wildcard in
    the first five parts stays within its part; the sixth (the resource) may hold colons.
    A value with fewer parts matches nothing, except a lone `*`, which matches any ARN."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return ".*" if set(pattern) == {"*"} else "(?!)"
    bounded = [
        "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in part)
        for part in parts[:5]
    ]
    return "(?:" + ":".join([*bounded, glob_to_regex(parts[5])]) + ")"


def _in_networks(values: tuple[str, ...]) -> Test:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue

    def test(value: str) -> bool:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return any(address in network for network in networks)

    return test


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _date(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


_ORDER: dict[Comparison, Callable[[float, float], bool]] = {
    Comparison.EQUALS: lambda left, right: left == right,
    Comparison.LESS: lambda left, right: left < right,
    Comparison.LESS_EQUALS: lambda left, right: left <= right,
    Comparison.GREATER: lambda left, right: left > right,
    Comparison.GREATER_EQUALS: lambda left, right: left >= right,
}


def _ordered(
    comparison: Comparison, bounds: list[float | None], parse: Callable[[str], float | None]
) -> Test:
    compare = _ORDER[comparison]
    known = [bound for bound in bounds if bound is not None]

    def test(value: str) -> bool:
        parsed = parse(value)
        return parsed is not None and any(compare(parsed, bound) for bound in known)

    return test
