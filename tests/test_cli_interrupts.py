"""Ctrl-C and SIGTERM outside the scan: while the command imports its modules, and while
`classify` works on a batch large enough to fork a second process. Either way the command ends
with the one line "interrupted", exit code 130, no traceback, no output and no process left.
(The scan has its own test, with the signal at many moments of a scan.)
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.classify import build_rows, write_policy_set
from recommender.catalog import load_catalog
from recommender.sources.files import write_denials

INTERRUPTED = 130
VENV_BIN = Path(sys.executable).parent
# SigCgt in /proc/<pid>/status: the signals the process catches, as a hexadecimal mask.
CAUGHT = "SigCgt:"
# Enough rows that the streamed report is being written for a while (chunks of 10,000).
ROWS = 30_000
# After the handlers are installed: the imports of click, pydantic and the command.
IMPORT_DELAYS = (0.0, 0.05)
STOPS = [signal.SIGINT, signal.SIGTERM]


def catches(pid: int, number: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return False
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith(CAUGHT))
    return bool(int(mask, 16) >> (number - 1) & 1)


def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.001)


def start(args: list[str], folder: Path) -> subprocess.Popen[str]:
    # A session of its own, as a terminal's foreground job: Ctrl-C reaches every process of it.
    return subprocess.Popen(
        [str(VENV_BIN / "scp-recommender"), *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def assert_interrupted(process: subprocess.Popen[str], folder: Path) -> None:
    out, err = process.communicate(timeout=10)
    assert "Traceback" not in out + err
    assert (process.returncode, err) == (INTERRUPTED, "interrupted\n"), err
    assert out == ""
    assert not (folder / "report.json").exists()
    assert [path.name for path in folder.iterdir() if path.name.startswith(".")] == []


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A policy set and a file of denial rows that `classify` works on for a while."""
    folder = tmp_path_factory.mktemp("batch")
    rows = build_rows(ROWS, load_catalog())
    denials = folder / "denials.jsonl"
    write_denials(rows, denials, "jsonl")
    return denials, write_policy_set(folder)


def classify_args(batch: tuple[Path, Path]) -> list[str]:
    denials, policies = batch
    return [
        "classify",
        "--denials",
        str(denials),
        "--policies",
        str(policies),
        "--format",
        "json",
        "--output",
        "report.json",
    ]


@pytest.mark.parametrize("delay", IMPORT_DELAYS)
@pytest.mark.parametrize("stop", STOPS, ids=lambda stop: stop.name)
def test_a_signal_during_the_imports(
    stop: signal.Signals, delay: float, batch: tuple[Path, Path], tmp_path: Path
) -> None:
    process = start(classify_args(batch), tmp_path)
    # SIGTERM caught: recommender.cli has installed its handlers and starts importing the rest
    wait_for(lambda: catches(process.pid, signal.SIGTERM))
    time.sleep(delay)
    os.killpg(process.pid, stop)
    assert_interrupted(process, tmp_path)


@pytest.mark.parametrize("stop", STOPS, ids=lambda stop: stop.name)
def test_a_signal_while_classify_writes_its_report(
    stop: signal.Signals, batch: tuple[Path, Path], tmp_path: Path
) -> None:
    process = start(classify_args(batch), tmp_path)
    # the report is staged beside its target while the rows are classified chunk by chunk
    wait_for(lambda: any(path.name.startswith(".report.json") for path in tmp_path.iterdir()))
    os.killpg(process.pid, stop)
    assert_interrupted(process, tmp_path)


POOL_STOPS_ITS_WORKERS = """
import multiprocessing, time
import recommender.cli  # the command's signal handlers, as in every run

for _ in range(5):
    with multiprocessing.get_context("fork").Pool(2) as pool:  # leaving stops them: SIGTERM
        list(pool.imap_unordered(abs, range(100)))
        time.sleep(0.1)  # the workers settled, as in a scan
"""


def test_workers_that_a_pool_stops_end_quietly() -> None:
    """The command's SIGTERM handler is inherited by forked workers; a pool ends its workers
    with SIGTERM, and they must end as they did before: quietly, not with a traceback each."""
    result = subprocess.run(
        [sys.executable, "-c", POOL_STOPS_ITS_WORKERS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
