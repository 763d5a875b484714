"""The Athena engine through unmodified pyathena against moto, and `athena-setup`.

moto runs no SQL: results are seeded through its documented result queue
(`POST /moto-api/static/athena/query-results`), each with `column_info` and a header row first,
as real Athena returns them. Where moto lacks a behaviour (paging by `MaxResults`, failure
reasons, scanned bytes) a botocore event handler on the client fills in just that field.
"""

import json
import re
from datetime import date

import boto3
import pytest
import requests
import sqlglot
from click.testing import CliRunner
from moto import mock_aws
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager
from sqlglot import exp

from recommender.cli import main
from recommender.commands import cli
from recommender.config import AthenaSettings
from recommender.errors import ConfigError, SourceError
from recommender.sources.athena import (
    AthenaSource,
    Pacing,
    query_cost,
    setup_statements,
    table_ddl,
)
from recommender.sources.base import QuerySpec
from recommender.sources.sql import build_query

REGION = "us-east-1"
SPEC = QuerySpec(
    start=date(2026, 11, 16),
    end=date(2026, 11, 23),
    accounts=("111111111111", "222222222222"),
    regions=("eu-west-1", "us-east-1"),
)
COLUMNS = [
    ("event_source", "varchar"),
    ("event_name", "varchar"),
    ("count", "bigint"),
    ("region", "varchar"),
    ("account_id", "varchar"),
    ("error_code", "varchar"),
    ("error_message", "varchar"),
    ("policy_type", "varchar"),
    ("principals", "array"),
    ("first_seen", "varchar"),
    ("last_seen", "varchar"),
    ("event_ids", "array"),
]
SETTINGS = AthenaSettings(
    region=REGION,
    workgroup="primary",
    database="trail_db",
    table="cloudtrail_logs",
    output_location="s3://athena-results-bucket/scp",
    trail_location="s3://my-trail-bucket",
)


@pytest.fixture
def aws(offline_aws):
    with mock_aws():
        yield
    state_manager.unset_transition("athena::execution")


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self, on_sleep=None):
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def source(settings=SETTINGS, time=None) -> AthenaSource:
    time = time or FakeTime()
    return AthenaSource(settings, clock=time.clock, sleep=time.sleep)


def denial_row(index: int) -> list[str | None]:
    return [
        "support.amazonaws.com",
        f"DescribeThing{index}",
        str(index + 1),
        "eu-west-1",
        "111111111111",
        "AccessDenied",
        "User: x is not authorized with an explicit deny in a service control policy",
        "service control policy",
        "[arn:aws:iam::111111111111:role/Admin, arn:aws:iam::111111111111:role/Dev]",
        "2026-11-16T10:00:00Z",
        "2026-11-20T11:00:00Z",
        '["e-1", "e-2"]',
    ]


def seed(rows: list[list[str | None]]) -> None:
    """Queue one result for the next query: a header row, then `rows`."""

    def cells(values):
        return {"Data": [{} if value is None else {"VarCharValue": value} for value in values]}

    header = cells([name for name, _ in COLUMNS])
    result = {
        "rows": [header, *(cells(row) for row in rows)],
        "column_info": [
            {"Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN"}
            for name, kind in COLUMNS
        ],
    }
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={"account_id": DEFAULT_ACCOUNT_ID, "region": REGION, "results": [result]},
        timeout=5,
    )
    assert response.status_code == 201


def executions():
    client = boto3.client("athena", region_name=REGION)
    ids = client.list_query_executions()["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def moto_execution(query_id: str):
    return athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions[query_id]


def only_query_id() -> str:
    (query_id,) = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions
    return query_id


def hold_queries() -> None:
    """Queries stay QUEUED until something else changes their state."""
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 10**6})


def patch_execution(athena: AthenaSource, **status_or_statistics) -> None:
    """Add what moto never reports (a failure reason, scanned bytes) to GetQueryExecution."""

    def add(parsed, **_):
        execution = parsed["QueryExecution"]
        for key, value in status_or_statistics.items():
            section = "Statistics" if key == "DataScannedInBytes" else "Status"
            execution.setdefault(section, {})[key] = value

    athena.connection().client.meta.events.register("after-call.athena.GetQueryExecution", add)


