"""Fuzz targets for the denial-row readers (JSON Lines, JSON array, CSV): on any bytes, any
text and any JSON, a file either reads as rows or fails with one InputError naming the file
and a line (or item); nothing else may come out."""

import csv
import io
import json
import re
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.errors import InputError
from recommender.models import Denial
from recommender.sources.files import read_denials

SUFFIXES = ("rows.jsonl", "rows.json", "rows.csv", "rows.txt")
FIELD_NAMES = (
    "event_source", "eventsource", "EventName", "event_name", "count", "num_occurrences",
    "region", "account_id", "RecipientAccountId", "principals", "event_ids", "error_message",
    "first_seen", "x",
)  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
json_rows = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=8)


def read(name: str, content: bytes) -> list[Denial] | InputError:
    with TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            rows = read_denials(path)
        except InputError as error:
            message = str(error)
            assert "\n" not in message
            # the file, then a line (or an item of an array), or the file as a whole
            assert re.match(rf"{re.escape(str(path))}(:\d+|: item \d+)?: ", message), message
            return error
    for row in rows:
        assert isinstance(row, Denial) and row.count >= 0
    return rows


@pytest.mark.parametrize("name", SUFFIXES)
@given(content=st.binary(max_size=300))
def test_any_bytes(name: str, content: bytes) -> None:
    read(name, content)


@pytest.mark.parametrize("name", SUFFIXES)
@given(text=st.text(max_size=300))
def test_any_text(name: str, text: str) -> None:
    read(name, text.encode("utf-8", "surrogatepass"))


@given(st.lists(json_values | json_rows, max_size=4))
def test_any_json_lines(values: list[object]) -> None:
    read("rows.jsonl", "".join(json.dumps(value) + "\n" for value in values).encode())


@given(st.lists(json_values | json_rows, max_size=4))
def test_any_json_array(values: list[object]) -> None:
    read("rows.json", json.dumps(values).encode())


@given(
    st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=6),
    st.lists(st.lists(st.text(max_size=8), max_size=7), max_size=4),
)
def test_any_csv_cells(header: list[str], cells: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(cells)
    read("rows.csv", text.getvalue().encode("utf-8", "surrogatepass"))
