"""The values that fill the markers of `sql/denials.sql`, and the local engine's query.

The local engine runs the query translated to DuckDB once, when the package is made
(`denials.duckdb.sql`, written by `python -m recommender.sources.sql` from `sql/denials.sql`;
a test checks that it is current), with every marker a named parameter, so that a run loads
neither sqlglot nor the Trino text. Nothing is formatted into the text.
"""

from datetime import date, timedelta
from pathlib import Path

from recommender.errors import InputError
from recommender.sources.base import QuerySpec
from recommender.validation import account_id, region

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
DENIALS_SQL = SQL_DIR / "denials.sql"
DUCKDB_SQL = Path(__file__).with_name("denials.duckdb.sql")
# The view the local engine reads CloudTrail rows through.
LOCAL_VIEW = "cloudtrail"

TABLE_MARKER = "cloudtrail_logs__"
PARAMETER_MARKERS = ("start_day__", "end_day__", "start_time__", "end_time__")
LIST_MARKERS = ("accounts__", "regions__", "excluded_agents__")
LIMIT_MARKERS = ("principals_limit__", "event_ids_limit__")


def partition_day(day: date) -> str:
    """The `timestamp` partition value of a day: `yyyy/MM/dd`."""
    return day.strftime("%Y/%m/%d")


def window_parameters(spec: QuerySpec) -> dict[str, str]:
    """The bound values: partition days (one day past the end, see the SQL) and instants."""
    return {
        "start_day__": partition_day(spec.start),
        "end_day__": partition_day(spec.end + timedelta(days=1)),
        "start_time__": f"{spec.start.isoformat()}T00:00:00Z",
        "end_time__": f"{spec.end.isoformat()}T00:00:00Z",
    }


def list_values(spec: QuerySpec) -> dict[str, list[str]]:
    return {
        "accounts__": [account_id(value) for value in spec.accounts],
        "regions__": [region(value) for value in spec.regions],
        "excluded_agents__": [agent.strip().lower() for agent in spec.exclude_user_agents],
    }


def limits(spec: QuerySpec) -> dict[str, int]:
    limits = {
        "principals_limit__": spec.principals_per_group,
        "event_ids_limit__": spec.event_ids_per_group,
    }
    for name, value in limits.items():
        if not isinstance(value, int) or value < 1:
            raise InputError(f"{name.rstrip('_')}: {value!r} is not a positive whole number")
    return limits


def local_query(spec: QuerySpec) -> tuple[str, dict[str, object]]:
    """The local engine's query for `spec`: DuckDB text and its named parameters."""
    markers: dict[str, object] = {**window_parameters(spec), **list_values(spec), **limits(spec)}
    parameters = {name.rstrip("_"): value for name, value in markers.items()}
    return DUCKDB_SQL.read_text(encoding="utf-8"), parameters
