"""Ctrl-C and SIGTERM at 20 moments across a local query that reads a few thousand files on every
core: each time the command ends within 2 s with the one line "interrupted" and exit 130, no
traceback, no worker left running or defunct, and no file left behind: no output, whole or
partial, and no temporary file.

The moments follow the scan's progress, not the clock (the machine may be shared and slow): the
first as soon as the workers exist, then each time the scan's row files (in the command's own
TMPDIR) have grown by another twentieth of their size at the end of a whole run.
"""

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bench.logtree import TreeSpec, write_tree
from bench.scan import query_command

ROOT = Path(__file__).resolve().parents[1]
MOMENTS = 20
LIMIT_SECONDS = 2.0
POLL_SECONDS = 0.002
# Ctrl-C reaches the whole process group; `kill` and a CI runner's cancel reach one process or all.
DELIVERIES = [
    (signal.SIGINT, True),
    (signal.SIGTERM, False),
    (signal.SIGTERM, True),
    (signal.SIGINT, False),
]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,016 files, 13 MB gzipped: above the size at which the scan starts its workers."""
    root = tmp_path_factory.mktemp("trail")
    spec = TreeSpec(
        root=root,
        accounts=("111111111111", "222222222222", "333333333333"),
        days=7,
        files_per_day=48,
        records_per_file=40,
        start=date(2026, 11, 1),
    )
    write_tree(spec)
    return root


def children(pid: int) -> set[int]:
    """The processes `pid` forked (from its main thread, as the scan does)."""
    try:
        return {
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        }
    except OSError:
        return set()


def alive(pid: int) -> bool:
    """Running or defunct (a zombie keeps its /proc entry until it is reaped)."""
    return Path(f"/proc/{pid}").exists()


def rows_size(tmp: Path) -> int:
    return sum(path.stat().st_size for path in tmp.glob("*/rows-*.jsonl") if path.exists())


class Query:
    """The command in a session of its own, its temporary files in `tmp`, its workers watched."""

    def __init__(self, tree: Path, output: Path, tmp: Path) -> None:
        tmp.mkdir()
        self.tmp = tmp
        self.seen: set[int] = set()
        self.process = subprocess.Popen(
            query_command(tree, "2026-11-01", "2026-11-08", output),
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(tmp)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def running(self) -> bool:
        self.seen |= children(self.process.pid)
        return self.process.poll() is None

    def wait_until(self, reached: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.running() and not reached() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)

    def wait_for_rows(self, size: float) -> None:
        """Until the workers exist and the row files hold `size` bytes."""
        self.wait_until(lambda: bool(self.seen) and rows_size(self.tmp) >= size)


def test_the_scan_ends_cleanly_on_every_interrupt(tree, tmp_path) -> None:
    # A whole run gives the size of the row files at the end of the scan.
    reference = Query(tree, tmp_path / "reference.jsonl", tmp_path / "tmp-reference")
    largest = 0
    while reference.running():
        largest = max(largest, rows_size(reference.tmp))
        time.sleep(POLL_SECONDS)
    _, err = reference.process.communicate()
    assert reference.process.returncode == 0, err
    assert reference.seen, "the scan started no worker: the tree is too small"
    assert largest > 0
    (tmp_path / "reference.jsonl").unlink()

    for moment in range(MOMENTS):
        number, to_group = DELIVERIES[moment % len(DELIVERIES)]
        output = tmp_path / f"denials-{moment}.jsonl"
        query = Query(tree, output, tmp_path / f"tmp-{moment}")
        share = moment / MOMENTS
        query.wait_for_rows(largest * share)
        assert query.running(), f"moment {moment}: the query ended before the signal"
        sent = time.monotonic()
        (os.killpg if to_group else os.kill)(query.process.pid, number)
        query.wait_until(lambda: False, LIMIT_SECONDS + 1)
        took = time.monotonic() - sent
        if query.process.poll() is None:
            os.killpg(query.process.pid, signal.SIGKILL)
        out, err = query.process.communicate()
        where = f"moment {moment} ({share:.0%} of the rows, {number.name}, group {to_group})"
        assert took <= LIMIT_SECONDS, f"{where}: still running after {took:.1f} s"
        assert (query.process.returncode, err, out) == (130, "interrupted\n", ""), where
        assert [pid for pid in query.seen if alive(pid)] == [], f"{where}: workers left"
        assert not output.exists() and list(tmp_path.glob(f".{output.name}*")) == [], where
        assert list(query.tmp.iterdir()) == [], f"{where}: temporary files left"
