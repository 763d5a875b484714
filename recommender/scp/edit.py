"""Minimal, format-preserving additions to the value lists of an SCP's statements.

The text is changed only at the span of the edited value: new items are inserted between the
existing ones with the file's own indentation, separators and line endings, so a reviewer's diff
shows the added lines and nothing else. Nothing is ever removed or rewritten outside that span.
"""

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise

from recommender.errors import PolicyError
from recommender.scp.jsonpos import (
    ArrayNode,
    JsonSyntaxError,
    Member,
    Node,
    ObjectNode,
    ScalarNode,
    leading_whitespace,
    line_start,
    parse,
    starts_line,
)

# The statement elements that hold a string or a list of strings; conditions are addressed as
# `Condition/<Operator>/<key>`.
LIST_ELEMENTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
# IAM compares action names case-insensitively; resources and condition values are exact.
CASE_INSENSITIVE_ELEMENTS = frozenset({"Action", "NotAction"})
# An inline list in a document that writes its lists one item per line is broken into lines
# once its line would grow past this width (the line length of the project's own code).
INLINE_WIDTH = 100
_DEFAULT_INDENT = "    "
_TRAILING_SPACE = re.compile(r"[ \t]*(?=\r?\n)")


def add_values(
    text: str,
    statement_index: int,
    element: str,
    values: Sequence[str],
    *,
    source: str = "<policy>",
) -> str:
    """`text` with every value of `values` not yet in the element added to it.

    `element` is `Action`, `NotAction`, `Resource`, `NotResource` or
    `Condition/<Operator>/<key>`: the operator matched exactly, the key case-insensitively.
    A sorted list (case-insensitively; one or no item counts as sorted) gets each value at its
    sorted position, any other list gets them appended. Returns `text` itself when nothing is new.
    """
    root = _parse(text, source, statement_index, element)
    statement, where = _statement(root, statement_index, element, source)
    parent, member = _element(statement, element, where)
    current = _string_items(member.value, where)
    fold: Callable[[str], str] = (
        str.casefold if element in CASE_INSENSITIVE_ELEMENTS else (lambda value: value)
    )
    new = _new_values([str(item.value) for item in current], values, fold)
    if not new:
        return text
    layout = _Layout.of(text, root, parent, member)
    return _apply(text, _edits(text, member.value, current, new, layout))


def add_many(
    text: str,
    additions: Iterable[tuple[int, str, Sequence[str]]],
    *,
    source: str = "<policy>",
) -> str:
    """`text` with every (statement index, element, values) addition applied; additions to the
    same element are merged into one change."""
    merged: dict[tuple[int, str], list[str]] = {}
    for statement_index, element, values in additions:
        merged.setdefault((statement_index, element), []).extend(values)
    for (statement_index, element), values in merged.items():
        text = add_values(text, statement_index, element, values, source=source)
    return text


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class _Layout:
    """How the document writes lists, as far as a new or growing list needs to know."""

    newline: str
    key_indent: str
    indent_unit: str
    multiline: bool
    inline_separator: str

    @classmethod
    def of(cls, text: str, root: Node, parent: ObjectNode, member: Member) -> "_Layout":
        first_newline = text.find("\n")
        newline = "\r\n" if first_newline > 0 and text[first_newline - 1] == "\r" else "\n"
        key_on_own_line = starts_line(text, member.key_start)
        key_indent = leading_whitespace(text, member.key_start)
        arrays = [node for node in _walk(root) if isinstance(node, ArrayNode) and node.items]
        multiline_arrays = sum(_is_multiline(text, array) for array in arrays)
        inline_arrays = len(arrays) - multiline_arrays
        multiline = key_on_own_line and (
            multiline_arrays > inline_arrays
            or (multiline_arrays == inline_arrays and _is_multiline(text, parent))
        )
        return cls(
            newline=newline,
            key_indent=key_indent,
            indent_unit=_indent_unit(text, root, parent, key_indent),
            multiline=multiline,
            inline_separator=_inline_separator(text, arrays, member),
        )

    def render(self, items: Sequence[str]) -> str:
        """A whole list in the document's style."""
        if not self.multiline:
            return "[" + self.inline_separator.join(items) + "]"
        item_indent = self.key_indent + self.indent_unit
        lines = ("," + self.newline + item_indent).join(items)
        return f"[{self.newline}{item_indent}{lines}{self.newline}{self.key_indent}]"


