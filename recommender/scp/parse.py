"""Read a policy file into the model, reporting every structural problem with its position.

The checks are AWS's own grammar for SCPs and RCPs (AWS Organizations User Guide, "SCP syntax"
and "RCP syntax"). Since September 2025 SCP Allow statements accept the full IAM language
(conditions, resource ARNs, NotResource, wildcards anywhere in actions), so those are not flagged.
Where AWS's behaviour is not documented precisely, the problem is a warning, not an error.
"""

from dataclasses import dataclass, field
from pathlib import Path

from recommender.scp import jsonpos
from recommender.scp.jsonpos import ArrayNode, Node, ObjectNode, ScalarNode
from recommender.scp.model import Condition, Policy, PolicyKind, Statement, statement_reference
from recommender.scp.operators import parse_operator, spelled_like
from recommender.scp.positions import line_column
from recommender.scp.problems import Problem, Severity

TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
VERSIONS = ("2012-10-17", "2008-10-17")


@dataclass
class ParsedPolicy:
    """The policy (None when the JSON cannot be read) and every problem found on the way."""

    policy: Policy | None
    problems: list[Problem] = field(default_factory=list)


class _Reporter:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.problems: list[Problem] = []

    def add(self, severity: Severity, offset: int, message: str) -> None:
        line, column = line_column(self.text, offset)
        self.problems.append(Problem(severity, self.file, message, line, column))


def read_policy(path: Path) -> ParsedPolicy:
    """Parse the file at `path`; the policy's name is its file name."""
    try:
        # Bytes, not text mode: universal newlines would turn CRLF into LF, which edits would
        # then write back changed and sizes would undercount.
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        return ParsedPolicy(None, [Problem("error", str(path), f"cannot read: {reason}")])
    return parse_policy(path, text)


def parse_policy(path: Path, text: str) -> ParsedPolicy:
    report = _Reporter(str(path), text)
    try:
        root = jsonpos.parse(text)
    except jsonpos.JsonSyntaxError as error:
        report.problems.append(
            Problem(
                "error",
                str(path),
                f"invalid JSON: {error.message}{_syntax_hint(text, error.line, error.column)}",
                error.line,
                error.column,
            )
        )
        return ParsedPolicy(None, report.problems)
    if not isinstance(root, ObjectNode):
        report.add("error", root.start, "expected a JSON object with Version and Statement")
        return ParsedPolicy(None, report.problems)
    _check_duplicates(root, report)
    statement_nodes = _top_level(root, report)
    kind = _kind(statement_nodes)
    statements = tuple(
        _statement(path.name, index, node, kind, report)
        for index, node in enumerate(statement_nodes)
    )
    _check_unique_sids(statements, statement_nodes, report)
    return ParsedPolicy(Policy(path.name, path, text, kind, statements), report.problems)


def _syntax_hint(text: str, line: int, column: int) -> str:
    rest = text.splitlines()[line - 1][column - 1 :] if line <= len(text.splitlines()) else ""
    if rest.startswith("//") or rest.startswith("/*"):
        return " (a comment: JSON and AWS policies allow none)"
    if rest.startswith("$") or rest.startswith("<") or rest.startswith("["):
        return " (an unquoted placeholder: substitute it before use)"
    return ""


def _check_duplicates(node: Node, report: _Reporter) -> None:
    if isinstance(node, ObjectNode):
        seen: set[str] = set()
        for member in node.members:
            if member.key in seen:
                report.add(
                    "warning",
                    member.key_start,
                    f'duplicate key "{member.key}": only its last value counts',
                )
            seen.add(member.key)
            _check_duplicates(member.value, report)
    elif isinstance(node, ArrayNode):
        for item in node.items:
            _check_duplicates(item, report)


