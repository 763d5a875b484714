"""IAM condition operators: the full list, and how a written operator name breaks down.

Source: IAM User Guide, "IAM JSON policy elements: Condition operators" and "Multivalued context
keys". Every operator except `Null` takes the `IfExists` suffix; the set qualifiers
`ForAnyValue:` and `ForAllValues:` go in front.
"""

from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


class Comparison(StrEnum):
    EQUALS = "equals"
    EQUALS_IGNORE_CASE = "equals-ignore-case"
    LIKE = "like"
    LESS = "less"
    LESS_EQUALS = "less-equals"
    GREATER = "greater"
    GREATER_EQUALS = "greater-equals"
    IN_NETWORK = "in-network"
    IS_NULL = "is-null"


# operator name -> (family, comparison, negated)
BASE_OPERATORS: dict[str, tuple[Family, Comparison, bool]] = {
    "StringEquals": (Family.STRING, Comparison.EQUALS, False),
    "StringNotEquals": (Family.STRING, Comparison.EQUALS, True),
    "StringEqualsIgnoreCase": (Family.STRING, Comparison.EQUALS_IGNORE_CASE, False),
    "StringNotEqualsIgnoreCase": (Family.STRING, Comparison.EQUALS_IGNORE_CASE, True),
    "StringLike": (Family.STRING, Comparison.LIKE, False),
    "StringNotLike": (Family.STRING, Comparison.LIKE, True),
    "NumericEquals": (Family.NUMERIC, Comparison.EQUALS, False),
    "NumericNotEquals": (Family.NUMERIC, Comparison.EQUALS, True),
    "NumericLessThan": (Family.NUMERIC, Comparison.LESS, False),
    "NumericLessThanEquals": (Family.NUMERIC, Comparison.LESS_EQUALS, False),
    "NumericGreaterThan": (Family.NUMERIC, Comparison.GREATER, False),
    "NumericGreaterThanEquals": (Family.NUMERIC, Comparison.GREATER_EQUALS, False),
    "DateEquals": (Family.DATE, Comparison.EQUALS, False),
    "DateNotEquals": (Family.DATE, Comparison.EQUALS, True),
    "DateLessThan": (Family.DATE, Comparison.LESS, False),
    "DateLessThanEquals": (Family.DATE, Comparison.LESS_EQUALS, False),
    "DateGreaterThan": (Family.DATE, Comparison.GREATER, False),
    "DateGreaterThanEquals": (Family.DATE, Comparison.GREATER_EQUALS, False),
    "Bool": (Family.BOOL, Comparison.EQUALS, False),
    "BinaryEquals": (Family.BINARY, Comparison.EQUALS, False),
    "IpAddress": (Family.IP, Comparison.IN_NETWORK, False),
    "NotIpAddress": (Family.IP, Comparison.IN_NETWORK, True),
    # ArnEquals and ArnLike behave the same in AWS: both accept wildcards in every ARN part.
    "ArnEquals": (Family.ARN, Comparison.LIKE, False),
    "ArnLike": (Family.ARN, Comparison.LIKE, False),
    "ArnNotEquals": (Family.ARN, Comparison.LIKE, True),
    "ArnNotLike": (Family.ARN, Comparison.LIKE, True),
    "Null": (Family.NULL, Comparison.IS_NULL, False),
}

SET_QUALIFIERS = ("ForAnyValue", "ForAllValues")
IF_EXISTS = "IfExists"


@dataclass(frozen=True)
class Operator:
    """A written operator, e.g. `ForAnyValue:StringNotLikeIfExists`, broken into its parts."""

    name: str
    base: str
    family: Family
    comparison: Comparison
    negated: bool
    if_exists: bool
    set_qualifier: str | None


def parse_operator(name: str) -> Operator | None:
    """The operator's parts, or None when AWS does not know it (names are case-sensitive)."""
    qualifier, colon, rest = name.partition(":")
    if not colon:
        qualifier, rest = "", name
    elif qualifier not in SET_QUALIFIERS:
        return None
    if_exists = rest.endswith(IF_EXISTS) and rest != IF_EXISTS
    base = rest[: -len(IF_EXISTS)] if if_exists else rest
    spec = BASE_OPERATORS.get(base)
    if spec is None or (if_exists and base == "Null"):
        return None
    family, comparison, negated = spec
    return Operator(name, base, family, comparison, negated, if_exists, qualifier or None)


def spelled_like(name: str) -> str | None:
    """The correct spelling of an operator written in the wrong letter case, if there is one."""
    lowered = name.lower()
    qualifiers = ("", *(f"{qualifier}:" for qualifier in SET_QUALIFIERS))
    for qualifier in qualifiers:
        for base in BASE_OPERATORS:
            for suffix in ("", IF_EXISTS):
                candidate = f"{qualifier}{base}{suffix}"
                if candidate.lower() == lowered and parse_operator(candidate) is not None:
                    return candidate
    return None
