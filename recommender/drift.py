"""Drift: where AWS Organizations and a `policies/` folder disagree.

Both sides become an `OrgState` (policy files with their documents and targets, the OU tree),
paired policy by policy (by id, else by file name), then compared. Policy documents are compared
as JSON values: whitespace and the order of an object's keys do not count (AWS stores the text as
sent, so sync-policies' indentation differs from what the console saved); every other difference
counts, even one IAM reads the same way (`"s3:*"` against `["s3:*"]`), because that is the text a
later update would send. The diff of a policy shows both sides re-serialised with sorted keys, so
only real differences appear in it.
"""

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.errors import PolicyError
from recommender.orgs import Organization, policy_file_names
from recommender.scp.organization import FILE_NAME, POLICY_TYPES, Node, load_organization

LIVE = "AWS"


@dataclass(frozen=True)
class PolicyState:
    """One policy as one side holds it; `id` is empty for a file AWS has not seen yet."""

    file: str
    id: str
    type: str
    text: str
    document: Any
    targets: frozenset[str]
    aws_managed: bool = False


@dataclass(frozen=True)
class OrgState:
    where: str
    root: str
    ous: Mapping[str, Node]
    accounts: Mapping[str, Node]
    policies: Mapping[str, PolicyState]
    management_account: str | None = None

    def name_of(self, target: str) -> str:
        node = self.ous.get(target) or self.accounts.get(target)
        return "Root" if target == self.root else (node.name if node else "unknown")


