"""Files of denial rows: every accepted shape, the Athena console CSV, and one-line errors."""

import io
from pathlib import Path

import pytest

from recommender.errors import InputError
from recommender.models import Denial, replace_row
from recommender.sources.files import FORMATS, read_denials, write_denials

DENIALS = [
    Denial(
        event_source="s3.amazonaws.com",
        event_name="GetObject",
        count=12,
        region="eu-west-1",
        account_id="111111111111",
        error_code="AccessDenied",
        error_message='User: x is not authorized, "quoted", with an explicit deny',
        policy_type="service control policy",
        principals=("arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::111111111111:role/Ops"),
        first_seen="2026-11-16T01:02:03Z",
        last_seen="2026-11-20T01:02:03Z",
        event_ids=("e1", "e2"),
    ),
    Denial(event_source="support.amazonaws.com", event_name="DescribeCases", count=1),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(tmp_path, fmt) -> None:
    path = tmp_path / f"denials.{fmt}"
    write_denials(DENIALS, path, fmt)
    assert read_denials(path) == DENIALS


def test_athena_console_csv_of_the_original_query(tmp_path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        '"eventsource","eventname","num_occurrences"\n'
        '"support.amazonaws.com","DescribeTrustedAdvisorChecks","42"\n'
        '"pipes.amazonaws.com","CreatePipe","7"\n'
    )
    denials = read_denials(path)
    assert [(d.event_source, d.event_name, d.count) for d in denials] == [
        ("support.amazonaws.com", "DescribeTrustedAdvisorChecks", 42),
        ("pipes.amazonaws.com", "CreatePipe", 7),
    ]
    assert denials[0].region is None and denials[0].principals == ()


def test_headers_are_case_insensitive_and_lists_take_separators(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "EventSource,EVENTNAME,Count,AwsRegion,RecipientAccountId,ErrorCode,principals,event_ids\n"
        's3.amazonaws.com,GetObject,3,eu-west-1,111111111111,AccessDenied,"a;b",x\n'
        's3.amazonaws.com,PutObject,4,,,,"a, b","[""x"", ""y""]"\n'
    )
    first, second = read_denials(path)
    assert (first.region, first.account_id, first.error_code) == (
        "eu-west-1",
        "111111111111",
        "AccessDenied",
    )
    assert first.principals == ("a", "b") and first.event_ids == ("x",)
    assert second.principals == ("a", "b") and second.event_ids == ("x", "y")
    assert second.region is None


def test_json_lines_with_aliases_and_blank_lines(tmp_path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"eventsource": "s3.amazonaws.com", "eventname": "GetObject", "num_occurrences": 2}\n'
        "\n"
        '{"event_source": "kms.amazonaws.com", "event_name": "Decrypt", "count": 1, "x": 0}\n'
    )
    assert [(d.event_source, d.count) for d in read_denials(path)] == [
        ("s3.amazonaws.com", 2),
        ("kms.amazonaws.com", 1),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bad.csv",
            "eventsource,eventname,num_occurrences\ns3.amazonaws.com,GetObject,1\n"
            "s3.amazonaws.com,GetObject,many\n",
            r"bad.csv:3: count: expected a whole number",
        ),
        (
            "bad.csv",
            'eventsource,eventname,num_occurrences\n"s3.amazonaws.com\nsplit",GetObject,1\n'
            "s3.amazonaws.com,GetObject,-1\n",
            r"bad.csv:4: count: expected a whole number",
        ),
        ("head.csv", "eventsource,num_occurrences\ns3,1\n", r"head.csv:1: event_name: expected"),
        (
            "bad.jsonl",
            '{"event_source": "s3", "event_name": "A", "count": 1}\n{"event_source": \n',
            r"bad.jsonl:2: expected a JSON object",
        ),
        (
            "bad.jsonl",
            '{"event_source": "s3", "count": 1}\n',
            r"bad.jsonl:1: event_name: expected a value",
        ),
        (
            "bad.json",
            '[{"event_source": "s3", "event_name": "A", "count": 1}, 3]',
            r"bad.json: item 2: expected an object",
        ),
        (
            "bad.json",
            '[{"event_source": "s3", "event_name": "A", "count": 1, "principals": "x"}]',
            r"bad.json: item 1: principals: expected a list",
        ),
    ],
)
def test_malformed_rows_name_file_line_and_field(tmp_path, name, text, message) -> None:
    assert_refused(tmp_path / name, text.encode(), message)


def assert_refused(path: Path, content: bytes, message: str) -> None:
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_denials(path)


def test_missing_file_is_one_line(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_denials(tmp_path / "absent.jsonl")


def test_write_to_a_stream_and_stdout(capsys) -> None:
    stream = io.StringIO()
    write_denials(DENIALS, stream, "csv")
    assert stream.getvalue().splitlines()[0].startswith("event_source,event_name,count,")
    write_denials(DENIALS[1:], None, "jsonl")
    assert '"event_name":"DescribeCases"' in capsys.readouterr().out


def test_unwritable_target_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        write_denials(DENIALS, tmp_path / "missing" / "out.jsonl", "jsonl")


def test_replaces_the_file_whole(tmp_path) -> None:
    path = tmp_path / "out.json"
    path.write_text("old")
    write_denials([], path, "json")
    assert read_denials(path) == []
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["out.json"]


ROW = '"event_source": "s3.amazonaws.com", "event_name": "GetObject"'
CSV_HEAD = b"eventsource,eventname,num_occurrences"


def line(extra: str) -> bytes:
    return f"{{{ROW}, {extra}}}\n".encode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", line('"count": 1, "account_id": "1234"'), r"a.jsonl:1: account_id: expected"),
        ("a.jsonl", line('"count": 1, "account_id": 123456789012'), r"a.jsonl:1: account_id"),
        ("a.jsonl", line('"count": 1e400'), r"a.jsonl:1: count: expected a whole number"),
        ("a.jsonl", line('"count": 2.5'), r"a.jsonl:1: count: expected a whole number"),
        ("a.jsonl", line('"count": NaN'), r"a.jsonl:1: expected a JSON object"),
        ("a.jsonl", line('"count": 1, "principals": [3]'), r"a.jsonl:1: principals\[0\]: "),
        ("a.jsonl", line('"count": 1') + b'{"x": ' + b"[" * 5000, r"a.jsonl:2: expected a JSON"),
        (
            "a.jsonl",
            line('"count": 1') + line('"count": 1').replace(b"GetObject", b"Get\xff"),
            r"a.jsonl:2: expected a JSON object \(Invalid UTF-8",
        ),
        ("a.csv", CSV_HEAD + b",recipientaccountid\ns3,A,1,12\n", r"a.csv:2: account_id: "),
        ("a.csv", CSV_HEAD + b"\ns3,A,1\ns3,\xff,1\n", r"a.csv:3: expected UTF-8 text"),
    ],
)
def test_rows_are_validated_like_the_settings(tmp_path, name, content, message) -> None:
    assert_refused(tmp_path / name, content, message)


def test_a_line_spelled_otherwise_keeps_every_field(tmp_path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        f'{{{ROW}, "count": 2, "AwsRegion": "eu-west-1", "recipientAccountId": "111111111111"}}\n'
        f'{{{ROW}, "count": "3", "region": "eu-west-1", "account_id": "111111111111"}}\n'
    )
    first, second = read_denials(path)
    assert (first.count, first.region, first.account_id) == (2, "eu-west-1", "111111111111")
    assert second == replace_row(first, count=3)
