"""The SCPs of `policies/` and the levels that govern an account.

With `organization.json`, an account is governed by the policies attached at every level from
the root down to the account. An account that organization.json does not list, or a call whose
account is unknown, is evaluated with the root's policies only, and the evaluation says so:
guessing an OU would invent both allows and denies. Without organization.json every policy file
applies at a single level.
"""

from dataclasses import dataclass, replace
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
    # Equal for accounts governed alike (same levels, same notes): they share decisions.
    key: int = 0


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
        self._by_action: dict[str, tuple[dict[str, tuple[Statement, ...]], int]] = {}
        self._signatures: dict[tuple[int, ...], int] = {}
        self._shared_governance: dict[tuple[tuple[str, ...], tuple[str, ...]], Governance] = {}
        self._by_prefix: dict[str, tuple[Statement, ...]] = {}
        # one Level per target: the root and each OU are the same object on every account's
        # path, so what is worked out for a level serves every account below it
        self._levels: dict[str, Level] = {}
        self._statements = tuple(s for policy in policies.values() for s in policy.statements)
        self.context_keys = frozenset(key for s in self._statements for key in s.context_keys)

    @property
    def management_account(self) -> str | None:
        return self.organization.management_account if self.organization else None

    def governance(self, account: str | None) -> Governance:
        cached = self._governance.get(account)
        if cached is None:
            built = self._build_governance(account)
            identity = (tuple(level.target_id for level in built.levels), built.notes)
            cached = self._shared_governance.get(identity)
            if cached is None:
                cached = replace(built, key=len(self._shared_governance))
                self._shared_governance[identity] = cached
            self._governance[account] = cached
        return cached

    def statements_matching(self, action: str) -> dict[str, tuple[Statement, ...]]:
        """Per policy name, its statements whose Action covers (or NotAction spares) `action`."""
        return self._matching(action.lower())[0]

    def action_signature(self, action: str) -> int:
        """Equal for two actions exactly when the same statements match them: such actions
        share every decision, which is what makes evaluating many distinct actions cheap."""
        return self._matching(action.lower())[1]

    def _matching(self, action_lower: str) -> tuple[dict[str, tuple[Statement, ...]], int]:
        cached = self._by_action.get(action_lower)
        if cached is not None:
            return cached
        found: dict[str, list[Statement]] = {}
        for statement in self._candidates(action_lower.partition(":")[0]):
            if statement.matcher.matches(action_lower) == (statement.not_actions is None):
                found.setdefault(statement.policy, []).append(statement)
        result = {policy: tuple(statements) for policy, statements in found.items()}
        statement_ids = tuple(id(s) for statements in result.values() for s in statements)
        signature = self._signatures.setdefault(statement_ids, len(self._signatures))
        if len(self._by_action) > CACHE_LIMIT:
            self._by_action.clear()
        entry = self._by_action[action_lower] = (result, signature)
        return entry

    def _candidates(self, prefix: str) -> tuple[Statement, ...]:
        """Statements that can match an action of the prefix, in policy and statement order."""
        cached = self._by_prefix.get(prefix)
        if cached is None:
            cached = self._by_prefix[prefix] = tuple(
                statement
                for statement in self._statements
                if statement.not_actions is not None
                or statement.matcher.needs_every_action
                or prefix in statement.matcher.literal_prefixes
            )
        return cached

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
        level = self._levels.get(target)
        if level is None:
            level = self._levels[target] = self._build_level(organization, target)
        return level

    def _build_level(self, organization: Organization, target: str) -> Level:
        names = organization.attached_to(target)
        policies = tuple(self.policies[name] for name in names if name in self.policies)
        kind: LevelKind = (
            "root"
            if target == organization.root
            else ("ou" if target in organization.ous else "account")
        )
        return Level(target, organization.name_of(target), kind, policies)


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
            note = "a resource control policy (RCP): set aside, not evaluated as an SCP"
            warnings.append(Problem("warning", str(file), note))
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
