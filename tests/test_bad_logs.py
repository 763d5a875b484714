"""Damaged log files through the real command line, in a subprocess: never a traceback, the
documented exit code, every damaged file named, the good files' denials all counted."""

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from bench.logtree import TreeSpec, write_tree
from recommender.errors import InputError
from recommender.sources.base import QuerySpec
from recommender.sources.local import LocalSource
from tests.damaged_logs import ACCOUNT, REGION, add_damaged, damages, denial
from tests.test_cli_classify import run_cli
from tests.test_propose import copy_policies

DAY = date(2026, 11, 17)
WINDOW = ("--start", "2026-11-17", "--end", "2026-11-18")
# The terminal names this many skipped files, then counts the rest.
SHOWN = 5
LABELS = [damage.label for damage in damages(DAY)]


def good_delivery(root: Path) -> None:
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / DAY.strftime("%Y/%m/%d")
    folder.mkdir(parents=True)
    records = [denial(f"{DAY.isoformat()}T10:00:0{index}Z") for index in range(3)]
    body = json.dumps({"Records": records}).encode()
    (folder / f"{ACCOUNT}_CloudTrail_{REGION}_20261117T1000Z_good.json").write_bytes(body)


def query(logs: Path, output: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "query", "--engine", "local", "--logs", str(logs), *WINDOW, "--output", str(output), *extra
    )


@pytest.mark.parametrize("first", range(0, len(LABELS), SHOWN))
def test_query_skips_and_names_every_damaged_file(tmp_path, first) -> None:
    """The kinds of damage in batches small enough for the terminal to name each file."""
    good_delivery(tmp_path)
    skipped, empty = add_damaged(tmp_path, DAY, only=LABELS[first : first + SHOWN])
    done = query(tmp_path, tmp_path / "denials.jsonl")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    named = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert sorted(line.split(": ")[1] for line in named) == sorted(map(str, skipped))
    files = f"3 denied calls; {1 + len(empty)} files read, {len(skipped)} skipped"
    assert files in done.stderr.splitlines()[-1]
    [row] = [json.loads(line) for line in (tmp_path / "denials.jsonl").read_text().splitlines()]
    assert row["count"] == 3


def test_strict_stops_at_a_damaged_file_with_exit_2_and_no_output(tmp_path) -> None:
    good_delivery(tmp_path)
    skipped, _ = add_damaged(tmp_path, DAY)
    output = tmp_path / "denials.jsonl"
    done = query(tmp_path, output, "--strict")
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: ") and any(str(path) in line for path in skipped)
    assert not output.exists()


@pytest.mark.parametrize("label", [damage.label for damage in damages(DAY) if damage.skipped])
def test_strict_names_each_kind_of_damage(tmp_path, label) -> None:
    good_delivery(tmp_path)
    [path], _ = add_damaged(tmp_path, DAY, only=[label])
    source = LocalSource(tmp_path, strict=True, progress=False)
    with pytest.raises(InputError, match=path.name):
        source.fetch(QuerySpec(start=DAY, end=date(2026, 11, 18)))


def test_run_counts_the_good_files_and_names_the_damaged_ones(tmp_path) -> None:
    logs = tmp_path / "logs"
    expected = write_tree(TreeSpec(root=logs, start=date(2026, 11, 16), days=3, denial_rate=0.1))
    skipped, empty = add_damaged(logs, DAY)
    checkout = tmp_path / "repo"
    copy_policies(checkout / "policies")
    summary = tmp_path / "summary.md"
    done = run_cli(
        "run",
        "--engine",
        "local",
        "--logs",
        str(logs),
        *WINDOW,
        "--policies",
        "policies",
        "--dry-run",
        "--quiet",
        "--out-dir",
        "out",
        "--summary",
        str(summary),
        cwd=checkout,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    calls = sum(expected.in_window(DAY, date(2026, 11, 18)).values())
    files = 2 * 2 * 4 + 2 * 2 + len(empty)  # the day's deliveries, the next day's first ones
    body = (checkout / "out" / "pr-body.md").read_text(encoding="utf-8")
    assert f"**denied calls** {calls:,}" in body
    read_line = f"**log files read** {files}, {len(skipped)} skipped ("
    assert read_line in body
    assert sum(path.name in body for path in skipped) == SHOWN
    assert f"and {len(skipped) - SHOWN} more" in body
    assert read_line in summary.read_text(encoding="utf-8")
    named = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(named) == SHOWN + 1
