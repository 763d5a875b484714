"""Fuzz target: the CloudTrail file reader, on arbitrary bytes and on valid gzip (and zip) of
arbitrary JSON, most of it shaped like CloudTrail so that the decoder's deeper paths are reached.
Whatever the file, the reader returns rows or says why the file is unreadable, and the worker's
task returns only strings and bytes."""

import gzip
import io
import json
import tempfile
import zipfile
from pathlib import Path

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from recommender.sources.logfiles import LogFile
from recommender.sources.reader import (
    ROW_COLUMNS,
    Record,
    UnreadableFile,
    encode_rows,
    error_rows,
    scan_file,
)

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from([*Record.__struct_fields__, "sessionContext", "sessionIssuer", "Records"])
# Records: CloudTrail's fields (and some others) with values of any type, errorCode usually text.
RECORD = st.fixed_dictionaries(
    {"eventVersion": st.just("1.11") | ANY_JSON},
    optional={"errorCode": st.text(min_size=1) | ANY_JSON},
).flatmap(
    lambda base: st.dictionaries(FIELDS | st.text(max_size=8), ANY_JSON, max_size=6).map(
        lambda extra: {**base, **extra}
    )
)
DOCUMENT = st.one_of(
    st.lists(RECORD, max_size=5).map(lambda records: {"Records": records}),
    st.lists(RECORD, max_size=5),
    RECORD,
    ANY_JSON,
)


def encoded(documents: list[object], compact: bool, lines: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    texts = [json.dumps(document, separators=separators) for document in documents]
    return ("\n" if lines else "").join(texts).encode()


def read(data: bytes) -> None:
    """The property: rows of flat text fields, or UnreadableFile; nothing else escapes."""
    try:
        rows = error_rows(data)
    except UnreadableFile as error:
        assert str(error)
        return
    for row in rows:
        assert row.errorcode
        values = msgspec.structs.astuple(row)
        assert len(values) == len(ROW_COLUMNS)
        assert all(value is None or isinstance(value, str) for value in values)
    assert encode_rows(rows).count(b"\n") == len(rows)


@given(st.binary(max_size=2048))
def test_any_bytes(data: bytes) -> None:
    read(data)
    read(gzip.compress(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.json.gz"
        path.write_bytes(data)
        location, rows, problem = scan_file(LogFile(str(path), len(data)))
    assert (location, type(rows)) == (str(path), bytes)
    assert problem is None or (isinstance(problem, str) and not rows)


@given(
    st.lists(DOCUMENT, min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["gzip", "zip", "plain"]),
)
def test_valid_gzip_or_zip_of_any_json(documents, compact, lines, container) -> None:
    text = encoded(documents, compact, lines)
    if container == "gzip":
        data = gzip.compress(text)
    elif container == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("part.json", text)
        data = buffer.getvalue()
    else:
        data = text
    read(data)


@given(st.binary(max_size=512), st.integers(min_value=0, max_value=64))
def test_damaged_gzip(data, cut) -> None:
    packed = gzip.compress(data)
    read(packed[: len(packed) - cut])
    for offset in range(10, min(len(packed), 30)):
        damaged = bytearray(packed)
        damaged[offset] ^= 0x5A
        read(bytes(damaged))
