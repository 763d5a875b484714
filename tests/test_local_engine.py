"""The local engine: sql/denials.sql on DuckDB over CloudTrail trees with known answers."""

import gzip
import json
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from bench.logtree import TreeSpec, write_tree
from recommender.errors import InputError
from recommender.models import Denial
from recommender.sources import local, reader
from recommender.sources.base import QuerySpec
from recommender.sources.local import LocalSource
from recommender.sources.reader import (
    Partition,
    UnreadableFile,
    _decode_records,
    _error_records,
    error_rows,
)
from tests.damaged_logs import add_damaged

ACCOUNT = "111111111111"
OTHER = "222222222222"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Dev"
SCP_MESSAGE = (
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/Dev/alice is not authorized to perform: "
    "s3:GetObject with an explicit deny in a service control policy"
)


def record(moment: str, **fields: object) -> dict[str, object]:
    """A denied s3:GetObject by the role Dev (session alice), unless fields say otherwise."""
    base: dict[str, object] = {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/alice",
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}},
        },
        "eventTime": moment,
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": REGION,
        "sourceIPAddress": "10.0.0.1",
        "userAgent": "aws-cli/2.15",
        "errorCode": "AccessDenied",
        "errorMessage": SCP_MESSAGE,
        "eventID": f"id-{moment}",
        "recipientAccountId": ACCOUNT,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def delivery(
    root: Path,
    day: str,
    records: list[dict[str, object]],
    *,
    stamp: str = "1200",
    account: str = ACCOUNT,
    region: str = REGION,
    org: bool = True,
    compress: bool = True,
) -> Path:
    """One CloudTrail file at its S3 path under root; day is 'yyyy/MM/dd'."""
    folder = root / "AWSLogs"
    if org:
        folder = folder / "o-a1b2c3d4e5"
    folder = folder / account / "CloudTrail" / region / day
    folder.mkdir(parents=True, exist_ok=True)
    name = (
        f"{account}_CloudTrail_{region}_{day.replace('/', '')}T{stamp}Z_abcdEFGH{len(records)}.json"
    )
    body = json.dumps({"Records": records}).encode()
    path = folder / (name + ".gz" if compress else name)
    path.write_bytes(gzip.compress(body) if compress else body)
    return path


def run(logs: Path | str, start: date, end: date, **options: Any) -> list[Denial]:
    return LocalSource(logs, progress=False).fetch(QuerySpec(start=start, end=end, **options))


def counts(denials: list[Denial]) -> Counter[tuple[str, ...]]:
    result: Counter[tuple[str, ...]] = Counter()
    for denial in denials:
        key = (
            denial.event_source,
            denial.event_name,
            str(denial.region),
            str(denial.account_id),
            str(denial.error_code),
            str(denial.policy_type),
        )
        result[key] += denial.count
    return result


@pytest.mark.parametrize(
    ("org_id", "compress"),
    [("o-a1b2c3d4e5", True), (None, True), ("o-a1b2c3d4e5", False)],
    ids=["org-gzip", "single-account-gzip", "org-plain"],
)
def test_generated_tree_gives_the_exact_counts_per_group(tmp_path, org_id, compress) -> None:
    spec = TreeSpec(
        root=tmp_path,
        days=5,
        files_per_day=4,
        records_per_file=40,
        denial_rate=0.15,
        org_id=org_id,
        compress=compress,
    )
    expected = write_tree(spec)
    start, end = date(2026, 11, 2), date(2026, 11, 5)
    skipped, empty = [], []
    for day in (start, date(2026, 11, 4)):
        damaged = add_damaged(tmp_path, day, org=org_id)
        skipped += damaged[0]
        empty += damaged[1]
    source = LocalSource(tmp_path, progress=False)
    denials = source.fetch(QuerySpec(start=start, end=end))
    assert counts(denials) == expected.in_window(start, end)
    assert sum(expected.in_window(start, end).values()) > 20
    # Every damaged file is named once with its reason; the rest are read.
    assert sorted(line.split(": ")[0] for line in source.stats.skipped) == sorted(map(str, skipped))
    assert source.stats.files_skipped == len(skipped)
    assert source.stats.files_read == 3 * spec.files_per_day * 4 + 1 * 4 + len(empty)
    for denial in denials:
        assert all(":role/" in principal for principal in denial.principals)
        assert start.isoformat() <= str(denial.first_seen) <= str(denial.last_seen)
        assert str(denial.last_seen) < end.isoformat()
        assert len(denial.event_ids) == min(denial.count, 5)


