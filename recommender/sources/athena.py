"""The Athena engine: `sql/denials.sql` run by Athena through pyathena.

What it guarantees: the query runs in the configured workgroup, catalog and database with its
dates bound as execution parameters; every result page is read (pyathena follows `NextToken`);
status polls back off; the query is cancelled when `athena.timeout_seconds` passes or on Ctrl-C;
a FAILED or CANCELLED query is reported with Athena's own reason; `stats` tells the bytes
scanned and what they cost.
"""

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import msgspec
from botocore.exceptions import NoRegionError
from pyathena import connect
from pyathena.connection import Connection
from pyathena.cursor import DictCursor
from pyathena.error import Error as PyAthenaError
from pyathena.model import AthenaQueryExecution

from recommender.config import AthenaSettings
from recommender.errors import ConfigError, SourceError
from recommender.models import DENIAL_FIELDS, Denial
from recommender.orgs import active_accounts, enabled_regions
from recommender.sources.base import QuerySpec, ScanStats
from recommender.sources.markers import SQL_DIR
from recommender.sources.sql import build_query
from recommender.validation import REGION

TABLE_SQL = SQL_DIR / "cloudtrail_table.sql"

# Glue stores database and table names in lower case; these are the names it accepts.
GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
CATALOG_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
WORKGROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
# A bucket name (lower case, 3-63) and key prefix segments without quotes or spaces: the value
# ends up inside SQL string literals of the DDL.
S3_LOCATION = re.compile(
    r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"
    r"(?P<prefix>(?:/[A-Za-z0-9_=-][A-Za-z0-9_.=-]*)*)/?$"
)
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)/[A-Za-z0-9/_-]+$")
# CloudTrail's first day; the projection needs a start and nothing is older.
FIRST_DAY = "2013/11/01"
# Complex-type result columns of sql/denials.sql, converted to lists by pyathena.
LIST_COLUMNS = ("principals", "event_ids")
LIST_TYPE_HINTS: dict[str | int, str] = {column: "array(varchar)" for column in LIST_COLUMNS}
# Athena bills scanned bytes rounded up to the megabyte, at least 10 MB per query, per TiB.
BILLING_UNIT = 2**20
MINIMUM_BILLED = 10 * BILLING_UNIT
TERABYTE = 2**40


def _check(value: str | None, pattern: re.Pattern[str], field: str, expected: str) -> str:
    if value is None or not pattern.fullmatch(value):
        raise ConfigError(f"athena.{field}: {value!r} is not valid (expected {expected})")
    return value


def _check_location(value: str | None, field: str) -> str:
    text = _check(value, S3_LOCATION, field, "s3://bucket[/prefix], bucket in lower case")
    if ".." in text:
        raise ConfigError(f"athena.{field}: {value!r} is not valid (expected no '..')")
    return text.rstrip("/")


def _check_trail(value: str) -> str:
    text = _check_location(value, "trail_location")
    if text.endswith("/AWSLogs"):
        raise ConfigError(
            f"athena.trail_location: {value!r} is not valid (expected the bucket and prefix "
            "that the trail writes to, without AWSLogs/)"
        )
    return text


def validated(settings: AthenaSettings) -> AthenaSettings:
    """The settings, after every value that reaches SQL text or an AWS call passed its syntax."""
    _check(settings.database, GLUE_NAME, "database", "lower-case letters, digits, _")
    _check(settings.table, GLUE_NAME, "table", "lower-case letters, digits, _")
    _check(settings.catalog, CATALOG_NAME, "catalog", "letters, digits, _ or -")
    _check(settings.workgroup, WORKGROUP_NAME, "workgroup", "letters, digits, . _ or -")
    if settings.region is not None:
        _check(settings.region, REGION, "region", "a region name such as eu-west-1")
    if settings.output_location is not None:
        _check_location(settings.output_location, "output_location")
    if settings.trail_location is not None:
        _check_trail(settings.trail_location)
    if settings.organization_id is not None:
        _check(settings.organization_id, ORGANIZATION_ID, "organization_id", "o- and 10-32 a-z0-9")
    if settings.kms_key_arn is not None:
        _check(settings.kms_key_arn, KMS_KEY_ARN, "kms_key_arn", "a KMS key or alias ARN")
    return settings


