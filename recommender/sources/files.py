"""Files of denial rows: JSON Lines, a JSON array or CSV with a header (see the design's
contract). Column names are case-insensitive and the original query's names are accepted, so an
Athena console download (`eventsource,eventname,num_occurrences`) reads as it is.

Rows are read as a stream: a JSON Lines or CSV file of any size costs the memory of one line.
A line spelled as `query` writes it is decoded straight into the row type; any other line (an
alias, another letter case, a field of another tool, a bad value) takes a slower path that maps
its names and says which field is wrong.
"""

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

import msgspec

from recommender.atomic import write_text
from recommender.errors import InputError
from recommender.models import DENIAL_FIELDS, Denial

Format = Literal["jsonl", "csv", "json"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "json")

FIELDS = DENIAL_FIELDS
LIST_FIELDS = frozenset({"principals", "event_ids"})
ALIASES = {
    "eventsource": "event_source",
    "eventname": "event_name",
    "num_occurrences": "count",
    "awsregion": "region",
    "recipientaccountid": "account_id",
    "errorcode": "error_code",
    "errormessage": "error_message",
}
EXPECTED = {
    "event_source": "a text such as s3.amazonaws.com",
    "event_name": "a text such as GetObject",
    "count": "a whole number of at least 0",
    "account_id": "an AWS account ID of 12 digits",
    "principals": "a list of ARNs",
    "event_ids": "a list of event IDs",
}
BOM = b"\xef\xbb\xbf"
# Enough of the start of a file to see whether it holds JSON or CSV.
SNIFF_BYTES = 4096

# strict=False: a count written as "12" or 12.0 reads as 12, as it always has.
_ROW = msgspec.json.Decoder(Denial, strict=False)
_ANY = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()
_AT_FIELD = re.compile(r" - at `\$\.(\w+)(\S*)`$")
_MISSING = re.compile(r"missing required field `(\w+)`")


def _field(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)


def _list_value(text: str) -> list[str] | str:
    """A CSV cell holding a list: a JSON array, or values separated by `;` or `,`."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return text
        return value if isinstance(value, list) else text
    separator = ";" if ";" in text else ","
    return [item.strip() for item in text.split(separator) if item.strip()]


def _normalise(row: dict[Any, Any], from_csv: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in row.items():
        if not isinstance(name, str):
            continue  # a CSV row's cells beyond the header
        field = _field(name)
        if field not in FIELDS:
            continue
        if from_csv and isinstance(value, str):
            if field in LIST_FIELDS:
                value = _list_value(value)
            elif field == "count":
                value = value.strip()
            elif value == "":
                value = None
        values[field] = value
    return values


def _problem(error: msgspec.ValidationError) -> str:
    """`field: expected ...` from msgspec's message (`Expected int ... - at $.count`)."""
    message = str(error)
    missing = _MISSING.search(message)
    if missing:
        return f"{missing[1]}: expected a value (a required field)"
    at = _AT_FIELD.search(message)
    if at is None:
        return "expected an object with the denial's fields"
    name = at[1]
    return f"{name}{at[2]}: expected {EXPECTED.get(name, 'a text or nothing')}"


def _place(path: Path, place: int | str) -> str:
    """`file:line`, or `file: item n` for an element of a JSON array (built only for errors)."""
    return f"{path}:{place}" if isinstance(place, int) else f"{path}: {place}"


def _checked(row: Denial, path: Path, place: int | str) -> Denial:
    account = row.account_id
    if account is not None and not (len(account) == 12 and account.isascii() and account.isdigit()):
        raise InputError(f"{_place(path, place)}: account_id: expected {EXPECTED['account_id']}")
    return row


def _denial(row: Any, path: Path, place: int | str, from_csv: bool = False) -> Denial:
    if not isinstance(row, dict):
        raise InputError(f"{_place(path, place)}: expected an object with the denial's fields")
    try:
        denial = msgspec.convert(_normalise(row, from_csv), Denial, strict=False)
    except msgspec.ValidationError as error:
        raise InputError(f"{_place(path, place)}: {_problem(error)}") from None
    return _checked(denial, path, place)


