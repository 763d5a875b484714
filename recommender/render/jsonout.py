"""`{"findings": [...], "summary": {...}}`: the machine-readable report, written as it is made.

The text is what `json.dumps(document, indent=2, ensure_ascii=False)` writes for the findings'
`to_json()` objects, byte for byte, but put together from encoded parts: a verdict's parts
(category; policy to checks skipped) are encoded once for all the findings that share it (a
batch of 100,000 rows has some 150,000 findings and a few dozen verdicts), a row's parts once
for its findings, and only `declined` per finding. The summary comes last, so the findings can
be written chunk by chunk while the rows are still being read.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO

import msgspec

from recommender.models import Denial, Finding, Verdict, fields_of

_encode = msgspec.json.Encoder().encode

# A finding's members sit three levels deep: {"findings": [{ here }]}.
_MEMBER = b"\n      "
_ITEM = b"\n        "
_NEXT = b"," + _MEMBER
_OPEN = b"\n    {" + _MEMBER
_CLOSE = b"\n    }"
_NULL = b"null"
_SEPARATOR = _CLOSE + b","


def _strings(values: tuple[str, ...]) -> bytes:
    """A list of strings as a member's value (most rows' lists hold one or none)."""
    if not values:
        return b"[]"
    if len(values) == 1:
        return b"[" + _ITEM + _encode(values[0]) + _MEMBER + b"]"
    return b"[" + _ITEM + (b"," + _ITEM).join(map(_encode, values)) + _MEMBER + b"]"


def _members(fields: dict[str, object]) -> bytes:
    """`"name": value` members, comma-separated, indented as a finding's."""
    text = msgspec.json.format(_encode(fields), indent=2)  # {\n  "name": value,\n ...\n}
    return text[4:-2].replace(b"\n", b"\n    ")


def _verdict_parts(verdict: Verdict) -> tuple[bytes, bytes]:
    """The verdict's members before the row's (category) and between them."""
    head = _encode(verdict.category.value)
    middle = _members(
        {
            "policy": verdict.policy,
            "statement": verdict.statement,
            "reason": verdict.reason,
            "proposal": fields_of(verdict.proposal) if verdict.proposal else None,
            "deny_type": verdict.deny_type,
            "deciding": [fields_of(ref) for ref in verdict.deciding],
            "checks_skipped": list(verdict.checks_skipped),
        }
    )
    return b'"category": ' + head + _NEXT, middle


# A row's members, from action to count and from principals to the name of declined.
_CALL = _NEXT.join(
    (
        b'"action": %b',
        b'"event_source": %b',
        b'"event_name": %b',
        b'"region": %b',
        b'"accounts": %b',
        b'"count": %b',
        b"",
    )
)
_REST = _NEXT.join(
    (
        b"",
        b'"principals": %b',
        b'"first_seen": %b',
        b'"last_seen": %b',
        b'"error_code": %b',
        b'"event_ids": %b',
        b'"declined": ',
    )
)


def _row_parts(row: Denial, action: str, accounts: tuple[str, ...]) -> tuple[bytes, bytes]:
    """The row's members before the verdict's middle ones, and after them."""
    call = _CALL % (
        _encode(action),
        _encode(row.event_source),
        _encode(row.event_name),
        _encode(row.region),
        _strings(accounts),
        _encode(row.count),
    )
    rest = _REST % (
        _strings(row.principals),
        _encode(row.first_seen),
        _encode(row.last_seen),
        _encode(row.error_code),
        _strings(row.event_ids),
    )
    return call, rest


class FindingEncoder:
    """Findings as the report's items; the parts they share are encoded once."""

    def __init__(self) -> None:
        # id -> (verdict, parts): the verdict is kept so that its id is never reused
        self._verdicts: dict[int, tuple[Verdict, tuple[bytes, bytes]]] = {}
        self._started = False

    def encode(self, findings: Iterable[Finding]) -> bytes:
        """The findings as items of the report's list, after those of earlier calls."""
        verdicts = self._verdicts
        parts: list[bytes] = []
        add = parts.extend
        last: tuple[Denial, str, tuple[str, ...]] | None = None
        call = rest = b""
        for finding in findings:
            verdict = finding.verdict
            known = verdicts.get(id(verdict))
            if known is None:
                known = verdicts[id(verdict)] = (verdict, _verdict_parts(verdict))
            head, middle = known[1]
            # A row's findings come one after the other and share its parts.
            current = (finding.row, finding.action, finding.accounts)
            if last is None or current[0] is not last[0] or current != last:
                call, rest = _row_parts(*current)
                last = current
            declined = _NULL if finding.declined is None else _encode(finding.declined)
            add((_OPEN, head, call, middle, rest, declined, _SEPARATOR))
        if not parts:
            return b""
        parts[-1] = _CLOSE  # no comma after the last
        if self._started:
            parts.insert(0, b",")
        self._started = True
        return b"".join(parts)


def write_json(
    chunks: Iterable[Sequence[Finding]], summary: Callable[[], dict[str, object]], out: BinaryIO
) -> None:
    """The report, written to `out` chunk by chunk; `summary` is asked for after the last."""
    encoder = FindingEncoder()
    out.write(b'{\n  "findings": [')
    any_finding = False
    for chunk in chunks:
        text = encoder.encode(chunk)
        out.write(text)
        any_finding = any_finding or bool(text)
    out.write(b"\n  ]," if any_finding else b"],")
    document = msgspec.json.format(_encode(summary()), indent=2).replace(b"\n", b"\n  ")
    out.write(b'\n  "summary": ' + document + b"\n}\n")
