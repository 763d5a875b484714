"""Classifying a large batch on two cores.

The rows are cut into chunks, the rows of one call together, so that each process builds its own
explanations rather than the same ones twice. A forked child and the parent take chunks from one
pipe until none is left: on a shared machine one core is often much slower than the other for a
while, and the faster one then simply takes more. The child sends each chunk's results back as
soon as it has them, as indexes into tables of the actions, accounts and verdicts it found (each
entry sent once, with the first chunk that needs it), and the parent builds those findings around
its own rows between its own chunks.

Where a child cannot be used (no fork, one core, a small batch, or native threads that a fork
could leave holding locks) the batch is classified in one process, as are the chunks of a child
that fails: the findings are the same either way.
"""

import contextlib
import fcntl
import math
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import NoReturn

from recommender.models import Denial, Finding, Verdict

# Below this, forking and sending the results back cost more than the second core saves.
MIN_ROWS = 20_000
# About 20 ms of work: small enough for an even finish, large enough that taking a chunk and
# sending its results cost nothing in comparison.
CHUNK_ROWS = 1_000
# Every ticket is written to the pipe before the fork, so they must fit in its smallest buffer
# (4,096 tickets of 4 bytes in 16 KiB).
MAX_CHUNKS = 4_096
# Room for the child's results of a few chunks while the parent is busy with one of its own.
RESULTS_PIPE_BYTES = 1 << 20

TICKET = struct.Struct("<I")
FRAME_LENGTH = struct.Struct("<I")

Classify = Callable[[Denial], list[Finding]]
# For each row of a chunk: the index of its action and of its accounts, whether its row took the
# account from the caller's ARN, and the index of each verdict.
SentRow = tuple[int, int, bool, tuple[int, ...]]
# A chunk's results: its number, the table entries first needed by it, and its rows.
Frame = tuple[int, list[str], list[tuple[str, ...]], list[Verdict], list[SentRow]]


def worth_a_second_process(rows: int) -> bool:
    return (
        rows >= MIN_ROWS
        and sys.platform == "linux"
        and (os.cpu_count() or 1) >= 2
        and single_threaded()
    )


