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
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from operator import attrgetter
from typing import NamedTuple, NoReturn, TypeVar

from recommender.models import Denial, Finding, Judgement, Verdict, findings_of, replace_row

# Below this, forking and sending the results back cost more than the second core saves.
MIN_ROWS = 20_000
# About 20 ms of work: small enough for an even finish, large enough that taking a chunk and
# sending its results cost nothing in comparison.
CHUNK_ROWS = 1_000
# Every ticket is written to the pipe before the fork, in one write that must not wait: they fit
# in the least buffer Linux gives a pipe (one page, where the user holds too many pipe pages).
MAX_CHUNKS = 1_024
# Room for the child's results of a few chunks while the parent is busy with one of its own.
RESULTS_PIPE_BYTES = 1 << 20

TICKET = struct.Struct("<I")
FRAME_LENGTH = struct.Struct("<I")

Judge = Callable[[Denial], Judgement]
T = TypeVar("T")


class New(NamedTuple):
    """The table entries a chunk is the first to need. A verdict set is sent as the indexes of
    its verdicts."""

    actions: list[str]
    accounts: list[tuple[str, ...]]
    verdict_sets: list[tuple[int, ...]]
    verdicts: list[Verdict]


# A chunk's results: its number, its new table entries, and three codes for each row: its
# action, its accounts, and twice its verdict set plus one where its row took the account from
# the caller's ARN.
Frame = tuple[int, New, "array[int]"]


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


def classify_on_two_cores(judge: Judge, rows: Sequence[Denial]) -> list[Finding] | None:
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
        _judge_in_child(judge, rows, chunks, tickets_read, results_write)
    os.close(results_write)
    # every row's place is filled by one process or the other: the empty list is never added to
    per_row: list[list[Finding]] = [[]] * len(rows)
    received = Received(rows, chunks, per_row)
    done_here: list[int] = []
    try:
        os.set_blocking(results_read, False)
        for number in _tickets(tickets_read):
            for index in chunks[number]:
                per_row[index] = findings_of(judge(rows[index]))
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
    left = set(range(len(chunks))).difference(done_here, received.built)
    for number in sorted(left):
        for index in chunks[number]:
            per_row[index] = findings_of(judge(rows[index]))
    return list(chain.from_iterable(per_row))


def _widen(pipe_end: int) -> None:
    # where refused, a smaller buffer only makes the child wait for the parent now and then
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe_end, fcntl.F_SETPIPE_SZ, RESULTS_PIPE_BYTES)


def _tickets(tickets: int) -> Iterator[int]:
    """The numbers of the chunks this process takes. Every ticket was written before the fork,
    and a pipe hands each 4-byte read to one reader whole."""
    while ticket := os.read(tickets, TICKET.size):
        yield TICKET.unpack(ticket)[0]


def _judge_in_child(
    judge: Judge,
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
                    encoder.frame(number, share, [judge(row) for row in share]),
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
    """A chunk's rows as codes into tables the parent keeps, of actions, accounts, verdicts and
    verdict sets: each entry is sent with the first chunk that needs it."""

    def __init__(self) -> None:
        # The classifier shares these objects among the rows they serve, so they are known by
        # identity; each is held so that its id stays its own.
        self.actions: dict[int, int] = {}
        self.accounts: dict[int, int] = {}
        self.verdict_sets: dict[int, int] = {}
        self.verdicts: dict[int, int] = {}
        self.held: list[object] = []

    def frame(self, number: int, rows: Sequence[Denial], judgements: list[Judgement]) -> Frame:
        new = New([], [], [], [])
        codes = array("q")
        for row, (judged_row, action, accounts, verdicts) in zip(rows, judgements, strict=True):
            action_code = self.actions.get(id(action))
            if action_code is None:
                action_code = self._add(self.actions, action, new.actions, action)
            accounts_code = self.accounts.get(id(accounts))
            if accounts_code is None:
                accounts_code = self._add(self.accounts, accounts, new.accounts, accounts)
            verdicts_code = self.verdict_sets.get(id(verdicts))
            if verdicts_code is None:
                verdicts_code = self._add(
                    self.verdict_sets, verdicts, new.verdict_sets, self._indexes(verdicts, new)
                )
            codes.extend((action_code, accounts_code, verdicts_code * 2 + (judged_row is not row)))
        return number, new, codes

    def _add(self, table: dict[int, int], value: object, sent: list[T], sent_as: T) -> int:
        code = table[id(value)] = len(table)
        self.held.append(value)
        sent.append(sent_as)
        return code

    def _indexes(self, verdicts: tuple[Verdict, ...], new: New) -> tuple[int, ...]:
        indexes = []
        for verdict in verdicts:
            index = self.verdicts.get(id(verdict))
            if index is None:
                index = self._add(self.verdicts, verdict, new.verdicts, verdict)
            indexes.append(index)
        return tuple(indexes)


class Received:
    """The parent's side: reads the child's frames as they come and builds their findings."""

    def __init__(
        self, rows: Sequence[Denial], chunks: list[list[int]], per_row: list[list[Finding]]
    ) -> None:
        self.rows = rows
        self.chunks = chunks
        self.per_row = per_row
        self.built: set[int] = set()
        self.actions: list[str] = []
        self.accounts: list[tuple[str, ...]] = []
        self.verdicts: list[Verdict] = []
        self.verdict_sets: list[tuple[Verdict, ...]] = []
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
        number, new, codes = frame
        if number in self.built or not 0 <= number < len(self.chunks):
            raise ValueError(f"chunk {number} was not the child's to send")
        self.actions += new.actions
        self.accounts += new.accounts
        self.verdicts += new.verdicts
        verdicts = self.verdicts
        self.verdict_sets += [tuple(verdicts[index] for index in sent) for sent in new.verdict_sets]
        rows, per_row = self.rows, self.per_row
        actions, all_accounts, verdict_sets = self.actions, self.accounts, self.verdict_sets
        chunk = self.chunks[number]
        if len(codes) != 3 * len(chunk):
            raise ValueError(f"chunk {number} has {len(chunk)} rows, not {len(codes) // 3}")
        for index, action_code, accounts_code, verdicts_code in zip(
            chunk, codes[::3], codes[1::3], codes[2::3], strict=True
        ):
            action, accounts = actions[action_code], all_accounts[accounts_code]
            row = rows[index]
            if verdicts_code & 1:
                # as the classifier does: the account read from the caller's ARN
                row = replace_row(row, account_id=accounts[0])
            per_row[index] = [
                Finding(row, verdict, action, accounts)
                for verdict in verdict_sets[verdicts_code >> 1]
            ]
        self.built.add(number)