def trail_prefix(settings: AthenaSettings) -> str:
    """`s3://bucket[/prefix]/AWSLogs/[<org-id>/]`: where the table's account folders are."""
    validated(settings)
    if settings.trail_location is None:
        raise ConfigError("athena.trail_location: not set (expected s3://bucket[/prefix])")
    base = settings.trail_location.rstrip("/") + "/AWSLogs/"
    if settings.organization_id is not None:
        return f"{base}{settings.organization_id}/"
    return base


def _strip_comments(text: str) -> str:
    # Athena's DDL parser rejects statements that start with comments.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip() + "\n"


def table_ddl(settings: AthenaSettings, template: Path = TABLE_SQL) -> str:
    """`sql/cloudtrail_table.sql` with its placeholders filled from validated settings."""
    location = trail_prefix(settings)
    values = {
        "database": settings.database,
        "table": settings.table,
        "location": location,
        "location_template": location + "${account_id}/CloudTrail/${region}/${timestamp}",
        "first_day": FIRST_DAY,
    }
    text = _strip_comments(template.read_text(encoding="utf-8"))

    def fill(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"\{\{(\w+)\}\}", fill, text)


def database_ddl(settings: AthenaSettings) -> str:
    validated(settings)
    return f"CREATE DATABASE IF NOT EXISTS `{settings.database}`\n"


def setup_statements(settings: AthenaSettings) -> list[str]:
    """What `athena-setup` runs, in order; both are no-ops when the objects exist."""
    return [database_ddl(settings), table_ddl(settings)]