def test_window_is_half_open_on_event_time(tmp_path) -> None:
    # Files are filed by delivery day: the first file of a day holds the day before's last
    # minutes, and the end day's first file holds the window's last minutes.
    delivery(tmp_path, "2026/11/16", [record("2026-11-15T23:59:59Z")], stamp="0003")
    delivery(tmp_path, "2026/11/16", [record("2026-11-16T00:00:00Z")], stamp="0005")
    delivery(tmp_path, "2026/11/22", [record("2026-11-22T12:00:00Z")])
    delivery(tmp_path, "2026/11/23", [record("2026-11-22T23:59:59Z")], stamp="0003")
    delivery(tmp_path, "2026/11/23", [record("2026-11-23T00:00:00Z")], stamp="0005")
    [denial] = run(tmp_path, date(2026, 11, 16), date(2026, 11, 23))
    assert denial.count == 3
    assert denial.first_seen == "2026-11-16T00:00:00Z"
    assert denial.last_seen == "2026-11-22T23:59:59Z"
    # The next week counts the rest, and nothing twice.
    [after] = run(tmp_path, date(2026, 11, 23), date(2026, 11, 30))
    assert after.count == 1
    [before] = run(tmp_path, date(2026, 11, 9), date(2026, 11, 16))
    assert before.count == 1


def test_denial_codes_match_case_insensitively_and_other_errors_do_not(tmp_path) -> None:
    codes = [
        "AccessDenied",
        "accessdeniedexception",
        "Client.UnauthorizedOperation",
        "UNAUTHORIZEDOPERATION",
        "UnauthorizedException",
        "Forbidden",
        "forbiddenexception",
        "AuthorizationErrorException",
        "NotAuthorizedException",
    ]
    others = ["ThrottlingException", "NoSuchEntity", "ResourceNotFoundException", "ValidationError"]
    records = [
        record(f"2026-11-17T10:00:{index:02d}Z", errorCode=code)
        for index, code in enumerate(codes + others)
    ]
    records.append(record("2026-11-17T11:00:00Z", errorCode=None, errorMessage=None))
    delivery(tmp_path, "2026/11/17", records)
    denials = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18))
    assert sorted(str(denial.error_code) for denial in denials) == sorted(codes)
    assert all(denial.count == 1 for denial in denials)


def test_config_calls_are_excluded_but_missing_ip_or_agent_is_kept(tmp_path) -> None:
    delivery(
        tmp_path,
        "2026/11/17",
        [
            record("2026-11-17T10:00:00Z", userAgent="config.amazonaws.com"),
            record("2026-11-17T10:00:01Z", userAgent="Config.amazonaws.com"),
            record("2026-11-17T10:00:02Z", sourceIPAddress=None),
            record("2026-11-17T10:00:03Z", userAgent=None),
            record("2026-11-17T10:00:04Z", sourceIPAddress=None, userAgent=None),
        ],
    )
    [denial] = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18))
    assert denial.count == 3
    everything = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18), exclude_user_agents=())
    assert sum(denial.count for denial in everything) == 5


