"""The embedded engine: `sql/denials.sql`, translated to DuckDB, over CloudTrail files on disk or
in S3.

DuckDB is good at the SQL and poor at parsing CloudTrail JSON, so the work is split: the files a
query needs are found by path (logfiles.py), read on every core (scan.py) by a reader that keeps
only the records with an error code (reader.py), streamed to JSON Lines files of flat rows, and
DuckDB runs the same query Athena runs over a view with the Athena table's columns. Only error
records are kept, so memory does not grow with the data.
"""

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from recommender.errors import InputError, SourceError
from recommender.models import Denial
from recommender.sources.base import QuerySpec, ScanStats
from recommender.sources.logfiles import LogFile, discover
from recommender.sources.markers import local_query
from recommender.sources.reader import ROW_COLUMNS, s3_client
from recommender.sources.scan import Outcome, Scan, available_cores

# Below this, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
PROGRESS_MIN_BYTES = 16 * 1024 * 1024

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
        # Processes that read files, this one included; None: every core it may run on.
        self.workers = workers or available_cores()
        self.stats = ScanStats(engine="local")

    def files(self, spec: QuerySpec) -> list[LogFile]:
        client = s3_client() if str(self.logs).startswith("s3://") else None
        return discover(self.logs, spec, client)

    def fetch(self, spec: QuerySpec) -> list[Denial]:
        self.stats = ScanStats(engine="local")
        files = self.files(spec)
        total = sum(file.size for file in files)
        processes = self.workers if total >= PARALLEL_MIN_BYTES else 1
        with tempfile.TemporaryDirectory(prefix="scp-recommender-") as folder:
            with contextlib.ExitStack() as stack:
                # Fork before any thread starts (the progress bar): the workers inherit the loaded
                # reader and nothing else is running while they are created.
                scan = stack.enter_context(Scan(files, Path(folder), processes))
                self._collect(files, scan.outcomes(), stack)
            # After the scan, not beside it: every core was reading, and a thread still loading
            # DuckDB when an interrupt ends the process can abort it.
            return _run_query(scan.rows_paths, *local_query(spec))

    def _collect(
        self, files: list[LogFile], outcomes: Iterator[Outcome], stack: contextlib.ExitStack
    ) -> None:
        """Counts the files read and (or, strict, fails on) the unreadable ones."""
        total = sum(file.size for file in files)
        bar = stack.enter_context(_Progress(len(files), total, self._show_progress(total)))
        for index, problem in outcomes:
            file = files[index]
            self.stats.bytes_read += file.size
            bar.advance(file.size)
            if problem is not None:
                self._skip(file.location, problem)
            else:
                self.stats.files_read += 1

    def _skip(self, location: str, problem: str) -> None:
        if self.strict:
            raise InputError(f"{location}: {problem} (--strict stops at a damaged file)")
        self.stats.files_skipped += 1
        self.stats.skipped.append(f"{location}: {problem}")

    def _show_progress(self, total: int) -> bool:
        if self.progress is not None:
            return self.progress
        return total >= PROGRESS_MIN_BYTES and sys.stderr.isatty()


def _run_query(rows_paths: list[Path], text: str, parameters: dict[str, object]) -> list[Denial]:
    import duckdb

    connection = duckdb.connect()
    try:
        rows = connection.read_json(
            [str(path) for path in rows_paths],
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