def _top_level(root: ObjectNode, report: _Reporter) -> list[ObjectNode]:
    for member in root.members:
        if member.key not in TOP_LEVEL:
            report.add(
                "error",
                member.key_start,
                f'unknown top-level element "{member.key}" (expected {", ".join(TOP_LEVEL)})',
            )
    version = root.member("Version")
    if version is None:
        report.add(
            "warning",
            root.start,
            'missing "Version": AWS then assumes 2008-10-17, where policy variables '
            'do not work (expected "Version": "2012-10-17")',
        )
    elif not isinstance(version.value, ScalarNode) or version.value.value not in VERSIONS:
        report.add("error", version.value.start, 'Version must be "2012-10-17"')
    elif version.value.value != VERSIONS[0]:
        report.add(
            "warning", version.value.start, 'Version "2008-10-17" does not support policy variables'
        )
    statement = root.member("Statement")
    if statement is None:
        report.add("error", root.start, 'missing "Statement" (expected a list of statements)')
        return []
    items = statement.value.items if isinstance(statement.value, ArrayNode) else (statement.value,)
    if not items:
        report.add("error", statement.value.start, "Statement is empty (expected statements)")
    objects = []
    for item in items:
        if isinstance(item, ObjectNode):
            objects.append(item)
        else:
            report.add("error", item.start, "expected a statement object")
    return objects


def _kind(statements: list[ObjectNode]) -> PolicyKind:
    """RCPs name the principal in every statement, always as "*"; SCPs never name one."""
    if not statements:
        return "scp"
    for statement in statements:
        principal = statement.member("Principal")
        if principal is None or not _is_any_principal(principal.value):
            return "scp"
    return "rcp"


def _is_any_principal(node: Node) -> bool:
    if isinstance(node, ScalarNode):
        return node.value == "*"
    if isinstance(node, ObjectNode):
        aws = node.member("AWS")
        return len(node.members) == 1 and aws is not None and _is_any_principal(aws.value)
    return False


def _label(index: int, statement: ObjectNode) -> str:
    sid = statement.member("Sid")
    if sid is not None and isinstance(sid.value, ScalarNode) and sid.value.value:
        return statement_reference(index, str(sid.value.value))
    return statement_reference(index, None)


def _statement(
    policy: str, index: int, node: ObjectNode, kind: PolicyKind, report: _Reporter
) -> Statement:
    where = _label(index, node)
    for member in node.members:
        if member.key not in STATEMENT_ELEMENTS:
            report.add("error", member.key_start, f'{where}: unknown element "{member.key}"')
    effect = _effect(node, where, kind, report)
    actions = _strings(node, "Action", where, report)
    not_actions = _strings(node, "NotAction", where, report)
    if actions is not None and not_actions is not None:
        report.add("error", node.start, f"{where}: Action and NotAction cannot be used together")
    elif actions is None and not_actions is None:
        report.add("error", node.start, f"{where}: missing Action or NotAction")
    elif not_actions is not None and kind == "rcp":
        report.add("warning", node.start, f"{where}: RCPs do not support NotAction")
    for element in ("Action", "NotAction"):
        action_member = node.member(element)
        for value_node in _string_nodes(action_member.value if action_member else None):
            value = str(value_node.value)
            if value != "*" and ":" not in value:
                report.add(
                    "error",
                    value_node.start,
                    f'{where}: {element} "{value}" is not "service:action" or "*"',
                )
    resources = _strings(node, "Resource", where, report)
    not_resources = _strings(node, "NotResource", where, report)
    if resources is not None and not_resources is not None:
        report.add(
            "error", node.start, f"{where}: Resource and NotResource cannot be used together"
        )
    elif resources is None and not_resources is None:
        report.add(
            "warning", node.start, f'{where}: no Resource or NotResource (expected "Resource": "*")'
        )
    has_principal = _principal(node, where, kind, report)
    conditions = _conditions(node, where, report)
    sid_member = node.member("Sid")
    sid = None
    if sid_member is not None:
        if isinstance(sid_member.value, ScalarNode) and isinstance(sid_member.value.value, str):
            sid = sid_member.value.value
        else:
            report.add("error", sid_member.value.start, f"{where}: Sid must be a string")
    line, column = line_column(report.text, node.start)
    return Statement(
        policy=policy,
        index=index,
        sid=sid,
        effect=effect,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        has_principal=has_principal,
        conditions=conditions,
        line=line,
        column=column,
        offset=node.start,
    )


