"""A batch shared with a forked child gives exactly the findings one process gives, in row
order, and falls back to one process when the child fails or cannot be started."""

import os
import pickle
import select
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.classify import build_rows, write_policy_set
from recommender import parallel
from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.models import Denial, Finding, Judgement, replace_row
from recommender.scp.policyset import PolicySet, load_policy_set
from tests import scenarios as sc

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(scope="module")
def policy_set(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    return load_policy_set(write_policy_set(tmp_path_factory.mktemp("policies")))


@pytest.fixture(scope="module")
def rows() -> list[Denial]:
    rows = build_rows(3000, load_catalog(), per_prefix=1, seed=3)
    # rows without an account take it from the caller's ARN: the child must say so
    without_account = [replace_row(row, account_id=None, principals=()) for row in rows[:50]]
    return [*without_account, *rows[50:], sc.scp_denial("pipes:CreatePipe", "eu-west-1")]


def classify(policy_set: PolicySet, rows: list[Denial], two_cores: bool) -> list[Finding]:
    return Classifier(policy_set, load_catalog()).classify_all(rows, two_cores=two_cores)


def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Allows the small test batches a child, and records each fork."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)
    monkeypatch.setattr(sys, "platform", "linux")
    started: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    return started


def test_two_processes_give_the_findings_of_one_in_row_order(
    policy_set: PolicySet, rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = classify(policy_set, rows, two_cores=False)
    started = forks(monkeypatch)

    two = classify(policy_set, rows, two_cores=True)

    assert len(started) == 1
    assert two == one
    assert [f.row.account_id for f in two[:50]] == [f.row.account_id for f in one[:50]]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a test batch's size: several for each process."""
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 100)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("failing_frame", [0, 3])
def test_what_a_failing_child_did_not_send_is_classified_by_the_parent(
    policy_set: PolicySet,
    rows: list[Denial],
    monkeypatch: pytest.MonkeyPatch,
    failing_frame: int,
) -> None:
    one = classify(policy_set, rows, two_cores=False)
    started = forks(monkeypatch)
    frame = parallel.Encoder.frame
    frames_sent = [0]

    def failing(self: parallel.Encoder, *args: Any) -> parallel.Frame:
        if frames_sent[0] == failing_frame:
            raise RuntimeError("the child fails after the fork")
        frames_sent[0] += 1
        return frame(self, *args)

    monkeypatch.setattr(parallel.Encoder, "frame", failing)
    two = classify(policy_set, rows, two_cores=True)

    assert len(started) == 1
    assert two == one


@pytest.mark.usefixtures("small_chunks")
def test_an_unreadable_frame_leaves_the_rest_to_the_parent(
    policy_set: PolicySet, rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = classify(policy_set, rows, two_cores=False)
    forks(monkeypatch)
    dumps = pickle.dumps
    frames_sent = [0]

    def garbled(frame: object, protocol: int) -> bytes:
        frames_sent[0] += 1
        return dumps(frame, protocol) if frames_sent[0] != 2 else b"not a pickle"

    monkeypatch.setattr(pickle, "dumps", garbled)
    assert classify(policy_set, rows, two_cores=True) == one


@pytest.mark.usefixtures("small_chunks")
def test_the_faster_process_takes_more_chunks(
    policy_set: PolicySet, rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    forks(monkeypatch)
    parent = os.getpid()
    classifier = Classifier(policy_set, load_catalog())
    classified_here = [0]

    def slow_in_the_child(row: Denial) -> Judgement:
        if os.getpid() == parent:
            classified_here[0] += 1
        else:
            time.sleep(0.002)
        return classifier.judge(row)

    found = parallel.classify_on_two_cores(slow_in_the_child, rows)

    assert found is not None
    # the child does about a tenth of the parent's rows in the same time
    assert classified_here[0] > 0.7 * len(rows)
    assert classified_here[0] < len(rows)


def test_no_fork_means_one_process(
    policy_set: PolicySet, rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = classify(policy_set, rows, two_cores=False)
    forks(monkeypatch)

    def refused() -> int:
        raise OSError("fork refused")

    monkeypatch.setattr(os, "fork", refused)
    assert classify(policy_set, rows, two_cores=True) == one


def test_small_batches_and_threaded_processes_stay_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)
    assert not parallel.worth_a_second_process(parallel.MIN_ROWS - 1)
    monkeypatch.setattr(parallel, "single_threaded", lambda: False)
    assert not parallel.worth_a_second_process(10 * parallel.MIN_ROWS)


def test_chunks_cover_every_row_once_and_keep_small_calls_whole(
    rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 100)
    big_call = [sc.scp_denial("pipes:CreatePipe", "eu-west-1")] * 2_000
    batch = [*rows, *big_call]

    chunks = parallel.chunks_by_call(batch)

    assert sorted(index for chunk in chunks for index in chunk) == list(range(len(batch)))
    assert all(100 <= len(chunk) < 200 for chunk in chunks[:-1])
    # the largest call first, cut into chunks of its own
    assert all({batch[i].event_name for i in chunk} == {"CreatePipe"} for chunk in chunks[:20])
    sizes = Counter(row.event_name for row in batch)
    chunk_of: dict[str, set[int]] = {}
    for number, chunk in enumerate(chunks):
        for index in chunk:
            chunk_of.setdefault(batch[index].event_name, set()).add(number)
    assert all(len(chunk_of[name]) == 1 for name, size in sizes.items() if size < 100)


def test_a_huge_batch_still_has_its_tickets_fit_the_pipe() -> None:
    rows = [sc.scp_denial(f"s3:Get{n}", "eu-west-1") for n in range(parallel.MAX_CHUNKS * 2)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "CHUNK_ROWS", 1)
        assert len(parallel.chunks_by_call(rows)) <= parallel.MAX_CHUNKS
    # one write, whole and without waiting, into a pipe of a single page
    assert parallel.MAX_CHUNKS * parallel.TICKET.size <= select.PIPE_BUF


def test_each_verdict_is_sent_once_over_all_frames(
    policy_set: PolicySet, rows: list[Denial]
) -> None:
    classifier = Classifier(policy_set, load_catalog())
    found = [classifier.judge(row) for row in rows]
    encoder = parallel.Encoder()
    frames = [
        encoder.frame(number, rows[start : start + 500], found[start : start + 500])
        for number, start in enumerate(range(0, len(rows), 500))
    ]
    sent_verdicts = [verdict for frame in frames for verdict in frame[1].verdicts]
    sent_sets = [entry for frame in frames for entry in frame[1].verdict_sets]
    sent_actions = [action for frame in frames for action in frame[1].actions]

    assert sum(len(frame[2]) for frame in frames) == 3 * len(rows)
    assert len(sent_verdicts) == len({id(v) for judged in found for v in judged[3]})
    assert len(sent_verdicts) < sum(len(judged[3]) for judged in found)
    assert len(sent_sets) == len({id(judged[3]) for judged in found})
    assert set(sent_actions) == {judged[1] for judged in found}
    assert len(sent_actions) == len({id(judged[1]) for judged in found})


def test_the_child_exits_without_returning(tmp_path: Path) -> None:
    """`os._exit` in the child: nothing after the fork runs twice."""
    marker = tmp_path / "after"
    judge = Classifier(load_policy_set(write_policy_set(tmp_path / "p")), load_catalog()).judge
    rows = [sc.scp_denial("pipes:CreatePipe", "eu-west-1")] * 4
    found = parallel.classify_on_two_cores(judge, rows)
    with marker.open("a") as stream:
        stream.write(f"{os.getpid()}\n")
    assert found is not None and len(found) >= 4
    assert marker.read_text().splitlines() == [str(os.getpid())]
