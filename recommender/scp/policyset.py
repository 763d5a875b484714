"""The SCPs of `policies/` and the levels that govern an account.

With `organization.json`, an account is governed by the policies attached at every level from
the root down to the account. An account that organization.json does not list, or a call whose
account is unknown, is evaluated with the root's policies only, and the evaluation says so:
guessing an OU would invent both allows and denies. Without organization.json every policy file
applies at a single level.
"""

import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from recommender.errors import PolicyError
from recommender.scp.model import Policy, Statement
from recommender.scp.organization import FILE_NAME, Organization, load_organization
from recommender.scp.parse import read_policy
from recommender.scp.problems import Problem, raise_first_error

LevelKind = Literal["root", "ou", "account", "all"]
ALL_POLICIES = "*"
CACHE_LIMIT = 200_000
_VARIABLE = re.compile(r"\$\{([^},]*)")


@dataclass(frozen=True)
class Level:
    """One target on the way from the root to the account, and the SCPs attached there."""

    target_id: str
    name: str
    kind: LevelKind
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class Governance:
    """The levels that govern an account, and what the caller should know about them."""

    levels: tuple[Level, ...]
    notes: tuple[str, ...] = ()


class PolicySet:
    """Loaded once, evaluated many times: lookups by account and by action are cached."""

    def __init__(
        self,
        directory: Path,
        policies: dict[str, Policy],
        organization: Organization | None,
        rcps: tuple[Policy, ...] = (),
        warnings: tuple[Problem, ...] = (),
    ) -> None:
        self.directory = directory
        self.policies = policies
        self.organization = organization
        self.rcps = rcps
        self.warnings = warnings
        self._governance: dict[str | None, Governance] = {}
        self._by_action: dict[str, dict[str, tuple[Statement, ...]]] = {}
        statements = [s for policy in policies.values() for s in policy.statements]
        self._always = tuple(s for s in statements if s.matcher.needs_every_action or s.not_actions)
        self._by_prefix: dict[str, list[Statement]] = {}
        for statement in statements:
            if statement.not_actions is None:
                for prefix in statement.matcher.literal_prefixes:
                    self._by_prefix.setdefault(prefix, []).append(statement)
        self.context_keys = _context_keys(statements)
        self._decisions: dict[Hashable, object] = {}

    @property
    def management_account(self) -> str | None:
        return self.organization.management_account if self.organization else None

    def governance(self, account: str | None) -> Governance:
        cached = self._governance.get(account)
        if cached is None:
            cached = self._governance[account] = self._build_governance(account)
        return cached

    def statements_matching(self, action: str) -> dict[str, tuple[Statement, ...]]:
        """Per policy name, its statements whose Action covers (or NotAction spares) `action`."""
        action_lower = action.lower()
        cached = self._by_action.get(action_lower)
        if cached is not None:
            return cached
        prefix = action_lower.partition(":")[0]
        found: dict[str, list[Statement]] = {}
        for statement in (*self._by_prefix.get(prefix, ()), *self._always):
            covered = statement.matcher.matches(action_lower)
            if covered == (statement.not_actions is None):
                found.setdefault(statement.policy, []).append(statement)
        result = {
            policy: tuple(sorted(set(statements), key=lambda s: s.index))
            for policy, statements in found.items()
        }
        if len(self._by_action) > CACHE_LIMIT:
            self._by_action.clear()
        self._by_action[action_lower] = result
        return result

    def cached_decision(self, key: Hashable) -> object:
        """A decision remembered under `key` by the evaluator (which owns the key's meaning)."""
        return self._decisions.get(key)

    def remember(self, key: Hashable, decision: object) -> None:
        if len(self._decisions) > CACHE_LIMIT:
            self._decisions.clear()
        self._decisions[key] = decision

    def _build_governance(self, account: str | None) -> Governance:
        organization = self.organization
        if organization is None:
            everything = tuple(self.policies[name] for name in sorted(self.policies))
            return Governance((Level(ALL_POLICIES, "all policies", "all", everything),))
        if account is not None and account in organization.accounts:
            path = organization.path_to(account)
            return Governance(tuple(self._level(organization, target) for target in path))
        root = (self._level(organization, organization.root),)
        if account is None:
            return Governance(root, ("account not known: only the root's SCPs were evaluated",))
        note = f"account {account} is not in organization.json: only the root's SCPs were evaluated"
        return Governance(root, (note,))

    def _level(self, organization: Organization, target: str) -> Level:
        names = organization.attached_to(target)
        policies = tuple(self.policies[name] for name in names if name in self.policies)
        kind: LevelKind = (
            "root"
            if target == organization.root
            else ("ou" if target in organization.ous else "account")
        )
        return Level(target, organization.name_of(target), kind, policies)


def _context_keys(statements: list[Statement]) -> frozenset[str]:
    """Lower-case condition keys the statements read, as keys or as policy variables."""
    keys = set()
    for statement in statements:
        for condition in statement.conditions:
            keys.add(condition.key_lower)
            for value in condition.values:
                keys.update(name.strip().lower() for name in _VARIABLE.findall(value))
    return frozenset(keys)


def load_policy_set(directory: Path) -> PolicySet:
    """The SCPs in `directory/*.json` and, when present, `directory/organization.json`.

    Raises PolicyError (one line: file, line/column or field, what was expected) on the first
    error; RCP files are set aside, not evaluated as SCPs.
    """
    if not directory.is_dir():
        raise PolicyError(f"{directory}: not a folder of policy files")
    files = sorted(path for path in directory.glob("*.json") if path.name != FILE_NAME)
    policies: dict[str, Policy] = {}
    rcps: list[Policy] = []
    warnings: list[Problem] = []
    for file in files:
        parsed = read_policy(file)
        raise_first_error(parsed.problems)
        assert parsed.policy is not None  # no error means a policy
        warnings.extend(parsed.problems)
        if parsed.policy.kind == "rcp":
            rcps.append(parsed.policy)
        else:
            policies[parsed.policy.name] = parsed.policy
    organization_file = directory / FILE_NAME
    organization = None
    if organization_file.exists():
        organization = load_organization(organization_file, {file.name for file in files})
        attached = set(organization.policies)
        for name in sorted(set(policies) - attached):
            warnings.append(
                Problem("warning", str(organization_file), f"{name} is attached to no target")
            )
    if not policies:
        raise PolicyError(f"{directory}: no SCP files (*.json) found")
    return PolicySet(directory, policies, organization, tuple(rcps), tuple(warnings))
