"""Classifying a large batch on two cores.

A forked child classifies part of the rows with its own copy of the classifier while the parent
classifies the rest. The rows are split by call, so the two build different explanations rather
than the same ones twice. The child sends back, for each of its rows, indexes into tables of the
actions, accounts and verdicts it found (a few bytes a row, each verdict once), and the parent
builds the findings around its own rows.

Where a child cannot be used (no fork, one core, a small batch, or native threads that a fork
could leave holding locks) the batch is classified in one process, as it is when the child fails:
the findings are the same either way.
"""

import os
import pickle
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import NoReturn

from recommender.models import Denial, Finding, Verdict

# Below this, forking and sending the results back cost more than the second core saves.
MIN_ROWS = 20_000

Classify = Callable[[Denial], list[Finding]]
# For each of the child's rows: the index of its action and of its accounts, whether its row
# took the account from the caller's ARN, and the index of each verdict.
SentRow = tuple[int, int, bool, tuple[int, ...]]
Encoded = tuple[list[str], list[tuple[str, ...]], list[Verdict], list[SentRow]]


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


def split_by_call(rows: Sequence[Denial]) -> tuple[list[int], list[int]]:
    """Two shares of row indexes of about equal size; the rows of one call (read by its event
    name, which almost always names one action) are in one share."""
    names = list(map(attrgetter("event_name"), rows))
    sizes = [0, 0]
    second: dict[str, bool] = {}
    for name, count in Counter(names).most_common():
        lighter = sizes[1] < sizes[0]
        second[name] = lighter
        sizes[lighter] += count
    shares: tuple[list[int], list[int]] = ([], [])
    for index, name in enumerate(names):
        shares[second[name]].append(index)
    return shares


def classify_on_two_cores(classify: Classify, rows: Sequence[Denial]) -> list[Finding] | None:
    """The findings of every row, in row order; None where no child could be started."""
    mine, theirs = split_by_call(rows)
    read_end, write_end = os.pipe()
    try:
        child = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if child == 0:
        os.close(read_end)
        _classify_in_child(classify, rows, theirs, write_end)
    os.close(write_end)
    per_row: list[list[Finding]] = [[] for _ in rows]
    try:
        for index in mine:
            per_row[index] = classify(rows[index])
        with os.fdopen(read_end, "rb") as stream:
            sent = stream.read()
    except BaseException:
        os.kill(child, signal.SIGKILL)
        raise
    finally:
        os.waitpid(child, 0)
    try:
        encoded: Encoded = pickle.loads(sent)
    except (pickle.UnpicklingError, EOFError, ValueError):
        encoded = ([], [], [], [])
    if len(encoded[3]) != len(theirs):
        # the child failed: its share is classified here
        for index in theirs:
            per_row[index] = classify(rows[index])
    else:
        _rebuild(encoded, rows, theirs, per_row)
    return [finding for findings in per_row for finding in findings]


def _classify_in_child(
    classify: Classify, rows: Sequence[Denial], indexes: list[int], write_end: int
) -> NoReturn:
    status = 1
    try:
        with os.fdopen(write_end, "wb") as stream:
            share = [rows[index] for index in indexes]
            found = [classify(row) for row in share]
            pickle.dump(encode(share, found), stream, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        # never back into the parent's code, and never flush the parent's buffers a second time
        os._exit(status)


def encode(rows: Sequence[Denial], per_row: list[list[Finding]]) -> Encoded:
    actions: dict[str, int] = {}
    accounts: dict[tuple[str, ...], int] = {}
    # verdicts are shared by many rows' findings: each is sent once
    verdicts: dict[int, tuple[int, Verdict]] = {}
    sent: list[SentRow] = []
    for row, findings in zip(rows, per_row, strict=True):
        if not findings:
            sent.append((-1, -1, False, ()))
            continue
        first = findings[0]
        action = actions.setdefault(first.action, len(actions))
        account = accounts.setdefault(first.accounts, len(accounts))
        indexes = []
        for finding in findings:
            verdict = finding.verdict
            entry = verdicts.get(id(verdict))
            if entry is None:
                entry = verdicts[id(verdict)] = (len(verdicts), verdict)
            indexes.append(entry[0])
        sent.append((action, account, first.row is not row, tuple(indexes)))
    return list(actions), list(accounts), [verdict for _, verdict in verdicts.values()], sent


def _rebuild(
    encoded: Encoded, rows: Sequence[Denial], indexes: list[int], per_row: list[list[Finding]]
) -> None:
    actions, accounts, verdicts, sent = encoded
    for index, (action, account, copied, verdict_indexes) in zip(indexes, sent, strict=True):
        if action < 0:
            continue
        row = rows[index]
        row_accounts = accounts[account]
        if copied:
            # as the classifier does: the account read from the caller's ARN
            row = row.model_copy(update={"account_id": row_accounts[0]})
        per_row[index] = [
            Finding(row, verdicts[verdict], actions[action], row_accounts)
            for verdict in verdict_indexes
        ]
