"""Which error codes are denials: the code filter of `sql/denials.sql`, pinned on both engines.

The class, as the query's own comment states it: a code is a denial when, in any letter case, it
contains `AccessDenied`, `Unauthorized` or `Forbidden` anywhere (`VpceAccessDenied`,
`Client.AccessDenied`, `Client.UnauthorizedOperation`, `KMSAccessDeniedException`), or starts
with `AuthorizationError` or `NotAuthorized`. Throttling, expired credentials, dry runs and missing
entities are not denials.

The local engine runs the query for real over log files (reader + DuckDB). Athena cannot run
here, so the text sent to Athena is checked twice: transpiled back from Trino and run on DuckDB,
and its regular expression evaluated as Trino's `regexp_like` does (a search, not a full match).
"""

import json
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from recommender.sources.base import QuerySpec
from recommender.sources.local import LocalSource
from recommender.sources.sql import build_query

DAY = date(2026, 11, 17)
SPEC = QuerySpec(start=DAY, end=date(2026, 11, 18), exclude_user_agents=())

ANYWHERE = ("accessdenied", "unauthorized", "forbidden")
AT_START = ("authorizationerror", "notauthorized")

# Every form seen in real records (../shared/data: stratus-red-team, panther-analysis) or named
# as an error shape in AWS's SDK models, and the lower- and upper-case variants of some.
DENIALS = (
    "AccessDenied",
    "AccessDeniedException",
    "VpceAccessDenied",
    "Client.AccessDenied",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationErrorException",
    "AuthorizationError",
    "NotAuthorizedException",
    "ForbiddenException",
    "AccessForbidden",
    "KMSAccessDeniedException",
    "OrganizationAccessDeniedException",
    "accessdenied",
    "client.unauthorizedoperation",
    "vpceaccessdenied",
    "notauthorizedexception",
    "ACCESSDENIEDEXCEPTION",
)
NOT_DENIALS = (
    "NoSuchEntity",
    "NoSuchEntityException",
    "ThrottlingException",
    "Throttling",
    "ExpiredToken",
    "ExpiredTokenException",
    "Client.DryRunOperation",
    "Client.RequestLimitExceeded",
    "InvalidClientTokenId",
    "AuthFailure",
    "Client.AuthFailure",
    "SignatureDoesNotMatch",
    "ResourceNotFoundException",
    "ValidationException",
    "OptInRequired",
    "InvalidAuthorizationMessageException",
    "AuthorizationNotFound",
    # The two start-anchored stems count only at the start of the code.
    "Client.AuthorizationError",
    "DeviceNotAuthorized",
    "",
)


def is_denial(code: str) -> bool:
    """The class the query's comment states, written out independently of its regex."""
    lower = code.lower()
    return any(stem in lower for stem in ANYWHERE) or lower.startswith(AT_START)


def test_the_lists_follow_the_stated_class() -> None:
    assert [code for code in DENIALS if not is_denial(code)] == []
    assert [code for code in NOT_DENIALS if is_denial(code)] == []


# --- The local engine, end to end ------------------------------------------------------------


def record(index: int, code: str | None) -> dict[str, object]:
    """A denied-or-not call of a distinct event name, so that each code is its own group."""
    fields: dict[str, object] = {
        "eventVersion": "1.11",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/dev"},
        "eventTime": f"2026-11-17T10:{index // 60:02d}:{index % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": f"Call{index}",
        "awsRegion": "eu-west-1",
        "errorCode": code,
        "errorMessage": "message",
        "eventID": f"id-{index}",
        "recipientAccountId": "111111111111",
    }
    return {key: value for key, value in fields.items() if value is not None}


def test_local_engine_keeps_exactly_the_denials(tmp_path: Path) -> None:
    codes = [*DENIALS, *NOT_DENIALS, None]
    lines = [json.dumps(record(index, code)) for index, code in enumerate(codes)]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    denials = LocalSource(tmp_path, progress=False).fetch(SPEC)
    assert sorted(str(denial.error_code) for denial in denials) == sorted(DENIALS)
    assert [denial.count for denial in denials] == [1] * len(DENIALS)


# --- The query text of each engine on DuckDB, over a table with the Athena table's columns -----

TABLE = """CREATE TABLE cloudtrail (
    useridentity STRUCT(arn VARCHAR, accountid VARCHAR,
        sessioncontext STRUCT(sessionissuer STRUCT(arn VARCHAR))),
    eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR,
    useragent VARCHAR, errorcode VARCHAR, errormessage VARCHAR, eventid VARCHAR,
    recipientaccountid VARCHAR, account_id VARCHAR, region VARCHAR, "timestamp" VARCHAR)"""