def test_group_fields_principals_and_policy_type(tmp_path) -> None:
    issuer_less = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/bob@example.com",
        "accountId": ACCOUNT,
    }
    user = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/carol", "accountId": ACCOUNT}
    cross_account = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{OTHER}:assumed-role/Ci/run-1",
        "accountId": OTHER,
    }
    implicit = SCP_MESSAGE.replace(
        "with an explicit deny in a service control policy",
        "because no identity-based policy allows the s3:GetObject action",
    )
    delivery(
        tmp_path,
        "2026/11/17",
        [
            record("2026-11-17T10:00:00Z"),
            record("2026-11-17T10:00:01Z", userIdentity=issuer_less),
            record("2026-11-17T10:00:02Z", userIdentity=user),
            record("2026-11-17T10:00:03Z", errorMessage=implicit),
            record("2026-11-17T10:00:04Z", userIdentity=cross_account),
        ],
    )
    denials = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18))
    by_key = {(denial.account_id, denial.policy_type): denial for denial in denials}
    scp = by_key[(ACCOUNT, "service control policy")]
    assert scp.count == 3
    assert scp.principals == (
        f"arn:aws:iam::{ACCOUNT}:role/Dev",
        f"arn:aws:iam::{ACCOUNT}:role/Ops",
        f"arn:aws:iam::{ACCOUNT}:user/carol",
    )
    assert scp.event_ids == (
        "id-2026-11-17T10:00:00Z",
        "id-2026-11-17T10:00:01Z",
        "id-2026-11-17T10:00:02Z",
    )
    assert scp.error_message == SCP_MESSAGE
    assert scp.region == REGION
    assert by_key[(ACCOUNT, "identity-based policy")].count == 1
    # The caller's account, not the account whose trail recorded it.
    assert by_key[(OTHER, "service control policy")].principals == (
        f"arn:aws:iam::{OTHER}:role/Ci",
    )


def test_account_and_region_filters(tmp_path) -> None:
    delivery(tmp_path, "2026/11/17", [record("2026-11-17T10:00:00Z")])
    delivery(
        tmp_path,
        "2026/11/17",
        [record("2026-11-17T10:00:00Z", recipientAccountId=OTHER)],
        account=OTHER,
    )
    delivery(
        tmp_path,
        "2026/11/17",
        [record("2026-11-17T10:00:00Z", awsRegion="us-east-1")],
        region="us-east-1",
    )
    window = (date(2026, 11, 17), date(2026, 11, 18))
    assert sum(d.count for d in run(tmp_path, *window)) == 3
    assert sum(d.count for d in run(tmp_path, *window, accounts=(OTHER,))) == 1
    only_region = run(tmp_path, *window, regions=("us-east-1",))
    assert [(d.region, d.count) for d in only_region] == [("us-east-1", 1)]


def test_file_shapes_ndjson_arrays_and_loose_files(tmp_path) -> None:
    loose = tmp_path / "exports"
    loose.mkdir()
    lines = [record("2026-11-17T10:00:00Z"), record("2026-11-17T10:00:01Z")]
    (loose / "events.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    deliveries = [{"Records": [record("2026-11-17T10:00:05Z")]}, {"Records": []}]
    (loose / "deliveries.jsonl").write_text("\n".join(json.dumps(line) for line in deliveries))
    (loose / "array.json").write_text(json.dumps([record("2026-11-17T10:00:02Z")]))
    (loose / "one.json.gz").write_bytes(
        gzip.compress(json.dumps(record("2026-11-17T10:00:03Z")).encode())
    )
    with zipfile.ZipFile(loose / "export.zip", "w") as archive:
        archive.writestr("part-1.json", json.dumps(record("2026-11-17T10:00:04Z")))
        archive.writestr("part-2.json.gz", gzip.compress(json.dumps([]).encode()))
    (loose / "empty.json").write_text("")
    (loose / "notes.txt").write_text("not a log")
    [denial] = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18))
    assert denial.count == 6
    # Loose files are pruned by their records: partitions come from each record.
    assert run(tmp_path, date(2026, 11, 18), date(2026, 11, 19)) == []
    assert run(tmp_path, date(2026, 11, 17), date(2026, 11, 18), accounts=(OTHER,)) == []


def test_digest_and_insight_files_are_never_read(tmp_path, monkeypatch) -> None:
    delivery(tmp_path, "2026/11/17", [record("2026-11-17T10:00:00Z")])
    trail = tmp_path / "AWSLogs" / "o-a1b2c3d4e5" / ACCOUNT
    body = json.dumps({"Records": [record("2026-11-17T10:00:05Z")]})
    for kind in ("CloudTrail-Digest", "CloudTrail-Insight"):
        folder = trail / kind / REGION / "2026" / "11" / "17"
        folder.mkdir(parents=True)
        (folder / f"{ACCOUNT}_{kind}_{REGION}_20261117T1200Z.json").write_text(body)
    (
        trail
        / "CloudTrail"
        / REGION
        / "2026"
        / "11"
        / "17"
        / (f"{ACCOUNT}_CloudTrail-Digest_{REGION}_x_20261117T1200Z.json.gz")
    ).write_bytes(gzip.compress(body.encode()))
    opened = record_opened(monkeypatch)
    [denial] = run(tmp_path, date(2026, 11, 17), date(2026, 11, 18))
    assert denial.count == 1
    assert len(opened) == 1


