"""The knowledge files in `recommender/catalog/data/`: facts the IAM data does not hold.

Each file is JSON with a top-level `sources` list naming where its facts come from. This module
only reads and shapes them; `Catalog` indexes them.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from recommender.errors import RecommenderError

PACKAGE = "recommender.catalog"
KNOWLEDGE_FILES = (
    "event_sources.json",
    "event_names.json",
    "service_families.json",
    "renamed_actions.json",
    "global_services.json",
    "regions.json",
)


class CatalogDataError(RecommenderError):
    """A knowledge file of the catalog is missing or malformed (a packaging problem)."""


@dataclass(frozen=True, slots=True)
class GlobalService:
    """A prefix whose calls are logged in `region` whatever region the caller chose."""

    prefix: str
    region: str
    partial: bool
    actions: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PrefixRename:
    old: str
    new: str
    source: str


@dataclass(frozen=True, slots=True)
class Knowledge:
    event_sources: Mapping[str, str]
    retired_prefixes: Mapping[str, str]
    event_name_actions: Mapping[str, Mapping[str, tuple[str, ...]]]
    families: tuple[tuple[str, ...], ...]
    renames: Mapping[str, tuple[str, ...]]
    prefix_renames: tuple[PrefixRename, ...]
    retired_actions: Mapping[str, str]
    global_services: Mapping[str, GlobalService]
    region_guard_exemptions: tuple[str, ...]
    # partition -> its region names
    regions: Mapping[str, frozenset[str]]
    regions_source: str


@cache
def read_knowledge_file(name: str) -> dict[str, Any]:
    try:
        text = resources.files(PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as error:
        raise CatalogDataError(f"catalog data {name}: cannot be read ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise CatalogDataError(f"catalog data {name}: expected an object with a 'sources' list")
    return document


def _field(name: str, key: str, kind: type) -> Any:
    value = read_knowledge_file(name).get(key)
    if not isinstance(value, kind):
        raise CatalogDataError(f"catalog data {name}: '{key}' must be a {kind.__name__}")
    return value


def _global_services() -> dict[str, GlobalService]:
    entries: dict[str, dict[str, Any]] = _field("global_services.json", "global_services", dict)
    return {
        prefix.lower(): GlobalService(
            prefix=prefix.lower(),
            region=entry["region"],
            partial=bool(entry.get("partial", False)),
            actions=tuple(entry.get("actions", ())),
            source=entry["source"],
        )
        for prefix, entry in entries.items()
    }


@cache
def load_knowledge() -> Knowledge:
    event_names: dict[str, dict[str, list[str]]] = _field(
        "event_names.json", "event_name_actions", dict
    )
    rename_groups: list[dict[str, Any]] = _field("renamed_actions.json", "renames", list)
    return Knowledge(
        event_sources={
            source.lower(): prefix.lower()
            for source, prefix in _field("event_sources.json", "event_sources", dict).items()
        },
        retired_prefixes=_field("event_sources.json", "retired_prefixes", dict),
        event_name_actions={
            prefix.lower(): {event: tuple(actions) for event, actions in events.items()}
            for prefix, events in event_names.items()
        },
        families=tuple(
            tuple(prefix.lower() for prefix in family)
            for family in _field("service_families.json", "families", list)
        ),
        renames={
            old: tuple(new) for group in rename_groups for old, new in group["actions"].items()
        },
        prefix_renames=tuple(
            PrefixRename(entry["old"].lower(), entry["new"].lower(), entry["source"])
            for entry in _field("renamed_actions.json", "prefix_renames", list)
        ),
        retired_actions=_field("renamed_actions.json", "retired_actions", dict),
        global_services=_global_services(),
        region_guard_exemptions=tuple(
            _field("global_services.json", "region_guard_exemptions", list)
        ),
        regions={
            partition: frozenset(names)
            for partition, names in _field("regions.json", "partitions", dict).items()
        },
        regions_source=_field("regions.json", "sources", list)[0],
    )