INSERT = """INSERT INTO cloudtrail VALUES (
    {'arn': 'arn:aws:iam::111111111111:user/dev', 'accountid': '111111111111',
     'sessioncontext': {'sessionissuer': {'arn': NULL}}},
    '2026-11-17T10:00:00Z', 'ec2.amazonaws.com', ?, 'eu-west-1', 'aws-cli/2', ?, 'message',
    ?, '111111111111', '111111111111', 'eu-west-1', '2026/11/17')"""


def athena_text_on_duckdb() -> tuple[str, list[object]]:
    """The text built for Athena, translated from Trino to DuckDB as it stands."""
    text, parameters = build_query(SPEC, dialect="athena", table="cloudtrail")
    return sqlglot.transpile(text, read="trino", write="duckdb")[0], parameters


QUERIES = {
    "duckdb": build_query(SPEC, dialect="duckdb", table="cloudtrail"),
    "athena": athena_text_on_duckdb(),
}


@pytest.fixture(scope="module")
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(TABLE)
    yield connection
    connection.close()


def denied_codes(
    connection: duckdb.DuckDBPyConnection, engine: str, codes: list[str | None]
) -> list[str]:
    connection.execute("DELETE FROM cloudtrail")
    for index, code in enumerate(codes):
        connection.execute(INSERT, [f"Call{index}", code, f"id-{index}"])
    text, parameters = QUERIES[engine]
    cursor = connection.execute(text, parameters)
    names = [column[0] for column in cursor.description or []]
    return sorted(dict(zip(names, row, strict=True))["error_code"] for row in cursor.fetchall())


@pytest.mark.parametrize("engine", sorted(QUERIES))
def test_each_engines_text_keeps_exactly_the_denials(connection, engine) -> None:
    codes: list[str | None] = [*DENIALS, *NOT_DENIALS, None]
    assert denied_codes(connection, engine, codes) == sorted(DENIALS)


STEMS = (
    *ANYWHERE,
    *AT_START,
    "unauthorizedoperation",
    "nosuchentity",
    "throttling",
    "expiredtoken",
    "dryrunoperation",
    "authfailure",
    "authorization",
    "denied",
    "access",
    "notfound",
)
PREFIXES = ("", "client.", "server.", "vpce", "kms", "s3", "organization", "x")
SUFFIXES = ("", "exception", "fault", "error", ".notfound", "operation")


@st.composite
def error_codes(draw: st.DrawFn) -> str:
    """A code made of AWS's parts, in a drawn letter case: denials and near misses alike."""
    parts = (draw(st.sampled_from(PREFIXES)), draw(st.sampled_from(STEMS)))
    code = "".join((*parts, draw(st.sampled_from(SUFFIXES))))
    upper = draw(st.lists(st.booleans(), min_size=len(code), max_size=len(code)))
    return "".join(c.upper() if up else c for c, up in zip(code, upper, strict=True))


def code_filter(engine: str) -> exp.Expr:
    """The `regexp_like` of the error code in that engine's query text, in DuckDB's dialect."""
    text, _ = QUERIES[engine]
    [call] = [
        node
        for node in sqlglot.parse_one(text, read="duckdb").find_all(exp.RegexpLike)
        if "errorcode" in node.this.sql()
    ]
    return call


FILTERS = {
    engine: sqlglot.select("errorcode")
    .from_("(SELECT unnest(CAST(? AS VARCHAR[])) AS errorcode)")
    .where(code_filter(engine))
    .sql(dialect="duckdb")
    for engine in QUERIES
}


# No deadline: a timed assertion has no place in a test, least of all on a shared machine.
@settings(deadline=None)
@given(codes=st.lists(error_codes(), min_size=1, max_size=20, unique=True))
def test_drawn_codes_pass_each_engines_filter_by_the_stated_class(connection, codes) -> None:
    # The whole query costs a tenth of a second to plan: drawn codes go through its code
    # filter alone, as each engine's text writes it (the lists above run the whole query).
    expected = sorted(code for code in codes if is_denial(code))
    for engine, query in sorted(FILTERS.items()):
        kept = sorted(row[0] for row in connection.execute(query, [codes]).fetchall())
        assert kept == expected, engine


@cache
def athena_code_pattern() -> str:
    """The regular expression of the `regexp_like` filter in the text sent to Athena, which
    must apply to the lower-case code."""
    text, _ = build_query(SPEC, dialect="athena", table="cloudtrail")
    [call] = [
        node
        for node in sqlglot.parse_one(text, read="trino").find_all(exp.RegexpLike)
        if "errorcode" in node.this.sql()
    ]
    assert call.this.sql(dialect="trino") == "LOWER(errorcode)"
    return str(call.expression.name)


@settings(deadline=None)
@given(code=error_codes())
def test_athenas_regular_expression_searches_the_lower_case_code(code: str) -> None:
    # Trino's regexp_like is true when the pattern matches any part of the string (Java regex;
    # for alternation, anchors and letters Python's `re.search` is the same).
    assert (re.search(athena_code_pattern(), code.lower()) is not None) == is_denial(code)
