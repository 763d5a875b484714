"""What validation needs from the IAM catalog (`recommender.catalog.Catalog` provides it)."""

from typing import Protocol


class ActionCatalog(Protocol):
    def prefix_exists(self, prefix: str) -> bool: ...

    def action_exists(self, action: str) -> bool: ...

    def pattern_matches_any(self, pattern: str) -> bool:
        """Whether an IAM pattern with `*`/`?` (e.g. `ec2:Describe*`) covers a known action."""
        ...
