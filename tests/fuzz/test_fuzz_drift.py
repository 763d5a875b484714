"""Drift between two policy texts, for drawn documents: how AWS stored a document (any
whitespace, any key order) is never drift; any change to a value, a key or a list's order always
is, and the diff of `sync-policies --check` shows it."""

import json
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recommender.drift import OrgState, PolicyState, compare

scalars = st.one_of(
    st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none(), st.just("s3:*")
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
).map(lambda statement: {"Version": "2012-10-17", "Statement": [statement]})


def shuffled_keys(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: shuffled_keys(item, rng) for key, item in items}
    if isinstance(value, list):
        return [shuffled_keys(item, rng) for item in value]
    return value


def stored(document: Any, seed: int) -> str:
    """The same document as AWS might hold it: another key order, indentation and separators."""
    rng = random.Random(seed)
    indent = rng.choice([None, 0, 1, 2, 4, "\t"])
    separators = rng.choice([(",", ":"), (", ", ": "), (" ,", " : ")])
    return json.dumps(shuffled_keys(document, rng), indent=indent, separators=separators)


def state(where: str, text: str) -> OrgState:
    policy = PolicyState(
        "p.json", "p-1", "SERVICE_CONTROL_POLICY", text, json.loads(text), frozenset()
    )
    return OrgState(where, "r-1", {}, {}, {"p.json": policy})


@given(documents, st.integers())
def test_how_aws_stores_a_document_is_never_drift(document, seed) -> None:
    local = json.dumps(document, indent=4) + "\n"
    assert (
        compare(state("policies/", local), state("AWS", stored(document, seed))).differences == []
    )


def changed(document: Any, rng: random.Random) -> Any:
    """The document with one value, key or list order changed (never only reformatted)."""
    statement = document["Statement"][0]
    choice = rng.randrange(3)
    if choice == 0:
        return {**document, "Statement": [statement, {"Effect": "Deny"}]}
    if choice == 1 and isinstance(statement, dict) and statement:
        key = rng.choice(sorted(statement))
        return {**document, "Statement": [{**statement, key: [statement[key], "x"]}]}
    return {**document, "Version": "2008-10-17"}


@given(documents, st.integers())
def test_any_change_of_value_is_drift_with_its_diff(document, seed) -> None:
    other = changed(document, random.Random(seed))
    local = json.dumps(document, indent=4) + "\n"
    (difference,) = compare(
        state("policies/", local), state("AWS", stored(other, seed))
    ).differences
    assert difference.text.startswith("~ p.json (p-1): the policy differs\n--- p.json (AWS)\n")
    assert "\n+++ p.json (policies/)\n@@ " in difference.text
    assert difference.note.startswith("live `p.json` differs from policies/")
