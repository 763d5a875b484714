"""The embedded engine: `sql/denials.sql`, translated to DuckDB, over CloudTrail files on disk or
in S3.

DuckDB is good at the SQL and poor at parsing CloudTrail JSON, so the work is split: the files a
query needs are found by path (logfiles.py), read by worker processes that keep only the records
with an error code (reader.py), streamed to a JSON Lines file of flat rows, and DuckDB runs the
same query Athena runs over a view with the Athena table's columns. Only error records are kept,
so memory does not grow with the data.
"""

import contextlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from recommender.errors import InputError, SourceError
from recommender.models import Denial
from recommender.sources.base import QuerySpec, ScanStats
from recommender.sources.logfiles import LogFile, discover
from recommender.sources.markers import local_query
from recommender.sources.reader import ROW_COLUMNS, s3_client, scan_file

# Below this, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
PROGRESS_MIN_BYTES = 16 * 1024 * 1024
# A file's location, the JSON Lines of its error rows, and why it is unreadable (or None).
Result = tuple[str, bytes, str | None]

# The Athena table's columns (sql/cloudtrail_table.sql) over the reader's flat rows, named as
# the query expects (markers.LOCAL_VIEW).
CREATE_VIEW = """
CREATE VIEW cloudtrail AS
SELECT
    eventversion,
    {'type': useridentity_type, 'arn': useridentity_arn, 'accountid': useridentity_accountid,
     'sessioncontext': {'sessionissuer': {'arn': sessionissuer_arn}}} AS useridentity,
    eventtime, eventsource, eventname, awsregion, sourceipaddress, useragent, errorcode,
    errormessage, eventid, recipientaccountid, account_id, region, "timestamp"
FROM records
"""


class LocalSource:
    """Denials from CloudTrail files under a folder, a file or an `s3://bucket/prefix`."""

    def __init__(
        self,
        logs: str | Path,
        *,
        strict: bool = False,
        progress: bool | None = None,
        workers: int | None = None,
    ) -> None:
        self.logs = logs
        self.strict = strict
        # None: a progress bar on long scans when stderr is a terminal.
        self.progress = progress
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.stats = ScanStats(engine="local")

    def files(self, spec: QuerySpec) -> list[LogFile]:
        client = s3_client() if str(self.logs).startswith("s3://") else None
        return discover(self.logs, spec, client)

    def fetch(self, spec: QuerySpec) -> list[Denial]:
        self.stats = ScanStats(engine="local")
        files = self.files(spec)
        with tempfile.TemporaryDirectory(prefix="scp-recommender-") as folder:
            rows_path = Path(folder) / "rows.jsonl"
            with contextlib.ExitStack() as stack:
                results = self._results(files, stack)
                # While the workers read, this process loads DuckDB and translates the query.
                threads = stack.enter_context(ThreadPoolExecutor(max_workers=1))
                prepared = threads.submit(_prepare_query, spec)
                self._collect(files, results, rows_path, stack)
            return _run_query(rows_path, *prepared.result())

    def _results(self, files: list[LogFile], stack: contextlib.ExitStack) -> Iterator[Result]:
        total = sum(file.size for file in files)
        if self.workers < 2 or total < PARALLEL_MIN_BYTES or len(files) < 2 * self.workers:
            return map(scan_file, files)
        # Fork before any thread starts (progress bar, DuckDB loading): the workers inherit the
        # loaded reader and nothing else is running while they are created.
        pool = stack.enter_context(_worker_context().Pool(self.workers))
        chunksize = max(1, min(64, len(files) // (self.workers * 8)))
        return pool.imap_unordered(scan_file, files, chunksize=chunksize)

    def _collect(
        self,
        files: list[LogFile],
        results: Iterator[Result],
        rows_path: Path,
        stack: contextlib.ExitStack,
    ) -> None:
        """Writes the rows of every readable file; counts (or, strict, fails on) the others."""
        sizes = {file.location: file.size for file in files}
        total = sum(sizes.values())
        bar = stack.enter_context(_Progress(len(files), total, self._show_progress(total)))
        with rows_path.open("wb") as rows:
            for location, chunk, problem in results:
                self.stats.bytes_read += sizes[location]
                bar.advance(sizes[location])
                if problem is not None:
                    self._skip(location, problem)
                    continue
                self.stats.files_read += 1
                rows.write(chunk)

    def _skip(self, location: str, problem: str) -> None:
        if self.strict:
            raise InputError(f"{location}: {problem} (--strict stops at a damaged file)")
        self.stats.files_skipped += 1
        self.stats.skipped.append(f"{location}: {problem}")

    def _show_progress(self, total: int) -> bool:
        if self.progress is not None:
            return self.progress
        return total >= PROGRESS_MIN_BYTES and sys.stderr.isatty()


def _prepare_query(spec: QuerySpec) -> tuple[str, dict[str, object]]:
    import duckdb  # noqa: F401  (loaded here, off the critical path, for _run_query)

    return local_query(spec)


def _run_query(rows_path: Path, text: str, parameters: dict[str, object]) -> list[Denial]:
    import duckdb

    connection = duckdb.connect()
    try:
        rows = connection.read_json(
            str(rows_path),
            format="newline_delimited",
            columns=dict.fromkeys(ROW_COLUMNS, "VARCHAR"),
        )
        # A view, not a table: DuckDB streams the rows through the query instead of holding them.
        rows.create_view("records")
        connection.execute(CREATE_VIEW)
        cursor = connection.execute(text, parameters)
        names = [column[0] for column in cursor.description or []]
        return [
            msgspec.convert(dict(zip(names, row, strict=True)), Denial) for row in cursor.fetchall()
        ]
    except duckdb.Error as error:
        raise SourceError(f"local query failed: {error}") from None
    finally:
        connection.close()


def _worker_context() -> multiprocessing.context.BaseContext:
    # fork is cheap and needs no re-import of the command's modules; spawn where it is missing.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class _Progress:
    """A rich bar of files and bytes on stderr, or nothing."""

    def __init__(self, files: int, total: int, show: bool) -> None:
        self.bar: Any = None
        self.task: Any = None
        if not show:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            TextColumn("scanning"),
            BarColumn(),
            TextColumn("{task.fields[done]}/{task.fields[files]} files"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("scan", total=total, done=0, files=files)
        self.done = 0

    def __enter__(self) -> "_Progress":
        if self.bar is not None:
            self.bar.start()
        return self

    def advance(self, size: int) -> None:
        if self.bar is not None:
            self.done += 1
            self.bar.update(self.task, advance=size, done=self.done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
