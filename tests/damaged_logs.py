"""Damaged CloudTrail files of every kind a real bucket can hold, for the tests that check a scan
survives them: each one's bytes, and whether the reader must skip it (and name it) or read it and
find no denial in it. Every damaged file that is skipped holds a denial, so a reader that half
read one would change the counts."""

import gzip
import io
import json
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# Far beyond the reader's MAX_DOCUMENT_BYTES (256 MiB) once inflated; a few hundred KB on disk.
BOMB_MEMBERS = 300
DEEP = 100_000
ACCOUNT = "111111111111"
REGION = "eu-west-1"
ORG = "o-a1b2c3d4e5"


@dataclass(frozen=True)
class Damage:
    label: str
    body: bytes
    skipped: bool
    suffix: str = ".json.gz"


def denial(moment: str, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111111111111:assumed-role/R/s",
        },
        "eventTime": moment,
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "errorCode": "AccessDenied",
        "errorMessage": "with an explicit deny in a service control policy",
        "eventID": "damaged",
    }
    record.update(fields)
    return record


def _delivery(*records: object) -> bytes:
    return json.dumps({"Records": list(records)}, separators=(",", ":")).encode()


def _flipped(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0xFF
    return bytes(damaged)


def _zip_with_unknown_method(body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("part.json", body)
    data = bytearray(buffer.getvalue())
    # The compression method of the local header (offset 8) and of the central directory entry.
    data[8:10] = (99).to_bytes(2, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    return bytes(data)


def damages(day: date) -> list[Damage]:
    """The kinds of damage, with records of `day` (so that a misread would count)."""
    moment = f"{day.isoformat()}T11:58:00Z"
    good = _delivery(denial(moment))
    packed = gzip.compress(good)
    return [
        # Deflate damaged at its first block (isal: "Invalid deflate block"), late, or cut.
        Damage("early-deflate", packed[:10] + b"\xff" + packed[11:], True),
        Damage("bad-checksum", _flipped(packed, len(packed) - 8), True),
        Damage("truncated", packed[: len(packed) // 2], True),
        Damage("zlib-not-gzip", zlib.compress(good), True),
        Damage("gzip-of-junk", gzip.compress(bytes(range(256)) * 4), True),
        Damage("bomb", gzip.compress(b"\0" * 2**20) * BOMB_MEMBERS, True),
        Damage("empty", b"", False),
        Damage("empty-gzip", gzip.compress(b""), False),
        Damage("bare-array", gzip.compress(b"[]"), False),
        Damage("records-not-a-list", gzip.compress(b'{"Records": "x"}'), False),
        Damage("records-a-string", gzip.compress(b'{"Records": "errorCode"}'), True),
        Damage("records-not-objects", gzip.compress(_delivery(1, "x", None, denial(moment))), True),
        Damage("event-time-a-number", gzip.compress(_delivery(denial(moment, eventTime=5))), True),
        # Read, and kept out of the window by the query: it is not a time.
        Damage(
            "event-time-text", gzip.compress(_delivery(denial(moment, eventTime="soon"))), False
        ),
        Damage(
            "deep-nesting",
            gzip.compress(
                _delivery(denial(moment))[:-3]
                + b',"requestParameters":'
                + b"[" * DEEP
                + b"]" * DEEP
                + b"}]}"
            ),
            True,
        ),
        Damage(
            "deep-array",
            gzip.compress(b"[" * DEEP + json.dumps(denial(moment)).encode() + b"]" * DEEP),
            True,
        ),
        Damage(
            "bad-utf8",
            gzip.compress(_delivery(denial(moment)).replace(b"explicit", b"expl\xff\xfeicit")),
            True,
        ),
        Damage(
            "one-bad-line",
            gzip.compress(json.dumps(denial(moment)).encode() + b"\n{not json}\n"),
            True,
        ),
        Damage("unknown-zip-method", _zip_with_unknown_method(good), True, ".zip"),
    ]


def add_damaged(
    root: Path,
    day: date,
    account: str = ACCOUNT,
    region: str = REGION,
    org: str | None = ORG,
    only: Collection[str] | None = None,
) -> tuple[list[Path], list[Path]]:
    """Every kind of damage (or those labelled `only`) in a day folder of a trail, plus a folder
    named like a log file and a digest file (neither is read); returns (the files to skip, the
    files read and empty)."""
    trail = root / "AWSLogs" / org if org else root / "AWSLogs"
    folder = trail / account / "CloudTrail" / region / day.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = day.strftime("%Y%m%d")
    skipped: list[Path] = []
    empty: list[Path] = []
    for damage in damages(day):
        if only is not None and damage.label not in only:
            continue
        path = folder / f"{account}_CloudTrail_{region}_{stamp}T1200Z_{damage.label}{damage.suffix}"
        path.write_bytes(damage.body)
        (skipped if damage.skipped else empty).append(path)
    (folder / f"{account}_CloudTrail_{region}_{stamp}T1200Z_folder.json.gz").mkdir()
    digest = f"{account}_CloudTrail-Digest_{region}_trail_{region}_{stamp}T1200Z.json.gz"
    (folder / digest).write_bytes(b"\x1f\x8bnot a digest")
    return skipped, empty