def _document(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(f"{where}: invalid JSON: {error}") from None


def live_state(organization: Organization) -> OrgState:
    names = policy_file_names(organization.policies)
    policies = {
        names[policy.id]: PolicyState(
            file=names[policy.id],
            id=policy.id,
            type=policy.type,
            text=policy.content,
            document=_document(policy.content, f"{LIVE} policy {policy.id}"),
            targets=frozenset(policy.targets),
            aws_managed=policy.aws_managed,
        )
        for policy in organization.policies
    }
    return OrgState(
        where=LIVE,
        root=organization.root,
        ous={ou: Node(node.name, node.parent) for ou, node in organization.ous.items()},
        accounts={a: Node(node.name, node.parent) for a, node in organization.accounts.items()},
        policies=policies,
        management_account=organization.management_account,
    )


def folder_state(folder: Path, where: str | None = None) -> OrgState:
    """The policies and tree of a folder written by sync-policies (organization.json required)."""
    label = where or f"{folder.as_posix().rstrip('/')}/"
    tree_file = folder / FILE_NAME
    if not tree_file.is_file():
        raise PolicyError(
            f"{tree_file}: missing (expected the tree and policy ids that "
            "`scp-recommender sync-policies --out` writes)"
        )
    files = {path.name: path for path in folder.glob("*.json") if path.name != FILE_NAME}
    organization = load_organization(tree_file, set(files))
    policies = {}
    for name, path in sorted(files.items()):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PolicyError(f"{path}: cannot read: {error}") from None
        attachment = organization.policies.get(name)
        policies[name] = PolicyState(
            file=name,
            id=attachment.policy_id if attachment else "",
            type=attachment.policy_type if attachment else POLICY_TYPES[0],
            text=text,
            document=_document(text, str(path)),
            targets=frozenset(attachment.targets if attachment else ()),
        )
    return OrgState(
        where=label,
        root=organization.root,
        ous=organization.ous,
        accounts=organization.accounts,
        policies=policies,
        management_account=organization.management_account,
    )


@dataclass(frozen=True)
class Pair:
    """The same policy on both sides; either side is None where it has no such policy."""

    local: PolicyState | None
    live: PolicyState | None

    @property
    def file(self) -> str:
        policy = self.local or self.live
        assert policy is not None
        return policy.file

    @property
    def id(self) -> str:
        return (self.live.id if self.live else "") or (self.local.id if self.local else "")


def pair_policies(local: OrgState, live: OrgState) -> list[Pair]:
    """Pairs by policy id, then by file name for files without a known id (new policies)."""
    by_id = {policy.id: policy for policy in live.policies.values()}
    claimed = {policy.id for policy in local.policies.values() if policy.id in by_id}
    pairs: list[Pair] = []
    for policy in local.policies.values():
        match = by_id.get(policy.id) if policy.id else None
        if match is None:
            named = live.policies.get(policy.file)
            if named is not None and named.id not in claimed:
                match = named
                claimed.add(named.id)
        pairs.append(Pair(policy, match))
    pairs += [Pair(None, policy) for policy in live.policies.values() if policy.id not in claimed]
    return sorted(pairs, key=lambda pair: pair.file)


def normalised(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def document_diff(
    before: PolicyState, after: PolicyState, before_label: str, after_label: str
) -> str:
    return "".join(
        difflib.unified_diff(
            normalised(before.document).splitlines(keepends=True),
            normalised(after.document).splitlines(keepends=True),
            fromfile=f"{before.file} ({before_label})",
            tofile=f"{after.file} ({after_label})",
        )
    )


def _code(text: str) -> str:
    """A Markdown code span for a file name or id (never markup)."""
    return "`" + text.replace("`", "'") + "`"


@dataclass(frozen=True)
class Difference:
    """One disagreement: `text` for the terminal (may span lines), `note` for the pull request."""

    text: str
    note: str

    @property
    def headline(self) -> str:
        """The first line of `text` without its sign (`x.json (p-1): the policy differs`)."""
        return self.text.splitlines()[0][2:]


@dataclass
class Drift:
    local: OrgState
    live: OrgState
    differences: list[Difference] = field(default_factory=list)

    def render(self) -> str:
        return "".join(difference.text.rstrip("\n") + "\n" for difference in self.differences)

    def notes(self) -> list[str]:
        return [difference.note for difference in self.differences]


REVERT = "merging this PR would revert it"


def policy_differences(local: OrgState, live: OrgState) -> Iterator[Difference]:
    """Policies whose text, type or attachments differ, and policies only one side has."""
    for pair in pair_policies(local, live):
        name, where = _code(pair.file), local.where
        if pair.live is None:
            yield Difference(
                f"+ {pair.file}: in {where}, not in {LIVE}",
                f"{name} is in {where} but not in {LIVE}: it was deleted in {LIVE}, or not "
                "created yet",
            )
            continue
        if pair.local is None:
            yield Difference(
                f"- {pair.file} ({pair.live.id}): in {LIVE}, not in {where}",
                f"live {name} ({_code(pair.live.id)}) is not in {where}",
            )
            continue
        yield from _pair_differences(pair.local, pair.live, local, live)


def _pair_differences(
    local: PolicyState, live: PolicyState, local_org: OrgState, live_org: OrgState
) -> Iterator[Difference]:
    name, where = _code(local.file), local_org.where
    if local.type != live.type:
        yield Difference(
            f"~ {local.file} ({live.id}): a {live.type} in {LIVE}, a {local.type} in {where}",
            f"live {name} is a {live.type}, {where} says {local.type}",
        )
    if local.document != live.document:
        diff = document_diff(live, local, LIVE, where)
        yield Difference(
            f"~ {local.file} ({live.id}): the policy differs\n{diff}",
            f"live {name} differs from {where}: {REVERT} (`sync-policies --check` shows the diff)",
        )
    for target in sorted(live.targets - local.targets):
        yield Difference(
            f"~ {local.file} ({live.id}): attached in {LIVE} to {target} "
            f"({live_org.name_of(target)}), not in {where}",
            f"live {name} is attached to {_code(target)}, which {where} does not say: {REVERT}",
        )
    for target in sorted(local.targets - live.targets):
        yield Difference(
            f"~ {local.file} ({live.id}): attached in {where} to {target} "
            f"({local_org.name_of(target)}), not in {LIVE}",
            f"live {name} is not attached to {_code(target)}, which {where} says: {REVERT}",
        )


def tree_differences(local: OrgState, live: OrgState) -> Iterator[Difference]:
    """Accounts and OUs added, removed, moved or renamed; the root and management account."""
    where = local.where
    if local.root != live.root:
        yield Difference(
            f"~ root: {live.root} in {LIVE}, {local.root} in {where}",
            f"the root is {_code(live.root)} in {LIVE}, {_code(local.root)} in {where}",
        )
    if local.management_account and local.management_account != live.management_account:
        yield Difference(
            f"~ management account: {live.management_account} in {LIVE}, "
            f"{local.management_account} in {where}",
            f"the management account differs between {LIVE} and {where}",
        )
    for kind, local_nodes, live_nodes in (
        ("OU", local.ous, live.ous),
        ("account", local.accounts, live.accounts),
    ):
        for node_id in sorted(set(local_nodes) | set(live_nodes)):
            yield from _node_differences(
                kind, node_id, local_nodes.get(node_id), live_nodes.get(node_id), local, live
            )


def _node_differences(
    kind: str,
    node_id: str,
    local: Node | None,
    live: Node | None,
    local_org: OrgState,
    live_org: OrgState,
) -> Iterator[Difference]:
    where, code = local_org.where, _code(node_id)
    if live is None:
        yield Difference(
            f"- {kind} {node_id}: in {where}, not in {LIVE}",
            f"{kind} {code} is in {where}, not in {LIVE}",
        )
        return
    if local is None:
        yield Difference(
            f"+ {kind} {node_id} ({live.name}): in {LIVE} under {live.parent}, not in {where}",
            f"{kind} {code} is in {LIVE}, not in {where}",
        )
        return
    if local.parent != live.parent:
        yield Difference(
            f"~ {kind} {node_id} ({live.name}) moved: under {live.parent} "
            f"({live_org.name_of(live.parent)}) in {LIVE}, under {local.parent} "
            f"({local_org.name_of(local.parent)}) in {where}",
            f"{kind} {code} is under {_code(live.parent)} in {LIVE}, under "
            f"{_code(local.parent)} in {where}: the SCPs that govern it differ",
        )
    if local.name != live.name:
        yield Difference(
            f"~ {kind} {node_id} renamed: {live.name!r} in {LIVE}, {local.name!r} in {where}",
            f"{kind} {code} has another name in {LIVE} than in {where}",
        )


def compare(local: OrgState, live: OrgState) -> Drift:
    """Every difference between a folder and AWS: policies first, then the tree."""
    differences = [*policy_differences(local, live), *tree_differences(local, live)]
    return Drift(local, live, differences)
