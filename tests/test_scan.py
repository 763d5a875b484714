"""Reading on every core (or as many as the settings allow): chunks balanced by size, a worker
that dies loses only its file, and leaving a scan early leaves no worker behind."""

import os
import signal
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.logtree import TreeSpec, write_tree
from recommender.commands.query import make_source
from recommender.config import load_settings
from recommender.errors import ConfigError
from recommender.sources import reader, scan
from recommender.sources.base import QuerySpec
from recommender.sources.local import LocalSource
from recommender.sources.logfiles import LogFile
from recommender.sources.scan import MAX_CHUNKS, Scan, chunks_by_size

WINDOW = QuerySpec(start=date(2026, 11, 1), end=date(2026, 11, 4))


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=3000), st.integers(1, 2000))
def test_chunks_hold_every_file_once_largest_first_in_balanced_sizes(sizes, count) -> None:
    chunks = chunks_by_size(sizes, count)
    assert sorted(index for chunk in chunks for index in chunk) == list(range(len(sizes)))
    assert len(chunks) <= max(1, count)
    order = [sizes[index] for chunk in chunks for index in chunk]
    assert order == sorted(order, reverse=True)
    # Every chunk but the last reaches the share it is cut at: no chunk is a crumb.
    target = -(-sum(sizes) // count)
    assert all(sum(sizes[index] for index in chunk) >= target for chunk in chunks[:-1])


def files_of(tree: Path) -> list[LogFile]:
    return [LogFile(str(path), path.stat().st_size) for path in sorted(tree.rglob("*.gz"))]


def test_a_worker_that_dies_loses_only_the_file_it_was_reading(tmp_path, monkeypatch) -> None:
    write_tree(TreeSpec(root=tmp_path, days=3, files_per_day=8, records_per_file=20))
    parent = os.getpid()
    read = reader.scan_file

    def dying(file: LogFile) -> tuple[str, bytes, str | None]:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return read(file)

    monkeypatch.setattr(scan, "scan_file", dying)
    monkeypatch.setattr("recommender.sources.local.PARALLEL_MIN_BYTES", 0)
    source = LocalSource(tmp_path, progress=False, workers=2)
    denials = source.fetch(WINDOW)
    [line] = source.stats.skipped
    location, reason = line.split(": ", 1)
    assert reason == "the worker reading it died (killed by SIGKILL)"
    assert source.stats.files_read == len(source.files(WINDOW)) - 1
    monkeypatch.setattr(scan, "scan_file", read)
    Path(location).unlink()
    assert denials == LocalSource(tmp_path, progress=False, workers=1).fetch(WINDOW)


def test_leaving_a_scan_early_kills_and_reaps_its_workers(tmp_path, monkeypatch) -> None:
    write_tree(TreeSpec(root=tmp_path, days=3, files_per_day=8, records_per_file=5))
    read = reader.scan_file

    def slow(file: LogFile) -> tuple[str, bytes, str | None]:
        time.sleep(0.05)
        return read(file)

    monkeypatch.setattr(scan, "scan_file", slow)
    files = files_of(tmp_path)
    with Scan(files, tmp_path, processes=3) as running:
        workers = [worker.pid for worker in running._workers.values()]
        assert len(workers) == 2
        next(running.outcomes())
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []


def test_the_tickets_fit_in_one_page() -> None:
    sizes = list(range(10_000))
    assert len(chunks_by_size(sizes, MAX_CHUNKS)) <= MAX_CHUNKS


def test_the_workers_setting_limits_the_processes_and_defaults_to_every_usable_core(
    tmp_path,
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("[query]\nworkers = 3\n")
    source = make_source(load_settings(settings), "local", str(tmp_path), strict=False)
    assert isinstance(source, LocalSource) and source.workers == 3
    default = make_source(load_settings(None), "local", str(tmp_path), strict=False)
    assert isinstance(default, LocalSource) and default.workers == len(os.sched_getaffinity(0))
    settings.write_text("[query]\nworkers = 0\n")
    with pytest.raises(ConfigError, match=r"query\.workers"):
        load_settings(settings)