def athena_literal(value: object) -> str:
    """An execution parameter as Athena wants it: the SQL literal text of the value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SourceError(f"cannot bind {value!r} as an Athena parameter")


def query_cost(scanned_bytes: int, cost_per_tb: float) -> float:
    if scanned_bytes <= 0:
        return 0.0
    billed = max(math.ceil(scanned_bytes / BILLING_UNIT) * BILLING_UNIT, MINIMUM_BILLED)
    return billed / TERABYTE * cost_per_tb


class QueryTimeLimit(Exception):
    """Raised between two polls once the time limit has passed; the query is then cancelled."""


@dataclass
class Pacing:
    """When to ask Athena again: back off from `first` to `longest`, never past the deadline."""

    timeout_seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    first: float = 0.5
    factor: float = 1.5
    longest: float = 5.0

    def start(self) -> None:
        self._deadline = self.clock() + self.timeout_seconds
        self._delay = self.first

    def wait(self) -> None:
        remaining = self._deadline - self.clock()
        if remaining <= 0:
            raise QueryTimeLimit
        self.sleep(min(self._delay, remaining))
        self._delay = min(self._delay * self.factor, self.longest)


class _PacedCursor(DictCursor):
    """pyathena's dict cursor, waiting between status polls as `Pacing` says."""

    def __init__(self, *, pacing: Pacing, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pacing = pacing

    def _wait_poll_interval(self) -> None:
        self._pacing.wait()


def _text(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _as_list(value: object) -> list[str]:
    """A list column: pyathena converts arrays to lists; an unparsable one stays `[a, b]`."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [item.strip() for item in text.split(",") if item.strip()]


def to_denial(row: dict[str, Any]) -> Denial:
    values = {str(name).lower(): _text(value) for name, value in row.items()}
    for column in LIST_COLUMNS:
        values[column] = _as_list(values.get(column))
    try:
        return msgspec.convert(
            {name: values.get(name) for name in DENIAL_FIELDS if name in values},
            Denial,
            strict=False,
        )
    except msgspec.ValidationError as error:
        raise SourceError(f"Athena result row: {error}") from None


class AthenaSource:
    """A `DenialSource` over the CloudTrail table in Athena."""

    def __init__(
        self,
        settings: AthenaSettings,
        *,
        session: boto3.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = validated(settings)
        self.stats = ScanStats(engine="athena")
        self._session = session or boto3.Session(region_name=settings.region)
        self._pacing = Pacing(float(settings.timeout_seconds), clock=clock, sleep=sleep)
        self._connection: Connection[Any] | None = None

    @property
    def table(self) -> str:
        return f"{self.settings.database}.{self.settings.table}"

    def connection(self) -> Connection[Any]:
        if self._connection is None:
            settings = self.settings
            try:
                self._connection = connect(
                    session=self._session,
                    region_name=self._session.region_name,
                    work_group=settings.workgroup,
                    catalog_name=settings.catalog,
                    schema_name=settings.database,
                    s3_staging_dir=settings.output_location,
                    encryption_option="SSE_KMS" if settings.kms_key_arn else None,
                    kms_key=settings.kms_key_arn,
                    kill_on_interrupt=True,
                )
            except NoRegionError:
                raise ConfigError(
                    "athena.region: not set, and no AWS region in the environment"
                ) from None
        return self._connection

    def resolve_scope(self, spec: QuerySpec) -> QuerySpec:
        """Injected partition projection needs literal lists: fill what the spec leaves empty."""
        accounts = spec.accounts
        if not accounts:
            accounts = tuple(active_accounts(self._session.client("organizations")))
            if not accounts:
                raise SourceError("AWS Organizations lists no ACTIVE account: pass --accounts")
        regions = spec.regions
        if not regions:
            regions = tuple(
                enabled_regions(self._session.client("account"), self._session.client("ec2"))
            )
        return replace(spec, accounts=accounts, regions=regions)

    def run(
        self,
        statement: str,
        parameters: list[object] | None = None,
        *,
        type_hints: dict[str | int, str] | None = None,
        database: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run one statement to its end and return every result row.

        `database` is the query's context (default `athena.database`; setup runs in `default`,
        before that database exists).

        The time limit and Ctrl-C both cancel the query (StopQueryExecution); a query that does
        not succeed raises `SourceError` with the state and Athena's reason.
        """
        executions: list[AthenaQueryExecution] = []
        self._pacing.start()
        cursor = self.connection().cursor(
            _PacedCursor,
            pacing=self._pacing,
            on_poll=executions.append,
            schema_name=database or self.settings.database,
        )
        bound = [athena_literal(value) for value in parameters] if parameters else None
        try:
            cursor.execute(
                statement,
                bound,
                paramstyle="qmark",
                result_set_type_hints=type_hints,
            )
            rows = [dict(row) for row in cursor.fetchall() if isinstance(row, dict)]
        except QueryTimeLimit:
            self._cancel(cursor)
            raise SourceError(
                f"Athena query {cursor.query_id} did not finish within "
                f"{self.settings.timeout_seconds} s (athena.timeout_seconds); it was cancelled"
            ) from None
        except PyAthenaError as error:
            raise self._failure(cursor.query_id, executions, error) from None
        finally:
            self._record(cursor.query_id, executions)
            cursor.close()
        return rows

    def fetch(self, spec: QuerySpec) -> list[Denial]:
        self.stats = ScanStats(engine="athena")
        self.connection()  # settles the region before Organizations is asked for accounts
        scope = self.resolve_scope(spec)
        query, parameters = build_query(scope, dialect="athena", table=self.table)
        rows = self.run(query, parameters, type_hints=LIST_TYPE_HINTS)
        return [to_denial(row) for row in rows]

    def _cancel(self, cursor: _PacedCursor) -> None:
        if not cursor.query_id:
            return
        try:
            cursor.cancel()
        except PyAthenaError as error:
            raise SourceError(
                f"Athena query {cursor.query_id} passed its time limit and could not be "
                f"cancelled: {error}"
            ) from None

    def _failure(
        self, query_id: str | None, executions: list[AthenaQueryExecution], error: Exception
    ) -> SourceError:
        last = executions[-1] if executions else None
        if last is None or last.state not in (
            AthenaQueryExecution.STATE_FAILED,
            AthenaQueryExecution.STATE_CANCELLED,
        ):
            return SourceError(f"Athena query {query_id or '(not started)'} failed: {error}")
        reason = last.state_change_reason or last.error_message or "Athena gave no reason"
        return SourceError(f"Athena query {query_id} {last.state}: {reason}")

    def _record(self, query_id: str | None, executions: list[AthenaQueryExecution]) -> None:
        scanned = (executions[-1].data_scanned_in_bytes or 0) if executions else 0
        self.stats.query_id = query_id
        self.stats.bytes_scanned += scanned
        self.stats.cost_usd += query_cost(scanned, self.settings.cost_per_tb)
