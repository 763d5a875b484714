"""Service families: the IAM prefixes of one AWS service (events, pipes, scheduler, schemas).

Derived from the catalog's service names — a name that starts with another whole name belongs
to its family ("Amazon EventBridge Pipes" -> "Amazon EventBridge") — and merged with the curated
lists of `data/service_families.json` for services whose names share no root.
"""

import re
from collections.abc import Iterable, Mapping

# Vendor words and parenthesised abbreviations do not name the service: "AWS Identity and Access
# Management (IAM)" and "AWS Identity and Access Management Roles Anywhere" share a root.
_VENDOR = re.compile(r"^(amazon|aws)\s+")
_PARENTHESISED = re.compile(r"\s*\([^)]*\)")


def root_name(service_name: str) -> str:
    return _VENDOR.sub("", _PARENTHESISED.sub("", service_name.lower())).strip()


class _Groups:
    """Union-find over prefixes."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)


def derive_families(
    service_names: Mapping[str, str], curated: Iterable[Iterable[str]]
) -> dict[str, frozenset[str]]:
    """Prefix -> its family (itself included), for every prefix in a family of two or more."""
    groups = _Groups()
    prefixes_by_root: dict[str, list[str]] = {}
    for prefix, name in service_names.items():
        prefixes_by_root.setdefault(root_name(name), []).append(prefix)
    for root, prefixes in prefixes_by_root.items():
        for prefix in prefixes:
            groups.join(prefix, prefixes[0])
        words = root.split(" ")
        # every shorter run of leading words that is itself a service name is this one's root
        for length in range(1, len(words)):
            for parent in prefixes_by_root.get(" ".join(words[:length]), ()):
                groups.join(prefixes[0], parent)
    for family in curated:
        members = list(family)
        for prefix in members[1:]:
            groups.join(prefix, members[0])
    members_by_root: dict[str, set[str]] = {}
    for prefix in list(groups.parent):
        members_by_root.setdefault(groups.find(prefix), set()).add(prefix)
    return {
        prefix: frozenset(members)
        for members in members_by_root.values()
        if len(members) > 1
        for prefix in members
    }