def _effect(node: ObjectNode, where: str, kind: PolicyKind, report: _Reporter) -> str:
    member = node.member("Effect")
    if member is None:
        report.add("error", node.start, f'{where}: missing Effect (expected "Allow" or "Deny")')
        return ""
    value = member.value.value if isinstance(member.value, ScalarNode) else None
    if value not in ("Allow", "Deny"):
        report.add(
            "error",
            member.value.start,
            f'{where}: Effect must be "Allow" or "Deny" (case-sensitive), not {value!r}',
        )
        return str(value) if value is not None else ""
    if kind == "rcp" and value == "Allow":
        report.add(
            "warning",
            member.value.start,
            f"{where}: RCP statements deny; only AWS's RCPFullAWSAccess allows",
        )
    return str(value)


def _principal(node: ObjectNode, where: str, kind: PolicyKind, report: _Reporter) -> bool:
    principal = node.member("Principal")
    not_principal = node.member("NotPrincipal")
    for member in (principal, not_principal):
        if member is None:
            continue
        if kind == "scp":
            report.add(
                "error",
                member.key_start,
                f"{where}: {member.key} is not allowed in an SCP (an RCP needs "
                '"Principal": "*" in every statement)',
            )
        elif member.key == "NotPrincipal":
            report.add("error", member.key_start, f"{where}: RCPs do not support NotPrincipal")
        elif not (isinstance(member.value, ScalarNode) and member.value.value == "*"):
            report.add("error", member.value.start, f'{where}: an RCP\'s Principal must be "*"')
    return principal is not None


def _string_nodes(node: Node | None) -> list[ScalarNode]:
    if node is None:
        return []
    items = node.items if isinstance(node, ArrayNode) else (node,)
    return [item for item in items if isinstance(item, ScalarNode) and isinstance(item.value, str)]


def _strings(
    node: ObjectNode, element: str, where: str, report: _Reporter
) -> tuple[str, ...] | None:
    member = node.member(element)
    if member is None:
        return None
    items = member.value.items if isinstance(member.value, ArrayNode) else (member.value,)
    values = []
    for item in items:
        if isinstance(item, ScalarNode) and isinstance(item.value, str):
            values.append(item.value)
        else:
            report.add("error", item.start, f"{where}: {element} must hold strings")
    if not items:
        report.add("warning", member.value.start, f"{where}: {element} is empty")
    return tuple(values)


def _conditions(node: ObjectNode, where: str, report: _Reporter) -> tuple[Condition, ...]:
    member = node.member("Condition")
    if member is None:
        return ()
    if not isinstance(member.value, ObjectNode):
        report.add("error", member.value.start, f"{where}: Condition must be an object")
        return ()
    conditions: list[Condition] = []
    for operator in member.value.members:
        _check_operator(operator.key, operator.key_start, where, report)
        if not isinstance(operator.value, ObjectNode):
            report.add(
                "error",
                operator.value.start,
                f'{where}: "{operator.key}" must map condition keys to values',
            )
            continue
        for key in operator.value.members:
            values = _condition_values(key.value, where, report)
            conditions.append(Condition(operator.key, key.key, values))
    return tuple(conditions)


def _check_operator(name: str, offset: int, where: str, report: _Reporter) -> None:
    if parse_operator(name) is not None:
        return
    spelling = spelled_like(name)
    if spelling is not None:
        report.add(
            "warning", offset, f'{where}: condition operator "{name}" is spelled "{spelling}"'
        )
    else:
        report.add("error", offset, f'{where}: unknown condition operator "{name}"')


def _condition_values(node: Node, where: str, report: _Reporter) -> tuple[str, ...]:
    items = node.items if isinstance(node, ArrayNode) else (node,)
    values = []
    for item in items:
        if isinstance(item, ScalarNode) and item.value is not None:
            value = item.value
            values.append(str(value).lower() if isinstance(value, bool) else str(value))
        else:
            report.add("error", item.start, f"{where}: a condition value must be a string")
    return tuple(values)


def _check_unique_sids(
    statements: tuple[Statement, ...], nodes: list[ObjectNode], report: _Reporter
) -> None:
    seen: set[str] = set()
    for statement, node in zip(statements, nodes, strict=True):
        if statement.sid and statement.sid in seen:
            report.add("warning", node.start, f"{statement.reference}: the Sid repeats")
        if statement.sid:
            seen.add(statement.sid)
