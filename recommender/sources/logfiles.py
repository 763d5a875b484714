"""Which CloudTrail files a query needs, found by path alone, before any file is opened.

Both S3 layouts are understood, on disk or in S3:
`AWSLogs/<org-id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/<file>` (organization trail)
and `AWSLogs/<account>/CloudTrail/...` (single account). Only the folders of the wanted
accounts, regions and days are listed; digest and Insight files are never read. Files outside
that layout ("loose" files) are read too, pruned by their CloudTrail file name when they have one.

The partition window ends one day after the event window (see sql/denials.sql): of that extra
day only the files delivered in its first `GRACE` can hold events of the window, so only those
are read.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from recommender.errors import InputError
from recommender.sources.base import QuerySpec
from recommender.sources.reader import Partition, split_s3

GRACE = timedelta(hours=1)
LOG_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".zip")
SKIPPED_FOLDERS = frozenset({"CloudTrail-Digest", "CloudTrail-Insight"})
ORG_FOLDER = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCOUNT_FOLDER = re.compile(r"^\d{12}$")
# <account>_CloudTrail_<region>_<yyyyMMddTHHmmZ>_<unique>.json.gz; digests say CloudTrail-Digest.
FILE_NAME = re.compile(
    r"^(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<stamp>\d{8}T\d{4}Z)_[^.]+\."
)


@dataclass(frozen=True)
class LogFile:
    """A file to read: its location (a path or `s3://bucket/key`), size and partition."""

    location: str
    size: int
    partition: Partition | None = None


class Store(Protocol):
    """A folder tree: local disk or an S3 prefix. Folder names end without a slash."""

    def list(self, folder: str) -> tuple[list[str], list[tuple[str, int]]]:
        """Sub-folder names and (file name, size) pairs directly inside `folder`."""
        ...

    def join(self, folder: str, name: str) -> str: ...


class LocalStore:
    def list(self, folder: str) -> tuple[list[str], list[tuple[str, int]]]:
        folders: list[str] = []
        files: list[tuple[str, int]] = []
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return folders, files
        except OSError as error:
            raise InputError(f"{folder}: cannot list ({error.strerror})") from None
        for entry in sorted(entries, key=lambda entry: entry.name):
            if entry.is_dir():
                folders.append(entry.name)
            elif entry.is_file():
                files.append((entry.name, entry.stat().st_size))
        return folders, files

    def join(self, folder: str, name: str) -> str:
        return os.path.join(folder, name)


class S3Store:
    """`s3://bucket/prefix` listed level by level (a delimiter per level keeps it pruned)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def list(self, folder: str) -> tuple[list[str], list[tuple[str, int]]]:
        prefix = _s3_key(folder, self.bucket)
        prefix = f"{prefix}/" if prefix else ""
        folders: list[str] = []
        files: list[tuple[str, int]] = []
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
        for page in _s3_pages(pages, self.bucket, prefix):
            for common in page.get("CommonPrefixes", []):
                folders.append(common["Prefix"][len(prefix) :].rstrip("/"))
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if name:
                    files.append((name, int(item["Size"])))
        return folders, files

    def join(self, folder: str, name: str) -> str:
        return f"{folder.rstrip('/')}/{name}"


def _s3_key(location: str, bucket: str) -> str:
    return location.removeprefix(f"s3://{bucket}").strip("/")


