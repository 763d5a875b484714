"""A batch shared with a forked child gives exactly the findings one process gives, in row
order, and falls back to one process when the child fails or cannot be started."""

import os
import sys
from pathlib import Path

import pytest

from bench.classify import build_rows, write_policy_set
from recommender import parallel
from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.models import Denial, Finding
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
    without_account = [
        row.model_copy(update={"account_id": None, "principals": ()}) for row in rows[:50]
    ]
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


def test_a_failing_child_leaves_its_share_to_the_parent(
    policy_set: PolicySet, rows: list[Denial], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = classify(policy_set, rows, two_cores=False)
    started = forks(monkeypatch)

    def broken(*_: object) -> object:
        raise RuntimeError("the child fails after the fork")

    monkeypatch.setattr(parallel, "encode", broken)
    two = classify(policy_set, rows, two_cores=True)

    assert len(started) == 1
    assert two == one


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


def test_the_shares_split_calls_whole_and_evenly(rows: list[Denial]) -> None:
    first, second = parallel.split_by_call(rows)

    assert sorted(first + second) == list(range(len(rows)))
    names = [{rows[i].event_name for i in share} for share in (first, second)]
    assert not names[0] & names[1]
    assert abs(len(first) - len(second)) < len(rows) // 10


def test_encoding_sends_each_verdict_once(policy_set: PolicySet, rows: list[Denial]) -> None:
    classifier = Classifier(policy_set, load_catalog())
    found = [classifier.classify(row) for row in rows]
    _, _, verdicts, sent = parallel.encode(rows, found)

    assert len(sent) == len(rows)
    assert len(verdicts) == len({id(f.verdict) for findings in found for f in findings})
    assert len(verdicts) < sum(len(findings) for findings in found)


def test_the_child_exits_without_returning(tmp_path: Path) -> None:
    """`os._exit` in the child: nothing after the fork runs twice."""
    marker = tmp_path / "after"
    classify_row = Classifier(
        load_policy_set(write_policy_set(tmp_path / "p")), load_catalog()
    ).classify
    rows = [sc.scp_denial("pipes:CreatePipe", "eu-west-1")] * 4
    found = parallel.classify_on_two_cores(classify_row, rows)
    with marker.open("a") as stream:
        stream.write(f"{os.getpid()}\n")
    assert found is not None and len(found) >= 4
    assert marker.read_text().splitlines() == [str(os.getpid())]
