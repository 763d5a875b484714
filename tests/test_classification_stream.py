"""Rows classified as a stream, chunk by chunk, give the findings of one batch, in order."""

from pathlib import Path

import pytest

from recommender import pipeline
from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.config import Settings
from recommender.scp.policyset import load_policy_set
from tests import scenarios as sc


@pytest.mark.parametrize("size", [1, 2, 7])
def test_chunks_give_the_findings_of_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", size)
    for scenario in sc.scenarios():
        policies = scenario.write(tmp_path / str(size))
        rows = scenario.denials
        whole = Classifier(load_policy_set(policies), load_catalog()).classify_all(rows)
        classification = pipeline.Classification(policies, Settings())
        chunks = list(classification.chunks(iter(rows)))
        assert all(len({id(f.row) for f in chunk}) <= size for chunk in chunks)
        streamed = [finding for chunk in chunks for finding in chunk]
        assert [f.to_json() for f in streamed] == [f.to_json() for f in whole]
        summary = classification.tally.summary()
        assert summary["denial_rows"] == len(rows)
        assert summary["denied_calls"] == sum(row.count for row in rows)
        assert summary["findings"] == len(whole)