def record_opened(monkeypatch) -> list[str]:
    opened: list[str] = []
    read = reader.read_location

    def counting(location: str) -> bytes:
        opened.append(location)
        return read(location)

    monkeypatch.setattr(reader, "read_location", counting)
    return opened


def test_corrupt_files_are_skipped_and_counted_or_fatal_when_strict(tmp_path) -> None:
    good = delivery(tmp_path, "2026/11/17", [record("2026-11-17T10:00:00Z")])
    truncated = good.with_name(good.name.replace("abcd", "trun"))
    truncated.write_bytes(good.read_bytes()[:40])
    garbage = good.with_name(good.name.replace("abcd", "junk").removesuffix(".gz"))
    garbage.write_text('{"Records": [{"eventTime": ')
    source = LocalSource(tmp_path, progress=False)
    spec = QuerySpec(start=date(2026, 11, 17), end=date(2026, 11, 18))
    [denial] = source.fetch(spec)
    assert denial.count == 1
    assert source.stats.files_read == 1
    assert source.stats.files_skipped == 2
    assert sorted(line.split(":")[0] for line in source.stats.skipped) == sorted(
        [str(truncated), str(garbage)]
    )
    with pytest.raises(InputError, match=r"(trun|junk).*--strict"):
        LocalSource(tmp_path, strict=True, progress=False).fetch(spec)


def test_one_day_window_over_thirty_days_opens_only_that_day(tmp_path, monkeypatch) -> None:
    spec = TreeSpec(root=tmp_path, days=30, files_per_day=4, records_per_file=5, denial_rate=0.2)
    write_tree(spec)
    opened = record_opened(monkeypatch)
    run(tmp_path, date(2026, 11, 10), date(2026, 11, 11))
    folders = {Path(location).parent.relative_to(tmp_path) for location in opened}
    stamps = Counter(Path(location).name.split("_")[3][:11] for location in opened)
    # Four deliveries a day per account and region, plus the end day's first (00:03) delivery,
    # which holds the window's last minutes.
    assert stamps == Counter(
        {"20261110T00": 4, "20261110T06": 4, "20261110T12": 4, "20261110T18": 4, "20261111T00": 4}
    )
    assert {folder.parts[-3:] for folder in folders} == {("2026", "11", "10"), ("2026", "11", "11")}


def test_progress_bar_counts_every_file(tmp_path, capsys) -> None:
    delivery(tmp_path, "2026/11/17", [record("2026-11-17T10:00:00Z")])
    delivery(tmp_path, "2026/11/18", [record("2026-11-18T10:00:00Z")])
    source = LocalSource(tmp_path, progress=True)
    [denial] = source.fetch(QuerySpec(start=date(2026, 11, 17), end=date(2026, 11, 19)))
    assert denial.count == 2
    assert source.stats.bytes_read == sum(path.stat().st_size for path in tmp_path.rglob("*.gz"))
    assert capsys.readouterr().out == ""


def test_a_window_without_files_reads_nothing(tmp_path) -> None:
    delivery(tmp_path, "2026/11/17", [record("2026-11-17T10:00:00Z")])
    source = LocalSource(tmp_path, progress=False, workers=2)
    assert source.fetch(QuerySpec(start=date(2026, 9, 1), end=date(2026, 9, 8))) == []
    assert (source.stats.files_read, source.stats.files_skipped) == (0, 0)


def test_missing_folder_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        run(tmp_path / "nowhere", date(2026, 11, 17), date(2026, 11, 18))