def _parse(text: str, source: str, statement_index: int, element: str) -> Node:
    try:
        return parse(text)
    except JsonSyntaxError as error:
        raise PolicyError(
            f"{source}: cannot add to statement {statement_index} {element}: not valid JSON "
            f"at line {error.line} column {error.column} ({error.message})"
        ) from None


def _statement(root: Node, index: int, element: str, source: str) -> tuple[ObjectNode, str]:
    found = root.member("Statement") if isinstance(root, ObjectNode) else None
    if found is None:
        raise PolicyError(f'{source}: no "Statement" to add {element} to (statement {index})')
    statements = found.value.items if isinstance(found.value, ArrayNode) else (found.value,)
    if not 0 <= index < len(statements):
        raise PolicyError(
            f"{source}: statement {index} is out of range (the policy has {len(statements)}); "
            f"cannot add to {element}"
        )
    statement = statements[index]
    if not isinstance(statement, ObjectNode):
        raise PolicyError(f"{source}: statement {index} is not an object; cannot add to {element}")
    sid = statement.member("Sid")
    named = f" ({json.dumps(sid.value.value)})" if sid and isinstance(sid.value, ScalarNode) else ""
    return statement, f"{source}: statement {index}{named}: {element}"


def _element(statement: ObjectNode, element: str, where: str) -> tuple[ObjectNode, Member]:
    """The object that holds the element and the element's member in it."""
    if element in LIST_ELEMENTS:
        found = statement.member(element)
        if found is None:
            raise PolicyError(f"{where} is missing")
        return statement, found
    parts = element.split("/", 2)
    if len(parts) != 3 or parts[0] != "Condition" or not parts[1] or not parts[2]:
        raise PolicyError(
            f"{where}: expected {', '.join(sorted(LIST_ELEMENTS))} or Condition/<Operator>/<key>"
        )
    _, operator, key = parts
    condition = statement.member("Condition")
    block = condition.value if condition else None
    operator_member = block.member(operator) if isinstance(block, ObjectNode) else None
    keys = operator_member.value if operator_member else None
    if not isinstance(keys, ObjectNode):
        raise PolicyError(f"{where} is missing")
    matches = [member for member in keys.members if member.key.casefold() == key.casefold()]
    if not matches:
        raise PolicyError(f"{where} is missing")
    return keys, matches[-1]


def _string_items(value: Node, where: str) -> tuple[ScalarNode, ...]:
    items = value.items if isinstance(value, ArrayNode) else (value,)
    strings = tuple(
        item for item in items if isinstance(item, ScalarNode) and isinstance(item.value, str)
    )
    if len(strings) != len(items):
        raise PolicyError(f"{where} is not a string or a list of strings")
    return strings


def _new_values(
    existing: Sequence[str], values: Iterable[str], fold: Callable[[str], str]
) -> list[str]:
    seen = {fold(value) for value in existing}
    new: list[str] = []
    for value in values:
        if fold(value) not in seen:
            seen.add(fold(value))
            new.append(value)
    return new


def _edits(
    text: str,
    value: Node,
    current: Sequence[ScalarNode],
    new: Sequence[str],
    layout: _Layout,
) -> list[_Edit]:
    keys = [str(item.value).casefold() for item in current]
    in_order = all(left <= right for left, right in pairwise(keys))
    if in_order:
        new = sorted(new, key=str.casefold)
        slots = [bisect_right(keys, value.casefold()) for value in new]
    else:
        slots = [len(keys)] * len(new)
    encoded = [_encode(item) for item in new]
    if isinstance(value, ArrayNode) and value.items:
        return _insertions(text, value, slots, encoded, layout)
    existing = [text[item.start : item.end] for item in current]
    return [_Edit(value.start, value.end, layout.render(_merged(existing, slots, encoded)))]


