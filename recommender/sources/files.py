"""Files of denial rows: JSON Lines, a JSON array or CSV with a header (see the design's
contract). Column names are case-insensitive and the original query's names are accepted, so an
Athena console download (`eventsource,eventname,num_occurrences`) reads as it is.
"""

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import ValidationError

from recommender.atomic import write_text
from recommender.errors import InputError
from recommender.models import Denial

Format = Literal["jsonl", "csv", "json"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "json")

FIELDS = tuple(Denial.model_fields)
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
    "principals": "a list of ARNs",
    "event_ids": "a list of event IDs",
}


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
        except json.JSONDecodeError:
            return text
        return value if isinstance(value, list) else text
    separator = ";" if ";" in text else ","
    return [item.strip() for item in text.split(separator) if item.strip()]


def _normalise(row: dict[str, Any], from_csv: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in row.items():
        if name is None:
            continue
        field = _field(name)
        if field not in Denial.model_fields:
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


def _denial(row: Any, where: str, from_csv: bool = False) -> Denial:
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object with the denial's fields")
    try:
        return Denial.model_validate(_normalise(row, from_csv))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "row"
        name = str(first["loc"][0]) if first["loc"] else ""
        expected = EXPECTED.get(name, "a text or nothing")
        if first["type"] == "missing":
            expected = "a value (a required field)"
        raise InputError(f"{where}: {field}: expected {expected}") from None


def _json_lines(path: Path, text: str) -> Iterator[Denial]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: expected a JSON object ({error.msg})") from None
        yield _denial(row, f"{path}:{number}")


def _json_array(path: Path, text: str) -> Iterator[Denial]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: expected a JSON array ({error.msg})") from None
    if not isinstance(rows, list):
        raise InputError(f"{path}:1: expected a JSON array of denial rows")
    for number, row in enumerate(rows, start=1):
        yield _denial(row, f"{path}: item {number}")


def _csv(path: Path, text: str) -> Iterator[Denial]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return
    names = {_field(name) for name in reader.fieldnames}
    for required in ("event_source", "event_name", "count"):
        if required not in names:
            raise InputError(f"{path}:1: {required}: expected a column of that name in the header")
    line = reader.line_num
    for row in reader:
        yield _denial(row, f"{path}:{line + 1}", from_csv=True)
        line = reader.line_num


def read_denials(path: Path) -> list[Denial]:
    """The denial rows of a JSON Lines, JSON array or CSV file (by extension, else by content)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read ({error})") from None
    suffix = path.suffix.lower()
    start = text.lstrip()[:1]
    if suffix == ".csv":
        return list(_csv(path, text))
    if start == "[":
        return list(_json_array(path, text))
    if start == "{" or suffix in (".jsonl", ".ndjson", ".json"):
        return list(_json_lines(path, text))
    return list(_csv(path, text))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return json.dumps(value)
    return str(value)


def _write(denials: list[Denial], stream: TextIO, fmt: Format) -> None:
    if fmt == "jsonl":
        for denial in denials:
            stream.write(denial.model_dump_json() + "\n")
    elif fmt == "json":
        rows = [denial.model_dump() for denial in denials]
        stream.write(json.dumps(rows, indent=2) + "\n")
    else:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(FIELDS)
        for denial in denials:
            row = denial.model_dump()
            writer.writerow([_csv_cell(row[name]) for name in FIELDS])


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