def _s3_pages(pages: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield from pages
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise InputError(f"s3://{bucket}/{prefix}: cannot list the bucket ({code})") from None
    except BotoCoreError as error:
        raise InputError(f"s3://{bucket}/{prefix}: cannot list the bucket ({error})") from None


def is_log_name(name: str) -> bool:
    return (
        name.endswith(LOG_SUFFIXES)
        and "CloudTrail-Digest" not in name
        and ("CloudTrail-Insight" not in name)
    )


@dataclass(frozen=True)
class Scope:
    """What the query wants, in the terms of paths: accounts, regions and delivery days."""

    accounts: frozenset[str]
    regions: frozenset[str]
    start: date
    end: date

    @classmethod
    def of(cls, spec: QuerySpec) -> "Scope":
        return cls(frozenset(spec.accounts), frozenset(spec.regions), spec.start, spec.end)

    def wants_account(self, account: str) -> bool:
        return not self.accounts or account in self.accounts

    def wants_region(self, region: str) -> bool:
        return not self.regions or region in self.regions

    def days(self) -> list[date]:
        """Delivery days: the window and the day after it (for late deliveries)."""
        count = (self.end - self.start).days + 1
        return [self.start + timedelta(days=offset) for offset in range(count)]

    def wants_delivery(self, delivered: datetime) -> bool:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
        return start <= delivered < end + GRACE

    def wants_file(self, name: str) -> bool:
        """A CloudTrail file name is pruned by account, region and delivery time."""
        match = FILE_NAME.match(name)
        if not match:
            return True
        delivered = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        return (
            self.wants_account(match["account"])
            and self.wants_region(match["region"])
            and self.wants_delivery(delivered)
        )


class Discovery:
    """Walks a store from a root folder and yields the files the scope needs."""

    def __init__(self, store: Store, scope: Scope) -> None:
        self.store = store
        self.scope = scope

    def walk(self, folder: str) -> Iterator[LogFile]:
        folders, files = self.store.list(folder)
        yield from self._loose(folder, files)
        for name in folders:
            path = self.store.join(folder, name)
            if name == "AWSLogs":
                yield from self._awslogs(path)
            elif name not in SKIPPED_FOLDERS:
                yield from self.walk(path)

    def _loose(self, folder: str, files: list[tuple[str, int]]) -> Iterator[LogFile]:
        for name, size in files:
            if is_log_name(name) and self.scope.wants_file(name):
                yield LogFile(self.store.join(folder, name), size)

    def _awslogs(self, folder: str) -> Iterator[LogFile]:
        folders, files = self.store.list(folder)
        yield from self._loose(folder, files)
        for name in folders:
            path = self.store.join(folder, name)
            if ORG_FOLDER.match(name):
                yield from self._awslogs(path)
            elif ACCOUNT_FOLDER.match(name):
                if self.scope.wants_account(name):
                    yield from self._regions(self.store.join(path, "CloudTrail"), name)
            else:
                yield from self.walk(path)

    def _regions(self, folder: str, account: str) -> Iterator[LogFile]:
        regions, _ = self.store.list(folder)
        for region in regions:
            if not self.scope.wants_region(region):
                continue
            for day in self.scope.days():
                day_folder = self.store.join(
                    self.store.join(folder, region), day.strftime("%Y/%m/%d")
                )
                partition = Partition(account, region, day.strftime("%Y/%m/%d"))
                _, files = self.store.list(day_folder)
                for name, size in files:
                    if is_log_name(name) and (day < self.scope.end or self.scope.wants_file(name)):
                        yield LogFile(self.store.join(day_folder, name), size, partition)


def discover(logs: str | Path, spec: QuerySpec, s3_client: Any = None) -> list[LogFile]:
    """The files under `logs` (a folder, a file or `s3://bucket/prefix`) that `spec` needs."""
    scope = Scope.of(spec)
    location = str(logs)
    if location.startswith("s3://"):
        bucket, prefix = split_s3(location)
        if s3_client is None:
            raise InputError("--logs: an s3:// location needs an S3 client")
        return list(
            Discovery(S3Store(s3_client, bucket), scope).walk(f"s3://{bucket}/{prefix}".rstrip("/"))
        )
    path = Path(location)
    if path.is_file():
        return [LogFile(str(path), path.stat().st_size)]
    if not path.is_dir():
        raise InputError(f"--logs: {location}: no such folder or file")
    return list(Discovery(LocalStore(), scope).walk(str(path)))
