"""`sql/denials.sql`: it parses as Trino, and its markers are filled through the syntax tree."""

from datetime import date

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from recommender.errors import InputError
from recommender.models import DENIAL_FIELDS
from recommender.sources.base import QuerySpec
from recommender.sources.markers import DENIALS_SQL, DUCKDB_SQL, local_query
from recommender.sources.sql import build_query, duckdb_translation

SPEC = QuerySpec(start=date(2026, 11, 16), end=date(2026, 11, 23))


def test_denials_sql_parses_as_trino() -> None:
    tree = sqlglot.parse_one(DENIALS_SQL.read_text(encoding="utf-8"), read="trino")
    assert isinstance(tree, exp.Select)
    names = [projection.alias_or_name for projection in tree.expressions]
    assert names == list(DENIAL_FIELDS)


@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
def test_query_binds_dates_and_has_no_markers_left(dialect) -> None:
    spec = QuerySpec(
        start=SPEC.start,
        end=SPEC.end,
        accounts=("111111111111", "222222222222"),
        regions=("eu-west-1",),
    )
    text, parameters = build_query(spec, dialect=dialect, table="trail_db.cloudtrail_logs")
    assert parameters == [
        "2026/11/16",
        "2026/11/24",
        "2026-11-16T00:00:00Z",
        "2026-11-23T00:00:00Z",
    ]
    read = "trino" if dialect == "athena" else "duckdb"
    placeholders = list(sqlglot.parse_one(text, read=read).find_all(exp.Placeholder))
    assert len(placeholders) == len(parameters)
    assert "__" not in text
    assert "'111111111111', '222222222222'" in text
    assert "IN ('eu-west-1')" in text
    assert "trail_db.cloudtrail_logs" in text


def test_parameters_follow_text_order() -> None:
    text, parameters = build_query(SPEC, dialect="athena", table="t")
    where = text[text.index("WHERE") :]
    columns = ['"timestamp" >= ?', '"timestamp" < ?', "eventtime >= ?", "eventtime < ?"]
    positions = [where.index(column) for column in columns]
    assert positions == sorted(positions)
    assert str(parameters[0]) < str(parameters[1])


def test_empty_lists_drop_their_filters() -> None:
    spec = QuerySpec(start=SPEC.start, end=SPEC.end, exclude_user_agents=())
    text, _ = build_query(spec, dialect="athena", table="t")
    assert "account_id IN" not in text
    assert "region IN" not in text
    assert "useragent" not in text.split("WHERE", 1)[1]


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [
        ("accounts", ("1' OR '1'='1",), "account: .* is not an AWS account ID"),
        ("regions", ("eu-west-1') OR (1=1",), "region: .* is not an AWS region name"),
    ],
)
def test_unvalidated_values_never_reach_the_text(field, value, refused) -> None:
    spec = QuerySpec(start=SPEC.start, end=SPEC.end, **{field: value})
    with pytest.raises(InputError, match=f"^{refused}"):
        build_query(spec, dialect="athena", table="t")


def test_user_agents_are_quoted_as_literals() -> None:
    spec = QuerySpec(start=SPEC.start, end=SPEC.end, exclude_user_agents=("it's.amazonaws.com",))
    text, _ = build_query(spec, dialect="duckdb", table="t")
    assert "'it''s.amazonaws.com'" in text


def test_bad_table_name_is_an_input_error() -> None:
    with pytest.raises(
        InputError,
        match=r"^table: 'a b; drop' is not a table name \(expected \[catalog\.\]\[db\.\]table\)$",
    ):
        build_query(SPEC, dialect="athena", table="a b; drop")


def empty_table() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with an empty `cloudtrail` table of the view's columns."""
    connection = duckdb.connect()
    connection.execute(
        """CREATE TABLE cloudtrail (
            useridentity STRUCT(arn VARCHAR, accountid VARCHAR,
                sessioncontext STRUCT(sessionissuer STRUCT(arn VARCHAR))),
            eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR,
            useragent VARCHAR, errorcode VARCHAR, errormessage VARCHAR, eventid VARCHAR,
            recipientaccountid VARCHAR, account_id VARCHAR, region VARCHAR, "timestamp" VARCHAR)"""
    )
    return connection


def test_duckdb_text_runs_on_an_empty_table() -> None:
    connection = empty_table()
    text, parameters = build_query(SPEC, dialect="duckdb", table="cloudtrail")
    cursor = connection.execute(text, parameters)
    assert [column[0] for column in cursor.description] == list(DENIAL_FIELDS)
    assert cursor.fetchall() == []


def test_the_local_engines_query_is_the_current_translation() -> None:
    # On failure: make sql
    assert DUCKDB_SQL.read_text(encoding="utf-8") == duckdb_translation()


AGENTS = ("config.amazonaws.com", "console.amazonaws.com", None)


def denied_call(number: int) -> tuple[object, ...]:
    account = ("111111111111", "222222222222", "333333333333")[number % 3]
    region = ("eu-west-1", "us-east-1")[number % 2]
    principal = f"arn:aws:iam::{account}:role/r{number % 4}"
    identity = {"arn": principal, "accountid": account, "sessioncontext": None}
    day = 14 + number % 11  # some outside the window
    time = f"2026-11-{day:02d}T{number % 24:02d}:00:00Z"
    return (
        identity, time, "s3.amazonaws.com", f"Get{number % 5}", region, AGENTS[number // 3 % 3],
        "AccessDenied", "with an explicit deny in a service control policy", f"e{number}",
        account, account, region, f"2026/11/{day:02d}",
    )  # fmt: skip


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"accounts": ("111111111111",), "regions": ("eu-west-1", "us-east-1")},
        {"regions": ("us-east-1",), "exclude_user_agents": ()},
        {"exclude_user_agents": ("Console.amazonaws.com ", "config.amazonaws.com")},
        {"principals_per_group": 1, "event_ids_per_group": 2},
    ],
)
def test_the_local_query_finds_what_the_translated_template_finds(scope) -> None:
    connection = empty_table()
    connection.executemany(
        "INSERT INTO cloudtrail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [denied_call(number) for number in range(300)],
    )
    spec = QuerySpec(start=SPEC.start, end=SPEC.end, **scope)
    expected = connection.execute(*build_query(spec, dialect="duckdb", table="cloudtrail"))
    rows = expected.fetchall()
    assert rows
    assert connection.execute(*local_query(spec)).fetchall() == rows
