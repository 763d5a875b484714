"""JSON text parsed into nodes that remember where each value sits in the text.

Format-preserving edits need the character spans of values, which `json.loads` throws away.
"""

import json
import re
from dataclasses import dataclass

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Scalars are decoded by the standard library itself, so their values match `json.loads`.
_DECODER = json.JSONDecoder()

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class ScalarNode:
    start: int
    end: int
    value: Scalar


@dataclass(frozen=True)
class Member:
    key: str
    key_start: int
    key_end: int
    value: "Node"


@dataclass(frozen=True)
class ObjectNode:
    start: int
    end: int
    members: tuple[Member, ...]

    def member(self, key: str) -> Member | None:
        """The member named `key`; like `json.loads`, the last one wins when a key repeats."""
        found = [member for member in self.members if member.key == key]
        return found[-1] if found else None


@dataclass(frozen=True)
class ArrayNode:
    start: int
    end: int
    items: tuple["Node", ...]


Node = ScalarNode | ObjectNode | ArrayNode


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, text: str, position: int) -> None:
        self.line = text.count("\n", 0, position) + 1
        self.column = position - (text.rfind("\n", 0, position) + 1) + 1
        self.message = message
        super().__init__(f"line {self.line} column {self.column}: {message}")


def parse(text: str) -> Node:
    """The document's tree of nodes; a leading byte-order mark is skipped."""
    start = 1 if text.startswith("\ufeff") else 0
    try:
        node, end = _value(text, _skip(text, start))
    except RecursionError:
        raise JsonSyntaxError("nested too deeply", text, start) from None
    end = _skip(text, end)
    if end != len(text):
        raise JsonSyntaxError("extra data after the document", text, end)
    return node


def to_python(node: Node) -> object:
    """The value `json.loads` gives for the same text."""
    if isinstance(node, ObjectNode):
        return {member.key: to_python(member.value) for member in node.members}
    if isinstance(node, ArrayNode):
        return [to_python(item) for item in node.items]
    return node.value


def line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def leading_whitespace(text: str, position: int) -> str:
    """The indentation of the line that holds `position`."""
    before = text[line_start(text, position) : position]
    return before[: len(before) - len(before.lstrip(" \t"))]


def starts_line(text: str, position: int) -> bool:
    """Whether only indentation precedes `position` on its line."""
    return text[line_start(text, position) : position].strip(" \t") == ""


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _value(text: str, position: int) -> tuple[Node, int]:
    if text.startswith("{", position):
        return _object(text, position)
    if text.startswith("[", position):
        return _array(text, position)
    value, end = _scalar(text, position)
    return ScalarNode(position, end, value), end


def _scalar(text: str, position: int) -> tuple[Scalar, int]:
    try:
        value, end = _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise JsonSyntaxError(error.msg, text, error.pos) from None
    return value, end


def _string(text: str, position: int) -> tuple[str, int]:
    value, end = _scalar(text, position)
    return str(value), end


def _object(text: str, start: int) -> tuple[ObjectNode, int]:
    members: list[Member] = []
    position = _skip(text, start + 1)
    if text.startswith("}", position):
        return ObjectNode(start, position + 1, ()), position + 1
    while True:
        if not text.startswith('"', position):
            raise JsonSyntaxError("expected a property name in double quotes", text, position)
        key, key_end = _string(text, position)
        colon = _skip(text, key_end)
        if not text.startswith(":", colon):
            raise JsonSyntaxError("expected ':'", text, colon)
        value, end = _value(text, _skip(text, colon + 1))
        members.append(Member(key, position, key_end, value))
        position = _skip(text, end)
        if text.startswith("}", position):
            return ObjectNode(start, position + 1, tuple(members)), position + 1
        if not text.startswith(",", position):
            raise JsonSyntaxError("expected ',' or '}'", text, position)
        position = _skip(text, position + 1)


def _array(text: str, start: int) -> tuple[ArrayNode, int]:
    items: list[Node] = []
    position = _skip(text, start + 1)
    if text.startswith("]", position):
        return ArrayNode(start, position + 1, ()), position + 1
    while True:
        item, end = _value(text, position)
        items.append(item)
        position = _skip(text, end)
        if text.startswith("]", position):
            return ArrayNode(start, position + 1, tuple(items)), position + 1
        if not text.startswith(",", position):
            raise JsonSyntaxError("expected ',' or ']'", text, position)
        position = _skip(text, position + 1)