def single_threaded() -> bool:
    """Whether this process runs one thread: a fork copies only the calling thread, and a lock
    another one held (DuckDB's, say) would stay locked in the child."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def chunks_by_call(rows: Sequence[Denial]) -> list[list[int]]:
    """Row indexes in chunks of about equal size, the largest calls first. The rows of one call
    (read by its event name, which almost always names one action) share a chunk unless the call
    alone fills several."""
    size = max(CHUNK_ROWS, math.ceil(len(rows) / MAX_CHUNKS))
    calls: dict[str, list[int]] = {}
    for index, name in enumerate(map(attrgetter("event_name"), rows)):
        call = calls.get(name)
        if call is None:
            calls[name] = [index]
        else:
            call.append(index)
    chunks: list[list[int]] = []
    current: list[int] = []
    for call in sorted(calls.values(), key=len, reverse=True):
        for start in range(0, len(call), size):
            current.extend(call[start : start + size])
            if len(current) >= size:
                chunks.append(current)
                current = []
    if current:
        chunks.append(current)
    return chunks


def classify_on_two_cores(classify: Classify, rows: Sequence[Denial]) -> list[Finding] | None:
    """The findings of every row, in row order; None where no child could be started."""
    chunks = chunks_by_call(rows)
    tickets_read, tickets_write = os.pipe()
    os.write(tickets_write, b"".join(TICKET.pack(number) for number in range(len(chunks))))
    os.close(tickets_write)
    results_read, results_write = os.pipe()
    _widen(results_write)
    try:
        child = os.fork()
    except OSError:
        for end in (tickets_read, results_read, results_write):
            os.close(end)
        return None
    if child == 0:
        os.close(results_read)
        _classify_in_child(classify, rows, chunks, tickets_read, results_write)
    os.close(results_write)
    per_row: list[list[Finding]] = [[] for _ in rows]
    received = Received(rows, chunks, per_row)
    done_here: list[int] = []
    try:
        os.set_blocking(results_read, False)
        for number in _tickets(tickets_read):
            for index in chunks[number]:
                per_row[index] = classify(rows[index])
            done_here.append(number)
            received.take(results_read)
        os.set_blocking(results_read, True)
        received.take(results_read)
    except BaseException:
        os.kill(child, signal.SIGKILL)
        raise
    finally:
        os.close(tickets_read)
        os.close(results_read)
        os.waitpid(child, 0)
    # what a failed child took and did not send back is classified here
    left = set(range(len(chunks))).difference(done_here, received.chunks)
    for number in sorted(left):
        for index in chunks[number]:
            per_row[index] = classify(rows[index])
    return [finding for findings in per_row for finding in findings]


def _widen(pipe_end: int) -> None:
    # where refused, a smaller buffer only makes the child wait for the parent now and then
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe_end, fcntl.F_SETPIPE_SZ, RESULTS_PIPE_BYTES)


def _tickets(tickets: int) -> Iterator[int]:
    """The numbers of the chunks this process takes. Every ticket was written before the fork,
    and a pipe hands each 4-byte read to one reader whole."""
    while ticket := os.read(tickets, TICKET.size):
        yield TICKET.unpack(ticket)[0]


def _classify_in_child(
    classify: Classify,
    rows: Sequence[Denial],
    chunks: list[list[int]],
    tickets: int,
    results: int,
) -> NoReturn:
    status = 1
    try:
        encoder = Encoder()
        with os.fdopen(results, "wb") as stream:
            for number in _tickets(tickets):
                share = [rows[index] for index in chunks[number]]
                payload = pickle.dumps(
                    encoder.frame(number, share, [classify(row) for row in share]),
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
                stream.write(FRAME_LENGTH.pack(len(payload)))
                stream.write(payload)
                stream.flush()
        status = 0
    finally:
        # never back into the parent's code, and never flush the parent's buffers a second time
        os._exit(status)


class Encoder:
    """A chunk's findings as indexes into tables the parent keeps: each action, accounts tuple
    and verdict is sent with the first chunk that needs it."""

    def __init__(self) -> None:
        self.actions: dict[str, int] = {}
        self.accounts: dict[tuple[str, ...], int] = {}
        # keyed by identity, as verdicts are shared by many rows' findings; the verdict is held
        # so that its id stays its own
        self.verdicts: dict[int, tuple[int, Verdict]] = {}

    def frame(self, number: int, rows: Sequence[Denial], per_row: list[list[Finding]]) -> Frame:
        new_actions: list[str] = []
        new_accounts: list[tuple[str, ...]] = []
        new_verdicts: list[Verdict] = []
        sent: list[SentRow] = []
        for row, findings in zip(rows, per_row, strict=True):
            if not findings:
                sent.append((-1, -1, False, ()))
                continue
            first = findings[0]
            action = self.actions.get(first.action)
            if action is None:
                action = self.actions[first.action] = len(self.actions)
                new_actions.append(first.action)
            account = self.accounts.get(first.accounts)
            if account is None:
                account = self.accounts[first.accounts] = len(self.accounts)
                new_accounts.append(first.accounts)
            indexes = []
            for finding in findings:
                verdict = finding.verdict
                entry = self.verdicts.get(id(verdict))
                if entry is None:
                    entry = self.verdicts[id(verdict)] = (len(self.verdicts), verdict)
                    new_verdicts.append(verdict)
                indexes.append(entry[0])
            sent.append((action, account, first.row is not row, tuple(indexes)))
        return number, new_actions, new_accounts, new_verdicts, sent


class Received:
    """The parent's side: reads the child's frames as they come and builds their findings."""

    def __init__(
        self, rows: Sequence[Denial], chunks: list[list[int]], per_row: list[list[Finding]]
    ) -> None:
        self.rows = rows
        self.chunks_rows = chunks
        self.per_row = per_row
        self.chunks: set[int] = set()
        self.actions: list[str] = []
        self.accounts: list[tuple[str, ...]] = []
        self.verdicts: list[Verdict] = []
        self.pending = bytearray()
        self.broken = False

    def take(self, results: int) -> None:
        """Every whole frame the pipe holds now (all of them to the end, on a blocking pipe).
        Once a frame was unreadable, nothing more is read: closing the pipe then ends the
        child."""
        while not self.broken:
            try:
                data = os.read(results, RESULTS_PIPE_BYTES)
            except BlockingIOError:
                return
            if not data:
                return
            self.pending += data
            self._build_whole_frames()

    def _build_whole_frames(self) -> None:
        start = 0
        pending = self.pending
        while len(pending) - start >= FRAME_LENGTH.size:
            (length,) = FRAME_LENGTH.unpack_from(pending, start)
            end = start + FRAME_LENGTH.size + length
            if len(pending) < end:
                break
            try:
                self._build(pickle.loads(pending[start + FRAME_LENGTH.size : end]))
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError):
                # nothing after it can be trusted: the chunks not built are classified here
                self.broken = True
                return
            start = end
        del pending[:start]

    def _build(self, frame: Frame) -> None:
        number, actions, accounts, verdicts, sent = frame
        if number in self.chunks or not 0 <= number < len(self.chunks_rows):
            raise ValueError(f"chunk {number} was not the child's to send")
        self.actions += actions
        self.accounts += accounts
        self.verdicts += verdicts
        rows, per_row, all_verdicts = self.rows, self.per_row, self.verdicts
        for index, (action, account, copied, verdict_indexes) in zip(
            self.chunks_rows[number], sent, strict=True
        ):
            if action < 0:
                continue
            row = rows[index]
            row_accounts = self.accounts[account]
            if copied:
                # as the classifier does: the account read from the caller's ARN
                row = row.model_copy(update={"account_id": row_accounts[0]})
            row_action = self.actions[action]
            per_row[index] = [
                Finding(row, all_verdicts[verdict], row_action, row_accounts)
                for verdict in verdict_indexes
            ]
        self.chunks.add(number)
