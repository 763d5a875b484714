"""A fast reader of CloudTrail files: only the records that carry an `errorCode`, only the fields
the denial query needs.

Decompression is isal (several times faster than zlib). In CloudTrail's own deliveries the few
records with an error are found by searching for `"errorCode"` and only they are decoded
(msgspec, into small structs that skip every other field); any other layout is decoded whole.
A file is read whole (CloudTrail files are small), decoded, and dropped, so memory follows the
largest file, not the data. The rows come out as JSON Lines with the flat columns of
`ROW_COLUMNS`, ready for DuckDB.

A damaged file never stops a scan: whatever fails while reading, decompressing or decoding it
(isal's and zlib's errors, truncation, bad UTF-8, JSON nested deeper than the decoder goes, a shape
that is not CloudTrail's) becomes `UnreadableFile` with the reason, and the caller skips the file
and names it. No document is inflated beyond `MAX_DOCUMENT_BYTES`, so a decompression bomb is
skipped too, without ever being held whole in memory.

Accepted shapes: `{"Records": [...]}` (CloudTrail's delivery format), a bare JSON array, JSON
Lines, each plain or gzipped, and zip archives of those. `scan_file` is the task the worker
processes run: read one local file or S3 object and return its rows, or why it is unreadable.
"""

import io
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import msgspec
from isal import isal_zlib

from recommender.errors import InputError

if TYPE_CHECKING:
    from recommender.sources.logfiles import LogFile

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
ERROR_CODE_KEY = b'"errorCode"'
# CloudTrail's own deliveries are compact and every record starts with its eventVersion.
DELIVERY_START = b'{"Records":[{"eventVersion"'
DELIVERY_END = b"]}"
RECORD_START = b'{"eventVersion"'
NEXT_RECORD = b',{"eventVersion"'
# The most one document (a file, or a member of a zip) may inflate to. CloudTrail writes a file
# per account and region about every five minutes, so a real one is far below this; a file
# beyond it is skipped as damaged, by a read that stops at the limit.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
# msgspec's message when one JSON value is followed by more: the file is JSON Lines.
TRAILING = "trailing characters"
# What inflating damaged gzip raises (isal derives its error from Exception, not OSError; its
# stubs declare it as an instance, hence the cast).
ISAL_ERROR = cast(type[Exception], isal_zlib.IsalError)
INFLATE_ERRORS = (ISAL_ERROR, zlib.error, OSError, EOFError, ValueError)


class SessionIssuer(msgspec.Struct):
    arn: str | None = None


class SessionContext(msgspec.Struct):
    sessionIssuer: SessionIssuer | None = None


class UserIdentity(msgspec.Struct):
    type: str | None = None
    arn: str | None = None
    accountId: str | None = None
    sessionContext: SessionContext | None = None


class Record(msgspec.Struct):
    """The fields of a CloudTrail record that the denial query reads; the rest is skipped."""

    errorCode: str | None = None
    eventVersion: str | None = None
    # Decoded only for the few records that carry an error.
    userIdentity: msgspec.Raw = msgspec.Raw()
    eventTime: str | None = None
    eventSource: str | None = None
    eventName: str | None = None
    awsRegion: str | None = None
    sourceIPAddress: str | None = None
    userAgent: str | None = None
    errorMessage: str | None = None
    eventID: str | None = None
    recipientAccountId: str | None = None


class Envelope(msgspec.Struct):
    Records: list[Record]


class Row(msgspec.Struct):
    """One error record, flat, with the Athena table's column names (lower case)."""

    eventversion: str | None
    useridentity_type: str | None
    useridentity_arn: str | None
    useridentity_accountid: str | None
    sessionissuer_arn: str | None
    eventtime: str | None
    eventsource: str | None
    eventname: str | None
    awsregion: str | None
    sourceipaddress: str | None
    useragent: str | None
    errorcode: str | None
    errormessage: str | None
    eventid: str | None
    recipientaccountid: str | None
    account_id: str | None
    region: str | None
    timestamp: str | None


ROW_COLUMNS: tuple[str, ...] = Row.__struct_fields__

_envelope = msgspec.json.Decoder(Envelope)
_array = msgspec.json.Decoder(list[Record])
_record = msgspec.json.Decoder(Record)
_identity = msgspec.json.Decoder(UserIdentity | None)
_encoder = msgspec.json.Encoder()


class UnreadableFile(Exception):
    """The file is not gzip/zip/JSON of CloudTrail records; the message says why."""