def page_like_athena(athena: AthenaSource) -> list[str | None]:
    """moto returns every row at once; Athena pages by MaxResults (<= 1,000) and NextToken."""
    asked: list[str | None] = []
    request: dict[str, int | str] = {}

    def remember(params, **_):
        request.clear()
        request.update(params)
        asked.append(params.get("NextToken"))

    def page(parsed, **_):
        start = int(request.get("NextToken") or 0)
        end = start + int(request["MaxResults"])
        rows = parsed["ResultSet"]["Rows"]
        parsed["ResultSet"]["Rows"] = rows[start:end]
        if end < len(rows):
            parsed["NextToken"] = str(end)

    events = athena.connection().client.meta.events
    events.register("provide-client-params.athena.GetQueryResults", remember)
    events.register("after-call.athena.GetQueryResults", page)
    return asked


def test_query_text_parameters_and_context_as_sent(aws) -> None:
    seed([denial_row(0), denial_row(1)])
    athena = source()
    patch_execution(athena, DataScannedInBytes=3 * 2**40)

    denials = athena.fetch(SPEC)

    (sent,) = executions()
    text, values = build_query(SPEC, dialect="athena", table="trail_db.cloudtrail_logs")
    assert sent["Query"] == text
    assert sent["ExecutionParameters"] == [f"'{value}'" for value in values]
    assert sent["ExecutionParameters"][0] == "'2026/11/16'"
    assert sent["WorkGroup"] == "primary"
    assert sent["QueryExecutionContext"] == {"Database": "trail_db", "Catalog": "AwsDataCatalog"}
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://athena-results-bucket/")
    assert "'111111111111', '222222222222'" in text
    assert [denial.event_name for denial in denials] == ["DescribeThing0", "DescribeThing1"]
    first = denials[0]
    assert first.count == 1
    assert first.principals == (
        "arn:aws:iam::111111111111:role/Admin",
        "arn:aws:iam::111111111111:role/Dev",
    )
    assert first.event_ids == ("e-1", "e-2")
    assert first.policy_type == "service control policy"
    assert athena.stats.engine == "athena"
    assert athena.stats.query_id == sent["QueryExecutionId"]
    assert athena.stats.bytes_scanned == 3 * 2**40
    assert athena.stats.cost_usd == pytest.approx(15.0)


def test_every_page_of_more_than_1000_rows_is_read(aws) -> None:
    seed([denial_row(index) for index in range(2_001)])
    athena = source()
    asked = page_like_athena(athena)

    denials = athena.fetch(SPEC)

    assert len(denials) == 2_001
    assert asked == [None, "1000", "2000"]
    # Only the first page starts with the header row.
    assert denials[0].event_name == "DescribeThing0"
    assert denials[1_000].event_name == "DescribeThing1000"
    assert denials[-1].event_name == "DescribeThing2000"


def test_empty_and_null_columns_become_empty_lists_and_none(aws) -> None:
    row = denial_row(0)
    row[6] = None
    row[8] = "[]"
    row[11] = None
    seed([row])

    (denial,) = source().fetch(SPEC)

    assert denial.error_message is None
    assert denial.principals == ()
    assert denial.event_ids == ()


def test_failed_query_reports_athena_reason(aws) -> None:
    hold_queries()
    reason = "COLUMN_NOT_FOUND: line 3:9: Column 'x' cannot be resolved"

    def fail(_):
        moto_execution(only_query_id()).status = "FAILED"

    athena = source(time=FakeTime(fail))
    patch_execution(athena, StateChangeReason=reason)

    with pytest.raises(SourceError, match=f"FAILED: {re.escape(reason)}") as raised:
        athena.fetch(SPEC)

    message = str(raised.value)
    assert only_query_id() in message
    assert "\n" not in message


def test_query_cancelled_elsewhere_is_reported(aws) -> None:
    hold_queries()
    client = boto3.client("athena", region_name=REGION)

    def cancel_in_console(_):
        client.stop_query_execution(QueryExecutionId=only_query_id())

    with pytest.raises(SourceError, match=r"CANCELLED: Athena gave no reason"):
        source(time=FakeTime(cancel_in_console)).fetch(SPEC)


def test_time_limit_cancels_the_query(aws) -> None:
    hold_queries()
    time = FakeTime()
    athena = source(SETTINGS.model_copy(update={"timeout_seconds": 2}), time)

    with pytest.raises(SourceError, match=r"did not finish within 2 s .* it was cancelled"):
        athena.fetch(SPEC)

    assert moto_execution(only_query_id()).status == "CANCELLED"
    # Backoff, and never a sleep past the deadline.
    assert time.sleeps == [0.5, 0.75, 0.75]


def test_ctrl_c_cancels_the_query_and_propagates(aws) -> None:
    hold_queries()

    def interrupt(count):
        if count == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match=r"^$"):  # Ctrl-C's own, bare
        source(time=FakeTime(interrupt)).fetch(SPEC)

    assert moto_execution(only_query_id()).status == "CANCELLED"


