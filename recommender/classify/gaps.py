"""Why an allow-list lacks an action, and what to add: the catalog's knowledge of services.

An allow-list (an Allow's Action, or a Deny-all-but's NotAction) that lacks an action may list
the action it replaced (renamed), part of its prefix (a new action), a sibling prefix of the same
service (a new prefix), or nothing of the service (a new service).
"""

from typing import NamedTuple

from recommender.catalog import Catalog
from recommender.models import Category

# Where an action is missing from several allow-lists of one level, the most specific gap wins.
RANK = {
    Category.RENAMED_ACTION: 3,
    Category.NEW_ACTION: 2,
    Category.NEW_PREFIX: 1,
    Category.NEW_SERVICE: 0,
}


class Gap(NamedTuple):
    category: Category
    # the pattern to add: the action, or its whole prefix
    add: str
    why: str


class Gaps:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # an allow-list's prefixes and patterns in lowercase, read once for every action
        self._listed: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
        # the explanations of a batch ask about the same few hundred lists and actions
        self._gaps: dict[tuple[tuple[str, ...], str], Gap] = {}

    def gap(self, patterns: tuple[str, ...], action: str) -> Gap:
        gap = self._gaps.get((patterns, action))
        if gap is None:
            gap = self._gaps[(patterns, action)] = self._gap(patterns, action)
        return gap

    def _gap(self, patterns: tuple[str, ...], action: str) -> Gap:
        catalog = self.catalog
        listed = self._listed.get(patterns)
        if listed is None:
            listed = self._listed[patterns] = (
                frozenset(pattern.partition(":")[0].lower() for pattern in patterns),
                frozenset(pattern.lower() for pattern in patterns),
            )
        prefixes, lowered = listed
        prefix = action.partition(":")[0].lower()
        for old in catalog.renamed_from(action):
            if old.lower() in lowered or f"{old.partition(':')[0].lower()}:*" in lowered:
                return Gap(
                    Category.RENAMED_ACTION,
                    action,
                    f"it lists {old}, which AWS replaced by {action}",
                )
        if prefix in prefixes:
            return Gap(Category.NEW_ACTION, action, f"it allows part of {prefix} but not {action}")
        service = catalog.service_name(prefix) or prefix
        siblings = sorted((catalog.family_of(prefix) - {prefix}) & prefixes)
        if siblings:
            why = (
                f"it allows {', '.join(siblings)} but not {prefix}, "
                f"a prefix of the same service ({service})"
            )
            return Gap(Category.NEW_PREFIX, f"{prefix}:*", why)
        return Gap(
            Category.NEW_SERVICE, f"{prefix}:*", f"it allows nothing of {service} ({prefix})"
        )
