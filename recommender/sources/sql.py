"""`sql/denials.sql` made ready to run: markers filled through the sqlglot syntax tree.

Dates become bound `?` parameters; account, region and user-agent lists become literals built
as sqlglot nodes (partition projection in Athena needs literal lists), from values that have
already passed `recommender.validation`. Nothing is formatted into the text.
"""

import re
import sys
from functools import cache
from typing import Literal

import sqlglot
from sqlglot import exp

from recommender.errors import InputError
from recommender.sources.base import QuerySpec
from recommender.sources.markers import (
    DENIALS_SQL,
    LIMIT_MARKERS,
    LIST_MARKERS,
    LOCAL_VIEW,
    PARAMETER_MARKERS,
    TABLE_MARKER,
    limits,
    list_values,
    window_parameters,
)

Dialect = Literal["athena", "duckdb"]
# sqlglot's names: Athena's DML is Trino.
_SQLGLOT_DIALECT: dict[Dialect, str] = {"athena": "trino", "duckdb": "duckdb"}

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
    _fill_lists(tree, list_values(spec))
    bound = _fill_scalars(tree, window_parameters(spec), limits(spec))
    text = tree.sql(dialect=_SQLGLOT_DIALECT[dialect], pretty=True, comments=False)
    return text, bound


def duckdb_translation() -> str:
    """`sql/denials.sql` in DuckDB over the local engine's view, every marker a named parameter
    (`$accounts`...): the text of `markers.DUCKDB_SQL`, which the local engine runs without
    loading sqlglot. `python -m recommender.sources.sql` writes it; a test checks it is current.
    """
    tree = denials_template().copy()
    for table in list(tree.find_all(exp.Table)):
        if table.name == TABLE_MARKER and not table.db:
            table.replace(exp.to_table(LOCAL_VIEW))
    for predicate in list(tree.find_all(exp.In)):
        members = predicate.expressions
        name = _marker(members[0]) if len(members) == 1 else None
        if name not in LIST_MARKERS:
            continue
        values = exp.cast(_parameter(name), "VARCHAR[]")
        contains = exp.func("list_contains", values, predicate.this)
        if isinstance(predicate.parent, exp.Not):
            # An empty list excludes nothing: `NOT list_contains([], x)` holds.
            predicate.parent.replace(exp.not_(contains))
        else:
            # An empty list means "no filter".
            every = exp.EQ(this=exp.func("len", values), expression=exp.Literal.number(0))
            predicate.replace(exp.paren(exp.or_(every, contains)))
    for node in list(tree.walk(bfs=False)):
        name = _marker(node)
        if name in PARAMETER_MARKERS or name in LIMIT_MARKERS:
            node.replace(_parameter(name))
    header = "-- Generated from sql/denials.sql by `python -m recommender.sources.sql`.\n"
    return header + tree.sql(dialect="duckdb", pretty=True, comments=False) + "\n"


def _parameter(marker: str) -> exp.Placeholder:
    return exp.Placeholder(this=marker.rstrip("_"))


if __name__ == "__main__":
    sys.stdout.write(duckdb_translation())