def test_unknown_workgroup_is_one_line(aws) -> None:
    athena = source(SETTINGS.model_copy(update={"workgroup": "no-such-group"}))
    with pytest.raises(SourceError, match="WorkGroup does not exist"):
        athena.fetch(SPEC)


def test_no_region_anywhere_names_the_setting(monkeypatch, tmp_path) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    athena = source(SETTINGS.model_copy(update={"region": None}))
    with pytest.raises(ConfigError, match=r"athena\.region: not set"):
        athena.fetch(QuerySpec(start=SPEC.start, end=SPEC.end))


def test_backoff_grows_to_its_ceiling() -> None:
    time = FakeTime()
    pacing = Pacing(100.0, clock=time.clock, sleep=time.sleep)
    pacing.start()
    for _ in range(8):
        pacing.wait()
    assert time.sleeps[:4] == [0.5, 0.75, 1.125, 1.6875]
    assert time.sleeps[-1] == 5.0


def test_accounts_from_organizations_when_none_are_given(aws) -> None:
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    created = [
        organizations.create_account(AccountName=f"a{n}", Email=f"a{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(3)
    ]
    organizations.close_account(AccountId=created[1])
    seed([denial_row(0)])

    source().fetch(QuerySpec(start=SPEC.start, end=SPEC.end, regions=("eu-west-1",)))

    (sent,) = executions()
    active = sorted([DEFAULT_ACCOUNT_ID, created[0], created[2]])
    assert "account_id IN (" + ", ".join(f"'{a}'" for a in active) + ")" in sent["Query"]
    assert created[1] not in sent["Query"]
    assert "region IN ('eu-west-1')" in sent["Query"]


def test_an_organization_without_accounts_asks_for_them(aws) -> None:
    with pytest.raises(SourceError, match="no ACTIVE account: pass --accounts"):
        source().fetch(QuerySpec(start=SPEC.start, end=SPEC.end, regions=("eu-west-1",)))


def test_cost_rounds_up_to_megabytes_with_a_10_mb_minimum() -> None:
    assert query_cost(0, 5.0) == 0.0
    assert query_cost(1, 5.0) == pytest.approx(10 * 2**20 / 2**40 * 5.0)
    assert query_cost(2**40, 7.0) == pytest.approx(7.0)


@pytest.mark.parametrize(
    ("organization_id", "template"),
    [
        (
            "o-a1b2c3d4e5",
            "s3://my-trail-bucket/AWSLogs/o-a1b2c3d4e5/${account_id}/CloudTrail/${region}/${timestamp}",
        ),
        (None, "s3://my-trail-bucket/AWSLogs/${account_id}/CloudTrail/${region}/${timestamp}"),
    ],
)
def test_table_ddl_for_both_layouts(organization_id, template) -> None:
    ddl = table_ddl(SETTINGS.model_copy(update={"organization_id": organization_id}))

    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, exp.Create)
    assert tree.args["kind"] == "TABLE"
    properties = {
        prop.name: prop.text("value")
        for prop in tree.find_all(exp.Property)
        if isinstance(prop.this, exp.Literal)
    }
    assert properties["storage.location.template"] == template
    assert properties["projection.account_id.type"] == "injected"
    assert properties["projection.timestamp.format"] == "yyyy/MM/dd"
    assert "{{" not in ddl
    assert "--" not in ddl
    schema = tree.this
    columns = {column.name for column in schema.expressions}
    assert {"eventcategory", "sessioncredentialfromconsole", "addendum", "tlsdetails"} <= columns
    partitions = tree.find(exp.PartitionedByProperty)
    assert partitions is not None
    assert [column.name for column in partitions.this.expressions] == [
        "account_id",
        "region",
        "timestamp",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trail_location", "s3://My_Bucket"),
        ("trail_location", "s3://bucket/it's"),
        ("trail_location", "s3://bucket/AWSLogs"),
        ("organization_id", "o-ABC"),
        ("organization_id", "o-abcdefghij' OR '1"),
        ("organization_id", "o-abcdefghij\n"),
        ("output_location", "s3://bucket/../x"),
        ("database", "trail-db"),
        ("table", "logs; DROP TABLE x"),
        ("output_location", "https://bucket/x"),
    ],
)
def test_bad_settings_are_refused(field, value) -> None:
    with pytest.raises(ConfigError, match=f"athena.{field}: "):
        setup_statements(SETTINGS.model_copy(update={field: value}))