def test_worker_processes_give_the_same_answer(tmp_path, monkeypatch) -> None:
    spec = TreeSpec(root=tmp_path, days=3, files_per_day=8, records_per_file=20, denial_rate=0.2)
    write_tree(spec)
    skipped, empty = add_damaged(tmp_path, date(2026, 11, 2))
    window = QuerySpec(start=date(2026, 11, 1), end=date(2026, 11, 4))
    one = LocalSource(tmp_path, progress=False, workers=1)
    alone = one.fetch(window)
    monkeypatch.setattr(local, "PARALLEL_MIN_BYTES", 0)
    parallel = LocalSource(tmp_path, progress=False, workers=2)
    assert parallel.fetch(window) == alone
    assert parallel.stats.files_read == 3 * 8 * 4 + len(empty)
    assert sorted(parallel.stats.skipped) == sorted(one.stats.skipped)
    assert parallel.stats.files_skipped == len(skipped)


@mock_aws
def test_s3_prefix_gives_the_same_answer_as_the_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reader._s3_clients.clear()
    spec = TreeSpec(root=tmp_path, days=3, files_per_day=2, records_per_file=20, denial_rate=0.2)
    write_tree(spec)
    client = boto3.client("s3")
    client.create_bucket(Bucket="trail-bucket")
    for path in tmp_path.rglob("*.gz"):
        client.upload_file(str(path), "trail-bucket", f"logs/{path.relative_to(tmp_path)}")
    client.put_object(Bucket="trail-bucket", Key="logs/AWSLogs/broken.json", Body=b"{nope")
    window = QuerySpec(start=date(2026, 11, 1), end=date(2026, 11, 3))
    expected = LocalSource(tmp_path, progress=False).fetch(window)
    source = LocalSource("s3://trail-bucket/logs", progress=False)
    assert source.fetch(window) == expected
    assert source.stats.files_skipped == 1
    assert source.stats.files_read == 2 * 2 * 2 * 2 + 4  # two days, plus the next day's 00:03
    with pytest.raises(InputError, match="s3://missing-bucket"):
        LocalSource("s3://missing-bucket/logs", progress=False).fetch(window)
    reader._s3_clients.clear()


def test_real_cloudtrail_files(shared_data) -> None:
    window: dict[str, Any] = {"start": date(2010, 1, 1), "end": date(2030, 1, 1)}
    combined = shared_data / "_curated" / "denied_events_combined.json"
    denials = run(combined, **window)
    # 51 denials of stratus-red-team and 38 of panther-analysis (SOURCES.md).
    assert sum(denial.count for denial in denials) == 89
    codes: Counter[str | None] = Counter()
    for denial in denials:
        codes[denial.error_code] += denial.count
    assert codes == {
        "Client.UnauthorizedOperation": 49,
        "AccessDenied": 37,
        "UnauthorizedOperation": 2,
        "VpceAccessDenied": 1,
    }
    stratus = run(shared_data / "stratus-red-team" / "docs" / "detonation-logs", **window)
    assert sum(denial.count for denial in stratus) == 51
    password = [d for d in stratus if d.event_name == "GetPasswordData"]
    assert password[0].policy_type == "identity-based policy"
    assert all("assumed-role" not in principal for d in stratus for principal in d.principals)
    # The native S3 delivery (plain and gzipped) and NDJSON in a zip: read, no denials.
    source = LocalSource(shared_data / "trailscraper" / "tests" / "cloudtrail", progress=False)
    assert source.fetch(QuerySpec(**window)) == []
    assert source.stats.files_read == 2
    zipped = shared_data / "Security-Datasets" / "datasets" / "atomic" / "aws" / "collection"
    source = LocalSource(zipped, progress=False)
    assert source.fetch(QuerySpec(**window)) == []
    assert (source.stats.files_read, source.stats.files_skipped) == (1, 0)


# The record reader: its search over CloudTrail deliveries agrees with a full decode.


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def numbered(index: int, error: bool, extra: dict[str, object] | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "eventVersion": "1.11",
        "eventTime": f"2026-11-17T10:00:{index % 60:02d}Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventID": f"id-{index}",
    }
    if error:
        body["errorCode"] = "AccessDenied"
        body["errorMessage"] = "denied"
    body.update(extra or {})
    return body