def _insertions(
    text: str, array: ArrayNode, slots: Sequence[int], encoded: Sequence[str], layout: _Layout
) -> list[_Edit]:
    """New items placed between the existing ones, each with the separator the list uses."""
    items = array.items
    if _is_multiline(text, array):
        indents = [leading_whitespace(text, i.start) for i in items if starts_line(text, i.start)]
        item_indent = indents[0] if indents else layout.key_indent + layout.indent_unit
        separator = "," + layout.newline + item_indent
    elif len(items) > 1:
        separator = text[items[0].end : items[1].start]
    else:
        separator = layout.inline_separator
    edits: list[_Edit] = []
    for slot, group in groupby(zip(slots, encoded, strict=True), key=lambda pair: pair[0]):
        added = [item for _, item in group]
        if slot < len(items):
            edits.append(_Edit(items[slot].start, items[slot].start, _joined(added, separator)))
        else:
            edits += _appended(text, items[-1], separator, added)
    if "\n" not in text[array.start : array.end] and layout.multiline:
        grown = _apply(text[array.start : array.end], _shifted(edits, -array.start))
        line_end = text.find("\n", array.end)
        rest = text[array.end : len(text) if line_end < 0 else line_end].rstrip("\r")
        if array.start - line_start(text, array.start) + len(grown) + len(rest) > INLINE_WIDTH:
            existing = [text[item.start : item.end] for item in items]
            return [_Edit(array.start, array.end, layout.render(_merged(existing, slots, encoded)))]
    return edits


def _merged(existing: Sequence[str], slots: Sequence[int], added: Sequence[str]) -> list[str]:
    """The existing items with each added one before the existing item its slot names."""
    merged = list(existing)
    for offset, (slot, item) in enumerate(zip(slots, added, strict=True)):
        merged.insert(slot + offset, item)
    return merged


def _appended(text: str, last: Node, separator: str, added: Sequence[str]) -> list[_Edit]:
    """The new items after the last one; on a line that ends in spaces after the last item, the
    comma goes after the item and the new lines after the spaces, so only a comma changes."""
    trailing = _TRAILING_SPACE.match(text, last.end)
    if trailing and trailing.end() > last.end and separator.startswith(","):
        rest = separator[1:] + separator.join(added)
        return [_Edit(last.end, last.end, ","), _Edit(trailing.end(), trailing.end(), rest)]
    return [_Edit(last.end, last.end, separator + separator.join(added))]


def _joined(items: Sequence[str], separator: str) -> str:
    return "".join(item + separator for item in items)


def _shifted(edits: Iterable[_Edit], offset: int) -> list[_Edit]:
    return [_Edit(e.start + offset, e.end + offset, e.replacement) for e in edits]


def _apply(text: str, edits: Iterable[_Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def _encode(value: str) -> str:
    """The value as a JSON string, readable where possible: characters that show as nothing or
    break lines in editors (U+0085, U+2028, lone surrogates...) are written escaped."""
    encoded = json.dumps(value, ensure_ascii=False)
    return "".join(char if char.isprintable() else json.dumps(char)[1:-1] for char in encoded)


def _walk(node: Node) -> Iterable[Node]:
    yield node
    children: Iterable[Node] = ()
    if isinstance(node, ObjectNode):
        children = (member.value for member in node.members)
    elif isinstance(node, ArrayNode):
        children = node.items
    for child in children:
        yield from _walk(child)


def _is_multiline(text: str, container: ArrayNode | ObjectNode) -> bool:
    """Whether the container's first entry sits on a new line after its opening bracket."""
    if isinstance(container, ArrayNode):
        first = container.items[0].start if container.items else container.end
    else:
        first = container.members[0].key_start if container.members else container.end
    return "\n" in text[container.start : first]


def _indent_unit(text: str, root: Node, parent: ObjectNode, key_indent: str) -> str:
    """One level of indentation: the step from the parent object's line to the element's key,
    else from the document's first line to its first key."""
    parent_indent = leading_whitespace(text, parent.start)
    if key_indent.startswith(parent_indent) and len(key_indent) > len(parent_indent):
        return key_indent[len(parent_indent) :]
    if isinstance(root, ObjectNode) and root.members:
        first_key = root.members[0].key_start
        if starts_line(text, first_key) and leading_whitespace(text, first_key):
            return leading_whitespace(text, first_key)
    return _DEFAULT_INDENT


def _inline_separator(text: str, arrays: Sequence[ArrayNode], member: Member) -> str:
    """The separator of the document's inline lists, else `,` plus the spacing after colons."""
    for array in arrays:
        if len(array.items) > 1:
            between = text[array.items[0].end : array.items[1].start]
            if "\n" not in between:
                return between
    between_key_and_value = text[member.key_end : member.value.start]
    return ", " if between_key_and_value.split(":", 1)[1] else ","
