"""The classifier in stages gives the findings the classifier it replaces gave, in order: on the
benchmark's rows (with and without an account, every spread) and on every scenario."""

from pathlib import Path

import pytest

from bench.classify import build_rows, write_policy_set
from recommender.catalog import load_catalog
from recommender.classify import Classifier as Replaced
from recommender.classify_new import Classifier
from recommender.models import Denial, replace_row
from recommender.scp.policyset import load_policy_set
from tests import scenarios as sc

SCENARIOS = sc.scenarios()


def _both(policies: Path, rows: list[Denial]) -> None:
    catalog = load_catalog()
    replaced = Replaced(load_policy_set(policies), catalog).classify_all(rows, two_cores=False)
    staged = Classifier(load_policy_set(policies), catalog).classify_all(rows)
    assert len(staged) == len(replaced)
    for new, old in zip(staged, replaced, strict=True):
        assert new == old, new.row


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_scenario(scenario: sc.Scenario, tmp_path: Path) -> None:
    _both(scenario.write(tmp_path), [case.denial for case in scenario.cases])


@pytest.mark.parametrize(("spread", "seed"), [("zipf", 5), ("uniform", 6)])
def test_the_benchmark_rows(spread: str, seed: int, tmp_path: Path) -> None:
    rows = build_rows(4000, load_catalog(), spread, per_prefix=2, seed=seed)
    # rows without an account take it from the caller, or are evaluated on every path
    stripped = [replace_row(row, account_id=None) for row in rows[:300]]
    anonymous = [
        replace_row(row, account_id=None, principals=(), error_message="Access Denied")
        for row in rows[300:600]
    ]
    _both(write_policy_set(tmp_path), [*stripped, *anonymous, *rows[600:]])