TRICKY = [
    # Nested objects and arrays that look like records, and errorCode as a nested key or a value.
    {"requestParameters": {"eventVersion": "x", "errorCode": "nested"}},
    {"requestParameters": {"items": [{"eventVersion": "1"}, {"eventVersion": "2"}]}},
    {"responseElements": {"note": '{"eventVersion":"fake"},{"errorCode":"fake"}'}},
    {"additionalEventData": {"detail": "errorCode"}},
    {"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/R/s"}},
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from([None, *range(len(TRICKY))])),
        max_size=12,
    )
)
def test_search_path_agrees_with_full_decode(layout) -> None:
    records = [
        numbered(index, error, None if trick is None else TRICKY[trick])
        for index, (error, trick) in enumerate(layout)
    ]
    document = compact({"Records": records})
    expected = [found for found in _decode_records(document) if found.errorCode]
    fast = _error_records(document)
    if fast is not None:
        assert [found for found in fast if found.errorCode] == expected
    assert [row.eventid for row in error_rows(document)] == [r.eventID for r in expected]


def test_search_path_reads_plain_deliveries() -> None:
    document = compact({"Records": [numbered(index, index % 3 == 0) for index in range(7)]})
    found = _error_records(document)
    assert found is not None
    assert [record.eventID for record in found] == ["id-0", "id-3", "id-6"]


def test_search_path_declines_other_layouts() -> None:
    reordered = compact({"Records": [{"errorCode": "AccessDenied", "eventVersion": "1.0"}]})
    assert _error_records(reordered) is None
    pretty = json.dumps({"Records": [numbered(1, True)]}, indent=2).encode()
    assert _error_records(pretty) is None
    assert [row.errorcode for row in error_rows(pretty)] == ["AccessDenied"]
    assert [row.errorcode for row in error_rows(reordered)] == ["AccessDenied"]


def test_search_path_declines_a_cut_that_is_not_one_record() -> None:
    # The second record does not start with eventVersion: the cut spans two records.
    records = [numbered(1, False), {"errorCode": "AccessDenied", "eventVersion": "1.0"}]
    assert _error_records(compact({"Records": records})) is None


def test_partition_comes_from_the_path_or_from_each_record() -> None:
    data = gzip.compress(
        compact(
            {
                "Records": [
                    numbered(1, True, {"awsRegion": "eu-west-1", "recipientAccountId": "1" * 12})
                ]
            }
        )
    )
    [from_record] = error_rows(data)
    assert (from_record.account_id, from_record.region, from_record.timestamp) == (
        "1" * 12,
        "eu-west-1",
        "2026/11/17",
    )
    [from_path] = error_rows(data, Partition("2" * 12, "us-east-1", "2026/11/18"))
    assert (from_path.account_id, from_path.region, from_path.timestamp) == (
        "2" * 12,
        "us-east-1",
        "2026/11/18",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (gzip.compress(b'{"Records":[]}')[:-6], "not valid gzip"),
        (b'{"Records":[{"eventVersion":"1"', "truncated"),
        (b'{"Records":[{"errorCode":', "not valid JSON"),
        (b"plain text", "not JSON"),
        (b'{"Records":[{"errorCode":"A","userIdentity":"text"}]}', "unexpected record shape"),
        (b"PK\x03\x04broken", "not a valid zip"),
    ],
)
def test_unreadable_files_say_why(data, reason) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        error_rows(data)


def test_row_fields_of_a_denial() -> None:
    identity = {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::111111111111:assumed-role/Dev/alice",
        "accountId": "111111111111",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/Dev"}},
    }
    [row] = error_rows(compact({"Records": [numbered(1, True, {"userIdentity": identity})]}))
    assert msgspec.structs.asdict(row) == {
        "eventversion": "1.11",
        "useridentity_type": "AssumedRole",
        "useridentity_arn": "arn:aws:sts::111111111111:assumed-role/Dev/alice",
        "useridentity_accountid": "111111111111",
        "sessionissuer_arn": "arn:aws:iam::111111111111:role/Dev",
        "eventtime": "2026-11-17T10:00:01Z",
        "eventsource": "s3.amazonaws.com",
        "eventname": "GetObject",
        "awsregion": None,
        "sourceipaddress": None,
        "useragent": None,
        "errorcode": "AccessDenied",
        "errormessage": "denied",
        "eventid": "id-1",
        "recipientaccountid": None,
        "account_id": None,
        "region": None,
        "timestamp": "2026/11/17",
    }
