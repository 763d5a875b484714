"""`scp-recommender query` through the real entry point: files written, errors as one line."""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bench.logtree import TreeSpec, write_tree
from recommender.cli import main
from recommender.models import Denial
from recommender.sources import athena
from recommender.sources.base import QuerySpec, ScanStats
from recommender.sources.files import read_denials


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main([*args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def no_settings_file(tmp_path, monkeypatch) -> None:
    # Settings come from ./scp-recommender.toml when present: run where there is none.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tree(tmp_path) -> tuple[Path, Counter[tuple[str, ...]]]:
    spec = TreeSpec(root=tmp_path / "logs", days=4, records_per_file=40, denial_rate=0.1)
    expected = write_tree(spec)
    return spec.root, expected.in_window(date(2026, 11, 1), date(2026, 11, 4))


def test_local_query_writes_rows_that_read_back(tree, tmp_path, capsys) -> None:
    logs, expected = tree
    output = tmp_path / "denials.jsonl"
    code, out, err = run_cli(
        [
            "query",
            "--engine",
            "local",
            "--logs",
            str(logs),
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-04",
            "--output",
            str(output),
        ],
        capsys,
    )
    assert code == 0 and out == ""
    denials = read_denials(output)
    found = Counter(
        {
            (
                d.event_source,
                d.event_name,
                str(d.region),
                str(d.account_id),
                str(d.error_code),
                str(d.policy_type),
            ): d.count
            for d in denials
        }
    )
    assert found == expected
    total = sum(expected.values())
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            f"query (local): {len(denials)} groups, {total} denied calls; 52 files read, 0 skipped"
        )
    )


def test_csv_to_stdout_with_account_and_region_filters(tree, capsys) -> None:
    logs, expected = tree
    code, out, _ = run_cli(
        [
            "query",
            "--logs",
            str(logs),
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-04",
            "--accounts",
            "222222222222",
            "--regions",
            "us-east-1",
            "--format",
            "csv",
        ],
        capsys,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("event_source,event_name,count,region,account_id")
    groups = [group for group in expected if group[2:4] == ("us-east-1", "222222222222")]
    assert len(lines) == 1 + len(groups) > 1
    assert all(",us-east-1,222222222222," in line for line in lines[1:])


def test_skipped_files_are_reported(tree, capsys) -> None:
    logs, _ = tree
    broken = logs / "AWSLogs" / "broken.json.gz"
    broken.write_bytes(b"\x1f\x8b not gzip")
    args = ["query", "--logs", str(logs), "--start", "2026-11-01", "--end", "2026-11-02"]
    code, _, err = run_cli(args, capsys)
    assert code == 0
    assert f"skipped: {broken}: not valid gzip" in err
    assert ", 1 skipped" in err
    code, _, err = run_cli([*args, "--strict"], capsys)
    assert code == 2
    assert err.startswith(f"error: {broken}: not valid gzip") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-13-01", "--end", "2026-12-01"], "--start: '2026-13-01' is not a valid"),
        (["--start", "16/11/2026"], "--start: '16/11/2026' is not a date"),
        (["--start", "2026-11-20", "--end", "2026-11-20"], "is not before --end"),
        (["--accounts", "12345"], "--accounts: '12345' is not an AWS account ID"),
        (["--regions", "Europe"], "--regions: 'Europe' is not an AWS region name"),
        (["--logs", "/nowhere/at/all"], "--logs: /nowhere/at/all: no such folder"),
        (["--logs", ""], "--logs: required with --engine local"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tree, capsys, args, message) -> None:
    logs, _ = tree
    base = ["query", "--engine", "local", "--logs", str(logs)]
    code, out, err = run_cli([*base, *args], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


def test_athena_engine_gets_the_validated_spec(tmp_path, monkeypatch, capsys) -> None:
    seen: list[QuerySpec] = []

    class RecordingAthena:
        def __init__(self, settings) -> None:
            self.stats = ScanStats(engine="athena", bytes_scanned=3_000_000, cost_usd=0.05)
            self.stats.query_id = "q-1"

        def fetch(self, spec: QuerySpec) -> list[Denial]:
            seen.append(spec)
            return [Denial(event_source="s3.amazonaws.com", event_name="GetObject", count=4)]

    monkeypatch.setattr(athena, "AthenaSource", RecordingAthena)
    output = tmp_path / "d.json"
    code, _, err = run_cli(
        [
            "query",
            "--engine",
            "athena",
            "--start",
            "2026-11-16",
            "--end",
            "2026-11-23",
            "--accounts",
            "222222222222, 111111111111",
            "--output",
            str(output),
        ],
        capsys,
    )
    assert code == 0
    assert seen == [
        QuerySpec(
            start=date(2026, 11, 16),
            end=date(2026, 11, 23),
            accounts=("111111111111", "222222222222"),
        )
    ]
    assert read_denials(output)[0].count == 4
    assert output.read_text().startswith("[")
    assert "query (athena q-1): 1 groups, 4 denied calls; 3.0 MB scanned, $0.0500" in err


@pytest.mark.parametrize(("name", "first"), [("d.csv", "event_source,"), ("d.json", "[")])
def test_format_follows_the_output_extension(tree, tmp_path, capsys, name, first) -> None:
    logs, expected = tree
    output = tmp_path / name
    args = ["query", "--logs", str(logs), "--start", "2026-11-01", "--end", "2026-11-04"]
    code, _, _ = run_cli([*args, "--output", str(output)], capsys)
    assert code == 0
    assert output.read_text().startswith(first)
    assert sum(denial.count for denial in read_denials(output)) == sum(expected.values())