@dataclass(frozen=True)
class Partition:
    """The Athena partition values of a file, from its path (or None: from each record)."""

    account_id: str
    region: str
    day: str


def decompress(data: bytes) -> bytes:
    """Gzip inflated (every member), at most `MAX_DOCUMENT_BYTES`; other bytes as they are."""
    if data[:2] != GZIP_MAGIC:
        return data
    # The gzip trailer's size of the last member: exact for CloudTrail's one-member files, so the
    # first read usually returns everything; only a hint, never trusted for the limit.
    size = min(int.from_bytes(data[-4:], "little"), MAX_DOCUMENT_BYTES) + 1
    # `igzip.decompress` is this reader's readall(); read(size) is the same inflater, bounded.
    reader = isal_zlib._GzipReader(data)  # type: ignore[arg-type]  # bytes are read in place
    parts: list[bytes] = []
    total = 0
    try:
        while part := reader.read(size):
            total += len(part)
            if total > MAX_DOCUMENT_BYTES:
                raise UnreadableFile(f"inflates beyond {MAX_DOCUMENT_BYTES // 2**20} MiB")
            parts.append(part)
            size = MAX_DOCUMENT_BYTES + 1 - total
    except INFLATE_ERRORS as error:
        raise UnreadableFile(f"not valid gzip ({error})") from None
    return b"".join(parts)


def _decode_records(text: bytes) -> list[Record]:
    start = text.lstrip()[:1]
    if start == b"[":
        return _array.decode(text)
    if start == b"{":
        return _decode_objects(text)
    if not start:
        return []
    raise UnreadableFile("not JSON: expected an object, an array or JSON Lines")


def _decode_objects(text: bytes) -> list[Record]:
    """`{"Records": [...]}`, one record alone, or JSON Lines (one record per line)."""
    try:
        return _envelope.decode(text).Records
    except msgspec.ValidationError as error:
        # Anything else wrong with `Records` (not a list, records not objects) is damage.
        if str(error) != "Object missing required field `Records`":
            raise
    except msgspec.DecodeError as error:
        if TRAILING not in str(error):
            raise
        return _json_lines(text)
    try:
        return [_record.decode(text)]
    except msgspec.DecodeError as error:
        if TRAILING not in str(error):
            raise
        return _json_lines(text)


def _json_lines(text: bytes) -> list[Record]:
    return [record for line in text.splitlines() if line.strip() for record in _line(line)]


def _line(line: bytes) -> list[Record]:
    """One line of JSON Lines: a record, or a whole delivery (`{"Records": [...]}`) per line."""
    if b'"Records"' in line[:16]:
        return _envelope.decode(line).Records
    return [_record.decode(line)]


def _documents(data: bytes) -> Iterator[bytes]:
    """The JSON documents inside a file: itself once decompressed, or each member of a zip."""
    if data[:4] != ZIP_MAGIC:
        yield decompress(data)
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                if not member.is_dir():
                    yield decompress(_member(archive, member))
    # What zipfile raises for damage, encryption (RuntimeError) or an unknown compression method.
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,
        NotImplementedError,
    ) as error:
        raise UnreadableFile(f"not a valid zip ({error})") from None


def _member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    with archive.open(member) as stream:
        body = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise UnreadableFile(f"{member.filename} inflates beyond {MAX_DOCUMENT_BYTES // 2**20} MiB")
    return body


def _row(record: Record, partition: Partition | None) -> Row:
    identity = _identity.decode(record.userIdentity) if record.userIdentity else None
    issuer = identity.sessionContext.sessionIssuer if identity and identity.sessionContext else None
    if partition is None:
        day = record.eventTime[:10].replace("-", "/") if record.eventTime else None
        account, region = record.recipientAccountId, record.awsRegion
    else:
        account, region, day = partition.account_id, partition.region, partition.day
    return Row(
        eventversion=record.eventVersion,
        useridentity_type=identity.type if identity else None,
        useridentity_arn=identity.arn if identity else None,
        useridentity_accountid=identity.accountId if identity else None,
        sessionissuer_arn=issuer.arn if issuer else None,
        eventtime=record.eventTime,
        eventsource=record.eventSource,
        eventname=record.eventName,
        awsregion=record.awsRegion,
        sourceipaddress=record.sourceIPAddress,
        useragent=record.userAgent,
        errorcode=record.errorCode,
        errormessage=record.errorMessage,
        eventid=record.eventID,
        recipientaccountid=record.recipientAccountId,
        account_id=account,
        region=region,
        timestamp=day,
    )


