"""`policies/organization.json`: the management account, the tree and the SCP attachments.

The shape is the design's contract (keys exactly so). Loading reports every problem with the
field it is in; `load_organization` raises on the first error.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.scp.problems import Problem, Severity, errors, raise_first_error
from recommender.validation import ACCOUNT_ID

FILE_NAME = "organization.json"
KEYS = ("management_account", "root", "ous", "accounts", "policies")
# A policy entry's "type", AWS's own names; absent means an SCP.
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


@dataclass(frozen=True)
class Node:
    """An OU or an account: its name and its parent (an OU or the root)."""

    name: str
    parent: str


@dataclass(frozen=True)
class Attachment:
    policy_id: str
    targets: tuple[str, ...]
    policy_type: str = POLICY_TYPES[0]


@dataclass(frozen=True)
class Organization:
    path: Path
    management_account: str | None
    root: str
    ous: dict[str, Node]
    accounts: dict[str, Node]
    policies: dict[str, Attachment]

    def name_of(self, target: str) -> str:
        if target == self.root:
            return "Root"
        node = self.ous.get(target) or self.accounts.get(target)
        return node.name if node else target

    def path_to(self, account: str) -> tuple[str, ...]:
        """Target IDs from the root down to the account (the account must be known)."""
        chain = [account]
        parent = self.accounts[account].parent
        while parent != self.root:
            chain.append(parent)
            parent = self.ous[parent].parent
        chain.append(self.root)
        return tuple(reversed(chain))

    def attached_to(self, target: str) -> tuple[str, ...]:
        """Policy file names attached to the target, in file-name order."""
        return tuple(sorted(name for name, a in self.policies.items() if target in a.targets))


def load_organization(path: Path, policy_names: set[str] | None = None) -> Organization:
    organization, problems = read_organization(path, policy_names)
    raise_first_error(problems)
    assert organization is not None  # no error means an organization
    return organization


def read_organization(
    path: Path, policy_names: set[str] | None = None, max_attached: int | None = None
) -> tuple[Organization | None, list[Problem]]:
    """The organization and its problems; `policy_names` are the files it may attach."""
    file = str(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, [Problem("error", file, f"cannot read: {error.strerror}")]
    except RecursionError:
        # json's decoder recurses once per level: past the interpreter's limit it raises this
        return None, [Problem("error", file, "invalid JSON: nested too deeply")]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        if isinstance(error, json.JSONDecodeError):
            message = f"invalid JSON: {error.msg}"
            return None, [Problem("error", file, message, error.lineno, error.colno)]
        return None, [Problem("error", file, "not UTF-8 text")]
    found = _Problems(file)
    problem = found.add
    problems = found.problems
    if not isinstance(data, dict):
        return None, [Problem("error", file, f"expected an object with keys {', '.join(KEYS)}")]
    for key in data:
        if key not in KEYS:
            problem(key, f"unknown key (expected {', '.join(KEYS)})")
    root = data.get("root")
    if not isinstance(root, str) or not root:
        problem("root", "missing (expected the root's ID, e.g. r-ab12)")
        return None, problems
    management = data.get("management_account")
    if management is not None and not (
        isinstance(management, str) and ACCOUNT_ID.match(management)
    ):
        problem("management_account", f"{management!r} is not a 12-digit account ID")
        management = None
    ous = _nodes(data.get("ous", {}), "ous", problem)
    accounts = _nodes(data.get("accounts", {}), "accounts", problem)
    for account in accounts:
        if not ACCOUNT_ID.match(account):
            problem(f"accounts.{account}", "not a 12-digit account ID")
    _check_parents(root, ous, accounts, problem)
    known_targets = {root, *ous, *accounts}
    policies = _attachments(data.get("policies", {}), known_targets, policy_names, problem)
    if max_attached is not None:
        _check_counts(policies, max_attached, root, ous, accounts, problem)
    organization = Organization(path, management, root, ous, accounts, policies)
    return (None if errors(problems) else organization), problems


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(severity, self.file, f"{field}: {message}"))


Report = Callable[[str, str], None]


def _nodes(raw: Any, field: str, problem: Report) -> dict[str, Node]:
    if not isinstance(raw, dict):
        problem(field, "expected an object of ID -> {name, parent}")
        return {}
    nodes: dict[str, Node] = {}
    for node_id, entry in raw.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("parent"), str)):
            problem(f"{field}.{node_id}", 'expected {"name": ..., "parent": ...}')
            continue
        nodes[node_id] = Node(str(entry.get("name") or node_id), entry["parent"])
    return nodes


def _check_parents(
    root: str, ous: dict[str, Node], accounts: dict[str, Node], problem: Report
) -> None:
    for field, nodes in (("ous", ous), ("accounts", accounts)):
        for node_id, node in nodes.items():
            if node.parent != root and node.parent not in ous:
                problem(
                    f"{field}.{node_id}.parent", f"{node.parent!r} is neither the root nor an OU"
                )
    for ou in ous:
        seen = {ou}
        parent = ous[ou].parent
        while parent in ous:
            if parent in seen:
                problem(f"ous.{ou}.parent", "the OU is its own ancestor (a cycle)")
                break
            seen.add(parent)
            parent = ous[parent].parent


def _attachments(
    raw: Any, known_targets: set[str], policy_names: set[str] | None, problem: Report
) -> dict[str, Attachment]:
    if not isinstance(raw, dict):
        problem("policies", "expected an object of file name -> {id, targets}")
        return {}
    attachments: dict[str, Attachment] = {}
    for name, entry in raw.items():
        field = f"policies.{name}"
        targets = entry.get("targets") if isinstance(entry, dict) else None
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            problem(field, 'expected {"id": "p-...", "targets": [...]}')
            continue
        for target in targets:
            if target not in known_targets:
                problem(f"{field}.targets", f"{target!r} is not the root, an OU or an account")
        if policy_names is not None and name not in policy_names:
            problem(field, "no such policy file beside organization.json")
        policy_type = entry.get("type", POLICY_TYPES[0])
        if policy_type not in POLICY_TYPES:
            problem(f"{field}.type", f"{policy_type!r} is not one of {', '.join(POLICY_TYPES)}")
            continue
        attachments[name] = Attachment(str(entry.get("id") or ""), tuple(targets), policy_type)
    return attachments


def _check_counts(
    policies: dict[str, Attachment],
    max_attached: int,
    root: str,
    ous: dict[str, Node],
    accounts: dict[str, Node],
    problem: Report,
) -> None:
    for target in (root, *ous, *accounts):
        attached = sorted(name for name, a in policies.items() if target in a.targets)
        if len(attached) > max_attached:
            problem(
                "policies",
                f"{len(attached)} SCPs are attached to {target}; AWS allows at most "
                f"{max_attached} per root, OU or account",
            )
