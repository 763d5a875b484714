"""`sql/denials.sql` made ready to run: markers filled through the sqlglot syntax tree.

Dates become bound `?` parameters; account, region and user-agent lists become literals built
as sqlglot nodes (partition projection in Athena needs literal lists), from values that have
already passed `recommender.validation`. Nothing is formatted into the text.
"""

import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import exp

from recommender.errors import InputError
from recommender.sources.base import QuerySpec
from recommender.validation import account_id, region

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
DENIALS_SQL = SQL_DIR / "denials.sql"

Dialect = Literal["athena", "duckdb"]
# sqlglot's names: Athena's DML is Trino.
_SQLGLOT_DIALECT: dict[Dialect, str] = {"athena": "trino", "duckdb": "duckdb"}

TABLE_MARKER = "cloudtrail_logs__"
PARAMETER_MARKERS = ("start_day__", "end_day__", "start_time__", "end_time__")
LIST_MARKERS = ("accounts__", "regions__", "excluded_agents__")
LIMIT_MARKERS = ("principals_limit__", "event_ids_limit__")
# Plain identifiers only (no quoting games): up to catalog.database.table.
TABLE_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,2}$")


@cache
def denials_template() -> exp.Expr:
    """The parsed text of `sql/denials.sql` (Trino); callers copy it before changing it."""
    try:
        text = DENIALS_SQL.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{DENIALS_SQL}: the denial query is missing") from None
    return sqlglot.parse_one(text, read="trino")


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


def _list_values(spec: QuerySpec) -> dict[str, list[str]]:
    return {
        "accounts__": [account_id(value) for value in spec.accounts],
        "regions__": [region(value) for value in spec.regions],
        "excluded_agents__": [agent.strip().lower() for agent in spec.exclude_user_agents],
    }


def _limits(spec: QuerySpec) -> dict[str, int]:
    limits = {
        "principals_limit__": spec.principals_per_group,
        "event_ids_limit__": spec.event_ids_per_group,
    }
    for name, value in limits.items():
        if not isinstance(value, int) or value < 1:
            raise InputError(f"{name.rstrip('_')}: {value!r} is not a positive whole number")
    return limits


def _marker(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Column) and not node.table:
        return node.name
    return None


def _fill_lists(tree: exp.Expr, values: dict[str, list[str]]) -> None:
    for predicate in list(tree.find_all(exp.In)):
        members = predicate.expressions
        name = _marker(members[0]) if len(members) == 1 else None
        if name not in values:
            continue
        items = values[name]
        if items:
            predicate.set("expressions", [exp.Literal.string(item) for item in items])
            continue
        # An empty list means "no filter": `x IN ()` and `x NOT IN ()` are both dropped.
        negated = predicate.parent if isinstance(predicate.parent, exp.Not) else predicate
        negated.replace(exp.true())


def _fill_scalars(
    tree: exp.Expr, parameters: dict[str, str], limits: dict[str, int]
) -> list[object]:
    """Markers become `?` (in text order, depth first) or integer literals."""
    bound: list[object] = []
    for node in list(tree.walk(bfs=False)):
        name = _marker(node)
        if name in parameters:
            bound.append(parameters[name])
            node.replace(exp.Placeholder())
        elif name in limits:
            node.replace(exp.Literal.number(limits[name]))
    return bound


def _table(table: str, dialect: Dialect) -> exp.Table:
    if not TABLE_NAME.match(table):
        raise InputError(f"table: {table!r} is not a table name (expected [catalog.][db.]table)")
    return exp.to_table(table, dialect=_SQLGLOT_DIALECT[dialect])


def build_query(spec: QuerySpec, *, dialect: Dialect, table: str) -> tuple[str, list[object]]:
    """The denial query for `spec` in `dialect`, over `table`: text with `?` and its values."""
    tree = denials_template().copy()
    for node in list(tree.find_all(exp.Table)):
        if node.name == TABLE_MARKER and not node.db:
            node.replace(_table(table, dialect))
    _fill_lists(tree, _list_values(spec))
    bound = _fill_scalars(tree, window_parameters(spec), _limits(spec))
    text = tree.sql(dialect=_SQLGLOT_DIALECT[dialect], pretty=True, comments=False)
    return text, bound