def error_rows(data: bytes, partition: Partition | None = None) -> list[Row]:
    """The records of one file's bytes that carry an error code, as flat rows.

    Raises `UnreadableFile`, and nothing else, for a file that is not what it should be.
    """
    try:
        return _error_rows(data, partition)
    except msgspec.ValidationError as error:
        raise UnreadableFile(f"unexpected record shape ({error})") from None
    except msgspec.DecodeError as error:
        raise UnreadableFile(f"not valid JSON ({error})") from None
    except RecursionError:
        raise UnreadableFile("JSON nested too deep to decode") from None


def _error_rows(data: bytes, partition: Partition | None) -> list[Row]:
    rows: list[Row] = []
    for document in _documents(data):
        if ERROR_CODE_KEY not in document:
            # Most deliveries hold no error: a search is far cheaper than decoding.
            _check_complete(document)
            continue
        records = _error_records(document)
        if records is None:
            records = _decode_records(document)
        for record in records:
            if record.errorCode:
                rows.append(_row(record, partition))
    return rows


def _error_records(document: bytes) -> list[Record] | None:
    """The records around each `"errorCode"` of a CloudTrail delivery, found by search and
    decoded alone: the rest is never parsed. None when the document is not laid out as CloudTrail
    writes it, or a cut does not decode as exactly one record (the caller then decodes it all).

    A cut from a record's `{"eventVersion"` to the next `,{"eventVersion"` is one record: those
    bytes cannot occur inside a JSON string (quotes are escaped there), and a cut that starts or
    ends at a nested object is not one balanced JSON value, so it fails to decode.
    """
    body = document.rstrip()
    if not body.startswith(DELIVERY_START) or not body.endswith(DELIVERY_END):
        return None
    last = len(body) - len(DELIVERY_END)
    records: list[Record] = []
    position = body.find(ERROR_CODE_KEY)
    while position != -1:
        start = body.rfind(RECORD_START, 0, position)
        end = body.find(NEXT_RECORD, position, last)
        end = last if end == -1 else end
        try:
            records.append(_record.decode(body[start:end]))
        except msgspec.MsgspecError:
            return None
        position = body.find(ERROR_CODE_KEY, end, last)
    return records


def _check_complete(document: bytes) -> None:
    """A document left undecoded must at least look whole (truncation is the usual damage)."""
    text = document.strip()
    if text and (text[:1] not in b"[{" or text[-1:] not in b"]}"):
        raise UnreadableFile("not JSON or truncated: expected an object, an array or JSON Lines")


def encode_rows(rows: Iterable[Row]) -> bytes:
    """JSON Lines of the rows, for DuckDB's reader."""
    return b"".join(_encoder.encode(row) + b"\n" for row in rows)


def split_s3(location: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix)."""
    rest = location.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(f"--logs: {location!r} names no bucket (expected s3://bucket/prefix)")
    return bucket, prefix.strip("/")


_s3_clients: dict[int, Any] = {}


def s3_client() -> Any:
    """One client per process (workers cannot share the parent's)."""
    client = _s3_clients.get(os.getpid())
    if client is None:
        import boto3

        client = boto3.client("s3")
        _s3_clients[os.getpid()] = client
    return client


def read_location(location: str) -> bytes:
    """The bytes of a local file or an S3 object, at most `MAX_DOCUMENT_BYTES`."""
    if location.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(location)
        try:
            body = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
            data: bytes = body.read(MAX_DOCUMENT_BYTES + 1)
        except (ClientError, BotoCoreError) as error:
            raise UnreadableFile(f"cannot read ({error})") from None
    else:
        try:
            with open(location, "rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
        except OSError as error:
            raise UnreadableFile(f"cannot read ({error.strerror})") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableFile(f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB")
    return data


def scan_file(file: "LogFile") -> tuple[str, bytes, str | None]:
    """Worker task: (location, JSON Lines of its error rows, why it is unreadable or None).

    Only strings and bytes come back, so the result always crosses a process boundary.
    """
    try:
        rows = error_rows(read_location(file.location), file.partition)
    except UnreadableFile as error:
        return file.location, b"", str(error)
    except Exception as error:  # one file's surprise must not end the scan
        return file.location, b"", f"cannot read ({type(error).__name__}: {error})"
    return file.location, encode_rows(rows), None
