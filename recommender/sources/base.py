"""The interface every denial source implements, and what a query asks for."""

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from recommender.models import Denial


@dataclass(frozen=True)
class QuerySpec:
    """A validated request for denials: the half-open UTC window [start, end) and its scope.

    Empty `accounts` / `regions` mean "all that the source has"; every value here has already
    passed `recommender.validation`.
    """

    start: date
    end: date
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    exclude_user_agents: tuple[str, ...] = ("config.amazonaws.com",)
    principals_per_group: int = 5
    event_ids_per_group: int = 5


@dataclass
class ScanStats:
    """What a source did, for the report: files, bytes, skipped files and what it cost."""

    engine: str
    files_read: int = 0
    files_skipped: int = 0
    skipped: list[str] = field(default_factory=list)
    bytes_read: int = 0
    bytes_scanned: int = 0
    cost_usd: float = 0.0
    query_id: str | None = None

    def nothing_read(self) -> str | None:
        """Why the scan saw no CloudTrail at all (a wrong bucket, prefix or window), or None.
        Zero denials from data that was read is a clean week; zero data read is not."""
        if self.engine == "athena":
            return None if self.bytes_scanned else "Athena scanned no data"
        if self.files_read:
            return None
        if self.files_skipped:
            return f"none of the {self.files_skipped} log files could be read"
        return "no CloudTrail log file"


class DenialSource(Protocol):
    """Runs `sql/denials.sql` for a spec; `stats` describes the last run."""

    stats: ScanStats

    def fetch(self, spec: QuerySpec) -> list[Denial]: ...