def test_setup_without_trail_location_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"athena\.trail_location: not set"):
        table_ddl(SETTINGS.model_copy(update={"trail_location": None}))


def write_settings(tmp_path, **athena) -> str:
    values = {"region": REGION, "trail_location": "s3://my-trail-bucket", **athena}
    lines = ["[athena]", *(f'{key} = "{value}"' for key, value in values.items())]
    path = tmp_path / "scp-recommender.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_athena_setup_print_runs_nothing(tmp_path) -> None:
    config = write_settings(tmp_path, organization_id="o-a1b2c3d4e5")
    result = CliRunner().invoke(cli, ["--config", config, "athena-setup", "--print"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("CREATE DATABASE IF NOT EXISTS `scp_recommender`;\n")
    assert "AWSLogs/o-a1b2c3d4e5/${account_id}/CloudTrail/${region}/${timestamp}" in result.output
    assert len(sqlglot.parse(result.output, read="athena")) == 2


def test_athena_setup_is_idempotent(aws, tmp_path) -> None:
    config = write_settings(tmp_path, output_location="s3://athena-results-bucket/")
    for _ in range(2):
        result = CliRunner().invoke(cli, ["--config", config, "athena-setup"])
        assert result.exit_code == 0, result.output
        assert "scp_recommender.cloudtrail_logs is ready" in result.output

    sent = executions()
    assert [execution["Query"].split("(")[0].strip() for execution in sent] == [
        "CREATE DATABASE IF NOT EXISTS `scp_recommender`",
        "CREATE EXTERNAL TABLE IF NOT EXISTS `scp_recommender`.`cloudtrail_logs`",
    ] * 2
    assert all(e["QueryExecutionContext"]["Database"] == "default" for e in sent)
    databases = boto3.client("athena").list_databases(CatalogName="AwsDataCatalog")
    assert [d["Name"] for d in databases["DatabaseList"]] == ["default", "scp_recommender"]


def test_athena_setup_bad_bucket_is_one_line_exit_2(tmp_path, capsys) -> None:
    config = write_settings(tmp_path, trail_location="s3://Not_A_Bucket")
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["--config", config, "athena-setup", "--print"])
    error = capsys.readouterr().err
    assert error.startswith("error: athena.trail_location: 's3://Not_A_Bucket' is not valid")
    assert error.count("\n") == 1


def test_query_command_end_to_end_against_a_moto_server(tmp_path, monkeypatch, capsys) -> None:
    """The whole CLI run, with every AWS client pointed at moto on loopback."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        boto3.client("organizations").create_organization(FeatureSet="ALL")
        header = [name for name, _ in COLUMNS]
        seeded = requests.post(
            f"{endpoint}/moto-api/static/athena/query-results",
            json={
                "results": [
                    {
                        "rows": [
                            {"Data": [{"VarCharValue": value} for value in row]}
                            for row in (header, denial_row(4))
                        ],
                        "column_info": [
                            {"Name": name, "Type": kind, "Nullable": "UNKNOWN"}
                            for name, kind in COLUMNS
                        ],
                    }
                ]
            },
            timeout=5,
        )
        assert seeded.status_code == 201
        config = write_settings(tmp_path, database="trail_db")
        out = tmp_path / "denials.jsonl"

        main_args = ["--config", config, "query", "--engine", "athena", "--regions", "eu-west-1"]
        with pytest.raises(SystemExit, match=r"^0$"):
            main([*main_args, "--start", "2026-11-16", "--end", "2026-11-23", "--output", str(out)])

        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [(row["event_name"], row["count"]) for row in rows] == [("DescribeThing4", 5)]
        assert "query (athena " in capsys.readouterr().err
        client = boto3.client("athena")
        (query_id,) = client.list_query_executions()["QueryExecutionIds"]
        sent = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        assert f"account_id IN ('{DEFAULT_ACCOUNT_ID}')" in sent["Query"]
        assert sent["ExecutionParameters"][:2] == ["'2026/11/16'", "'2026/11/24'"]
    finally:
        server.stop()


def test_athena_setup_failure_is_one_line_exit_1(aws, tmp_path, capsys) -> None:
    config = write_settings(tmp_path, workgroup="missing")
    with pytest.raises(SystemExit, match=r"^1$"):
        main(["--config", config, "athena-setup"])
    error = capsys.readouterr().err
    assert error.startswith("error: Athena query (not started) failed: ")
    assert "WorkGroup does not exist" in error
    assert error.count("\n") == 1
