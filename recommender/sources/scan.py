"""Reading the log files on every core: this process and one forked worker per other core take
chunks of files from a pipe of tickets until none is left, so a core that the machine slows down
simply takes fewer. Chunks are cut by size, largest files first, so the last chunk taken is small.

Each process writes the error rows of its files to its own JSON Lines file and reports every
file's outcome (read, or why it is unreadable: plain strings) to this process, which yields them.

Interrupts. The terminal sends Ctrl-C to the whole process group, so a worker ignores SIGINT and
leaves its ending to this process: whatever ends the scan (done, an error, or the
KeyboardInterrupt that Ctrl-C or SIGTERM raises here), every worker still running is killed and
reaped, with the interrupts held off meanwhile, so that none is left behind or defunct. Signals
are held off around each fork too, so a worker never sees one before it ignores SIGINT.

A worker that dies (killed, out of memory) loses only the file it was reading: that file is
reported unreadable and the rest of its chunks are read here. A worker writes each file's rows
before it reports the file, unbuffered, so whatever it reported is in its rows file.
"""

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, NoReturn

from recommender.sources.logfiles import LogFile
from recommender.sources.reader import scan_file

TICKET_BYTES = 4
# All tickets fit in one page, the least a pipe holds, so writing them never waits for a reader.
MAX_CHUNKS = 4096 // TICKET_BYTES
INTERRUPTS = {signal.SIGINT, signal.SIGTERM}
# A file's index in the scan and why it is unreadable (None: read).
Outcome = tuple[int, str | None]


def chunks_by_size(sizes: list[int], count: int) -> list[list[int]]:
    """File indexes in at most `count` chunks of about equal bytes, the largest files first."""
    order = sorted(range(len(sizes)), key=lambda index: -sizes[index])
    target = max(1, -(-sum(sizes) // max(1, count)))
    chunks: list[list[int]] = []
    current: list[int] = []
    filled = 0
    for index in order:
        current.append(index)
        filled += sizes[index]
        if filled >= target and len(chunks) < count - 1:
            chunks.append(current)
            current, filled = [], 0
    if current:
        chunks.append(current)
    return chunks


def available_cores() -> int:
    """The cores this process may run on (its affinity, as a container or taskset sets it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class _Worker:
    pid: int
    results: Connection
    claimed: list[int] = field(default_factory=list)
    reported: set[int] = field(default_factory=set)


class Scan:
    """`with Scan(files, folder, processes) as scan: for index, problem in scan.outcomes():`.

    The workers are forked on entering, before the caller starts any thread.
    """

    def __init__(self, files: list[LogFile], folder: Path, processes: int) -> None:
        self.files = files
        count = min(MAX_CHUNKS, len(files))
        self.chunks = chunks_by_size([file.size for file in files], count)
        forks = processes - 1 if hasattr(os, "fork") and len(self.chunks) > 1 else 0
        forks = max(0, min(forks, len(self.chunks) - 1))
        self.rows_paths = [folder / f"rows-{number}.jsonl" for number in range(forks + 1)]
        self._forks = forks
        self._tickets = -1
        self._workers: dict[Connection, _Worker] = {}
        self._lost: list[int] = []

    def __enter__(self) -> "Scan":
        for path in self.rows_paths:
            path.touch()
        self._tickets = _ticket_pipe(len(self.chunks))
        try:
            for number in range(1, self._forks + 1):
                self._fork(self.rows_paths[number])
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop()

    def outcomes(self) -> Iterator[Outcome]:
        """Every file's outcome once, as the files are read here and by the workers."""
        with self.rows_paths[0].open("ab") as rows:
            while ticket := os.read(self._tickets, TICKET_BYTES):
                for index in self.chunks[int.from_bytes(ticket, "little")]:
                    yield _scan(self.files, index, rows)
                    if self._workers:
                        yield from self._received(timeout=0)
            while self._workers:
                yield from self._received(timeout=None)
            for index in self._lost:
                yield _scan(self.files, index, rows)

    def _fork(self, rows_path: Path) -> None:
        receive, send = Pipe(duplex=False)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
        try:
            pid = os.fork()
            if pid == 0:
                _worker(self.files, self.chunks, self._tickets, send, rows_path, held)
            self._workers[receive] = _Worker(pid, receive)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            send.close()

    def _received(self, timeout: float | None) -> Iterator[Outcome]:
        for ready in wait(list(self._workers), timeout):
            assert isinstance(ready, Connection)
            worker = self._workers[ready]
            try:
                while ready.poll():
                    message = ready.recv()
                    if isinstance(message, int):
                        worker.claimed.append(message)
                    else:
                        worker.reported.add(message[0])
                        yield message
            except EOFError:
                yield from self._ended(worker)

    def _ended(self, worker: _Worker) -> Iterator[Outcome]:
        """A worker's pipe closed: reap it; what it claimed and did not report is lost with it."""
        del self._workers[worker.results]
        worker.results.close()
        _, status = os.waitpid(worker.pid, 0)
        lost = [
            index
            for chunk in worker.claimed
            for index in self.chunks[chunk]
            if index not in worker.reported
        ]
        if lost and status != 0:
            # The file it was reading when it died: reading it here could end this process too.
            yield lost.pop(0), f"the worker reading it died ({_exit_reason(status)})"
        self._lost += lost

    def _stop(self) -> None:
        """Kills and reaps every worker still running; interrupts wait until it is done."""
        held = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
        try:
            for worker in self._workers.values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
            for worker in self._workers.values():
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(worker.pid, 0)
                worker.results.close()
            self._workers.clear()
            if self._tickets >= 0:
                os.close(self._tickets)
                self._tickets = -1
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _ticket_pipe(count: int) -> int:
    """The read end of a pipe holding every chunk's number, its write end closed: a read takes
    one ticket, atomically among processes, or gets nothing when all are taken."""
    read, write = os.pipe()
    try:
        tickets = b"".join(number.to_bytes(TICKET_BYTES, "little") for number in range(count))
        written = os.write(write, tickets)
        assert written == len(tickets), "the tickets fit in one page"
    finally:
        os.close(write)
    return read


def _scan(files: list[LogFile], index: int, rows: BinaryIO) -> Outcome:
    _, found, problem = scan_file(files[index])
    rows.write(found)
    return index, problem


def _worker(
    files: list[LogFile],
    chunks: list[list[int]],
    tickets: int,
    results: Connection,
    rows_path: Path,
    held: set[int | signal.Signals],
) -> NoReturn:
    """A forked worker's whole life: ignore Ctrl-C, read chunks until no ticket is left, exit
    without running the parent's exit handlers or flushing its copies of the parent's buffers."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        with rows_path.open("ab", buffering=0) as rows:
            while ticket := os.read(tickets, TICKET_BYTES):
                chunk = int.from_bytes(ticket, "little")
                results.send(chunk)
                for index in chunks[chunk]:
                    _, found, problem = scan_file(files[index])
                    _write_all(rows, found)
                    results.send((index, problem))
        results.close()
        code = 0
    finally:
        os._exit(code)


def _write_all(rows: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[rows.write(view) or 0 :]


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
