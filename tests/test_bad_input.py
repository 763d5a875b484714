"""Bad input of every kind, through the real command line: one line naming the bad thing, the
documented exit code, no traceback, and no output left behind (not even a staged file).

Each case runs through `recommender.cli.main` in this process (the same code path as the console
script, minus the interpreter's start-up); a sample of them also runs as a real process through
the installed console script, with and without `--debug`.
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.models import Denial
from recommender.sources import athena
from recommender.sources.base import QuerySpec, ScanStats
from tests.test_propose import DEMO_LOGS, DEMO_WINDOW, POLICIES

BAD_INPUT, INTERRUPTED = 2, 130
VENV_BIN = Path(sys.executable).parent
ROW = '{"event_source": "pipes.amazonaws.com", "event_name": "CreatePipe", "count": 3}\n'
DEEP = "[" * 100_000 + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    # what the one error line must contain, after "error: "
    named: str
    code: int = BAD_INPUT
    # files to create first, relative to the case's folder: text, or bytes
    files: dict[str, str | bytes] = field(default_factory=dict)
    # outputs that must not exist afterwards
    absent: tuple[str, ...] = ()


def classify(*extra: str) -> list[str]:
    return ["classify", "--denials", "d.jsonl", "--policies", str(POLICIES), *extra]


def local(command: str, logs: str, window: tuple[str, str], *extra: str) -> list[str]:
    start, end = window
    return [command, "--engine", "local", "--logs", logs, "--start", start, "--end", end, *extra]


def demo_run(*extra: str) -> list[str]:
    return local(
        "run", str(DEMO_LOGS), DEMO_WINDOW, "--policies", str(POLICIES), "--dry-run", *extra
    )


def with_settings(
    name: str, text: str | bytes, named: str, command: list[str] | None = None
) -> Case:
    """A command run with the settings file `s.toml` holding `text`."""
    args = ["--config", "s.toml", *(command or classify())]
    return Case(name, args, named, files={"s.toml": text, "d.jsonl": ROW})


NO_FILES_WINDOW = ("2025-11-16", "2025-11-23")

CASES = [
    # Output paths
    Case(
        "classify-output-missing-folder",
        classify("--output", "missing/report.txt"),
        "cannot write missing/report.txt: No such file or directory",
        files={"d.jsonl": ROW},
        absent=("missing",),
    ),
    Case(
        "classify-output-below-a-file",
        classify("--format", "json", "--output", "plain/report.json"),
        "cannot write plain/report.json: Not a directory",
        files={"d.jsonl": ROW, "plain": "a regular file\n"},
    ),
    Case(
        "query-output-missing-folder",
        local("query", str(DEMO_LOGS), DEMO_WINDOW, "--output", "missing/d.jsonl"),
        "cannot write missing/d.jsonl: No such file or directory",
        absent=("missing",),
    ),
    Case(
        "propose-out-dir-below-a-file",
        ["propose", "--denials", "d.jsonl", "--policies", str(POLICIES), "--out-dir", "plain/out"],
        "cannot write plain/out: Not a directory",
        files={"d.jsonl": ROW, "plain": "a regular file\n"},
    ),
    Case(
        "run-out-dir-below-a-file",
        demo_run("--out-dir", "plain/out"),
        "cannot write plain/out: Not a directory",
        files={"plain": "a regular file\n"},
    ),
    Case(
        "run-summary-in-a-missing-folder",
        demo_run("--summary", "missing/summary.md"),
        "cannot write missing/summary.md: No such file or directory",
        absent=("missing",),
    ),
    # The settings file
    with_settings(
        "settings-not-utf8",
        b'[query]\nengine = "loc\xe9l"\n',
        "s.toml:2: not UTF-8 text (byte 0xe9)",
    ),
    with_settings("settings-not-toml", "[query\n", "s.toml: invalid TOML"),
    with_settings("settings-nested-too-deeply", "a = " + DEEP, "s.toml: invalid TOML: nested"),
    with_settings(
        "settings-unknown-key",
        '[athena]\nworkgroupp = "x"\n',
        "s.toml: athena.workgroupp: Extra inputs are not permitted",
    ),
    with_settings(
        "settings-bad-account",
        '[query]\naccounts = ["222222222222", "2222"]\n',
        "s.toml: query.accounts.1: '2222' is not an AWS account ID",
        local("query", str(DEMO_LOGS), DEMO_WINDOW),
    ),
    with_settings(
        "settings-bad-region",
        '[query]\nregions = ["eu-west-1; drop"]\n',
        "s.toml: query.regions.0: 'eu-west-1; drop' is not an AWS region name",
    ),
    with_settings(
        "settings-category-never-proposed",
        '[proposals]\ncategories = ["new-service", "guardrail"]\n',
        "s.toml: proposals.categories.1: 'guardrail' is never proposed as an edit",
    ),
    Case(
        "settings-missing",
        ["--config", "absent.toml", *classify()],
        "absent.toml: settings file not found",
    ),
    Case("settings-a-folder", ["--config", ".", *classify()], "'--config'"),
    # Denial rows
    Case(
        "denials-not-utf8",
        classify(),
        "d.jsonl:1: expected a JSON object",
        files={"d.jsonl": b'{"event_source": "\xff"}\n'},
    ),
    Case(
        "denials-nested-too-deeply",
        classify(),
        "d.jsonl:1: expected a JSON array",
        files={"d.jsonl": DEEP},
    ),
    Case("denials-missing", classify(), "d.jsonl: no such file"),
    # Nothing read is not a clean week
    Case(
        "run-empty-log-folder",
        local(
            "run", "logs", DEMO_WINDOW, "--policies", str(POLICIES), "--dry-run", "--out-dir", "out"
        ),
        f"nothing read: no CloudTrail log file in {DEMO_WINDOW[0]} to {DEMO_WINDOW[1]}",
        files={"logs/README": "no CloudTrail here\n"},
        absent=("out",),
    ),
    Case(
        "query-window-without-files",
        local("query", str(DEMO_LOGS), NO_FILES_WINDOW, "--output", "d.jsonl"),
        f"nothing read: no CloudTrail log file in {NO_FILES_WINDOW[0]}",
        absent=("d.jsonl",),
    ),
    # Flags
    Case("unknown-flag", ["run", "--nope"], "No such option '--nope'"),
    Case("bad-date", local("query", str(DEMO_LOGS), ("2026-13-01", "2026-11-23")), "--start"),
    Case(
        "bad-account-flag",
        [*local("query", str(DEMO_LOGS), DEMO_WINDOW), "--accounts", "1234"],
        "--accounts: '1234' is not an AWS account ID",
    ),
    Case("missing-logs", local("query", "absent", DEMO_WINDOW), "--logs: absent"),
]
BY_NAME = {case.name: case for case in CASES}
# Also run as real processes: one of each kind of fault.
IN_A_PROCESS = [
    "classify-output-missing-folder",
    "settings-not-utf8",
    "denials-nested-too-deeply",
    "run-empty-log-folder",
]


def prepare(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def check(case: Case, folder: Path, code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert case.named in errors[0], err
    assert code == case.code, err
    for name in case.absent:
        assert not (folder / name).exists(), f"{name} was written"
    staged = [path for path in folder.rglob(".*") if path.suffix in {".tmp", ".old"}]
    assert staged == [], "a staged output was left behind"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The case's working directory: no settings file but the case's own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCP_RECOMMENDER_DEBUG", raising=False)
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_line_and_exit_2(
    case: Case, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(case, folder)
    with pytest.raises(SystemExit, match=rf"^{case.code}$") as done:
        main(case.args)
    captured = capsys.readouterr()
    check(case, folder, int(done.value.code or 0), captured.out, captured.err)


def run_process(
    args: list[str], folder: Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "SCP_RECOMMENDER_DEBUG"}
    env.update(environment)
    return subprocess.run(
        [str(VENV_BIN / "scp-recommender"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_in_a_real_process_too(name: str, tmp_path: Path) -> None:
    case = BY_NAME[name]
    prepare(case, tmp_path)
    result = run_process(case.args, tmp_path)
    check(case, tmp_path, result.returncode, result.stdout, result.stderr)
    assert result.stderr.endswith("\n") and result.stdout == ""


def test_debug_adds_the_traceback_and_keeps_the_line_and_code(tmp_path: Path) -> None:
    case = BY_NAME["denials-nested-too-deeply"]
    prepare(case, tmp_path)
    for args, environment in [
        (["--debug", *case.args], {}),
        (case.args, {"SCP_RECOMMENDER_DEBUG": "1"}),
    ]:
        result = run_process(args, tmp_path, **environment)
        assert result.returncode == BAD_INPUT
        assert "Traceback (most recent call last)" in result.stderr
        last = result.stderr.splitlines()[-1]
        assert last.startswith("error: ") and case.named in last


def test_a_run_that_read_nothing_says_so_in_the_job_summary(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = BY_NAME["run-empty-log-folder"]
    prepare(case, folder)
    with pytest.raises(SystemExit, match=rf"^{BAD_INPUT}$") as done:
        main([*case.args, "--summary", "summary.md"])
    assert done.value.code == BAD_INPUT
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### scp-recommender failed\n\nnothing read: no CloudTrail log file")
    assert "query (local): 0 groups, 0 denied calls; 0 files read" in capsys.readouterr().err


def test_allow_empty_accepts_a_window_with_nothing_read(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "s.toml").write_text("[query]\nallow_empty = true\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"^0$") as done:
        main(
            [
                "--config",
                "s.toml",
                *local("query", str(DEMO_LOGS), NO_FILES_WINDOW, "--output", "d.jsonl"),
            ]
        )
    assert done.value.code == 0
    assert (folder / "d.jsonl").read_text(encoding="utf-8") == ""
    err = capsys.readouterr().err
    assert f"note: nothing read: no CloudTrail log file in {NO_FILES_WINDOW[0]}" in err


@pytest.mark.parametrize(
    ("stats", "reason"),
    [
        (ScanStats(engine="local"), "no CloudTrail log file"),
        (ScanStats(engine="local", files_skipped=3), "none of the 3 log files could be read"),
        (ScanStats(engine="local", files_read=1), None),
        (ScanStats(engine="athena", query_id="q-1"), "Athena scanned no data"),
        (ScanStats(engine="athena", bytes_scanned=1), None),
    ],
)
def test_what_counts_as_nothing_read(stats: ScanStats, reason: str | None) -> None:
    assert stats.nothing_read() == reason


def test_an_athena_query_that_scanned_nothing_is_not_a_clean_week(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class EmptyAthena:
        def __init__(self, settings: object) -> None:
            self.stats = ScanStats(engine="athena", query_id="q-0")

        def fetch(self, spec: QuerySpec) -> list[Denial]:
            return []

    monkeypatch.setattr(athena, "AthenaSource", EmptyAthena)
    window = ["--start", DEMO_WINDOW[0], "--end", DEMO_WINDOW[1]]
    with pytest.raises(SystemExit, match=rf"^{BAD_INPUT}$") as done:
        main(["query", "--engine", "athena", *window, "--output", "d.jsonl"])
    assert done.value.code == BAD_INPUT
    err = capsys.readouterr().err
    assert f"error: nothing read: Athena scanned no data in {DEMO_WINDOW[0]}" in err
    assert not (folder / "d.jsonl").exists()