def _from_json(text: bytes, path: Path, place: int | str) -> Denial:
    try:
        return _checked(_ROW.decode(text), path, place)
    except msgspec.ValidationError as error:
        # Spelled otherwise, or wrong: the slow path maps the names and names the field.
        problem = error
    except (msgspec.DecodeError, RecursionError) as error:
        raise InputError(f"{_place(path, place)}: expected a JSON object ({error})") from None
    try:
        values = _ANY.decode(text)
    except RecursionError:
        where = _place(path, place)
        raise InputError(f"{where}: expected a JSON object (nested too deep)") from None
    except msgspec.DecodeError:  # a number out of any range, say: the first message says where
        raise InputError(f"{_place(path, place)}: {_problem(problem)}") from None
    return _denial(values, path, place)


def _json_lines(path: Path, stream: BinaryIO) -> Iterator[Denial]:
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        if line.isspace() or not line:
            continue
        yield _from_json(line, path, number)


def _line_of(data: bytes, error: Exception) -> int:
    """The line of the `(byte N)` that msgspec names, else the first."""
    at = re.search(r"\(byte (\d+)\)", str(error))
    return data.count(b"\n", 0, int(at[1])) + 1 if at else 1


def _json_array(path: Path, stream: BinaryIO) -> Iterator[Denial]:
    data = stream.read().removeprefix(BOM)
    try:
        items = msgspec.json.decode(data, type=list[msgspec.Raw])
    except msgspec.ValidationError:
        raise InputError(f"{path}:1: expected a JSON array of denial rows") from None
    except (msgspec.DecodeError, RecursionError) as error:
        line = _line_of(data, error)
        raise InputError(f"{path}:{line}: expected a JSON array ({error})") from None
    for number, item in enumerate(items, start=1):
        yield _from_json(bytes(item), path, f"item {number}")


def _text_lines(path: Path, stream: BinaryIO) -> Iterator[str]:
    for number, line in enumerate(stream, start=1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}:{number}: expected UTF-8 text") from None


def _csv(path: Path, stream: BinaryIO) -> Iterator[Denial]:
    reader = csv.DictReader(_text_lines(path, stream))
    line = 0
    try:
        if not reader.fieldnames:
            return
        names = {_field(name) for name in reader.fieldnames}
        for required in ("event_source", "event_name", "count"):
            if required not in names:
                raise InputError(
                    f"{path}:1: {required}: expected a column of that name in the header"
                )
        line = reader.line_num
        for row in reader:
            yield _denial(row, path, line + 1, from_csv=True)
            line = reader.line_num
    except csv.Error as error:
        raise InputError(f"{path}:{line + 1}: expected CSV ({error})") from None


def _reader(path: Path, stream: io.BufferedReader) -> Iterator[Denial]:
    """The reader that fits the file: by extension, else by its first character."""
    suffix = path.suffix.lower()
    start = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES].removeprefix(BOM).lstrip()[:1]
    if suffix == ".csv":
        return _csv(path, stream)
    if start == b"[":
        return _json_array(path, stream)
    if start == b"{" or suffix in (".jsonl", ".ndjson", ".json"):
        return _json_lines(path, stream)
    return _csv(path, stream)


def iter_denials(path: Path) -> Iterator[Denial]:
    """The denial rows of a JSON Lines, JSON array or CSV file, one at a time."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    with stream:
        try:
            yield from _reader(path, stream)
        except OSError as error:
            raise InputError(f"{path}: cannot read ({error.strerror or error})") from None


def read_denials(path: Path) -> list[Denial]:
    """Every denial row of the file (see `iter_denials`)."""
    return list(iter_denials(path))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return json.dumps(value)
    return str(value)


def _write(denials: list[Denial], stream: TextIO, fmt: Format) -> None:
    if fmt == "jsonl":
        for denial in denials:
            stream.write(_ENCODER.encode(denial).decode() + "\n")
    elif fmt == "json":
        stream.write(msgspec.json.format(_ENCODER.encode(denials), indent=2).decode() + "\n")
    else:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(FIELDS)
        for denial in denials:
            writer.writerow([_csv_cell(value) for value in msgspec.structs.astuple(denial)])


def write_denials(denials: list[Denial], target: Path | TextIO | None, fmt: Format) -> None:
    """Writes the rows to a file (replaced whole) or a stream; None means stdout."""
    if fmt not in FORMATS:
        raise InputError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if target is None:
        _write(denials, sys.stdout, fmt)
        return
    if not isinstance(target, Path):
        _write(denials, target, fmt)
        return
    text = io.StringIO()
    _write(denials, text, fmt)
    write_text(target, text.getvalue())
