"""Every file and folder the commands write: whole or not at all.

Each text is written to a temporary file beside its target (same folder, so same file system)
and renamed over it only when every text of the write is complete; a folder is filled under a
temporary name beside it and swapped in. A failure removes what was staged and names the target:
a reader never sees half a report, half a policy folder or a mix of old and new policy files.
"""

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from recommender.errors import OutputError


def write_text(path: Path, text: str) -> None:
    """`path` holds `text` (UTF-8, newlines as given), or is left as it was."""
    write_files({path: text})


def append_text(path: Path, text: str) -> None:
    """`path` holds what it held plus `text` (a report appended to $GITHUB_STEP_SUMMARY)."""
    with _naming(path):
        before = path.read_text(encoding="utf-8") if path.exists() else ""
    write_text(path, before + text)


@contextmanager
def streamed_file(path: Path) -> Iterator[BinaryIO]:
    """A binary stream into a staged copy of `path`, renamed over it when the block ends without
    an error and removed otherwise: for a report written as it is made, too large to hold."""
    with _naming(path):
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    staged = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        with _naming(path):
            staged.chmod(_mode_for(path))
            os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def make_folder(path: Path) -> None:
    """`path` and its parents exist as folders."""
    with _naming(path):
        path.mkdir(parents=True, exist_ok=True)


def write_files(files: dict[Path, str]) -> None:
    """Every file written, or none: a failure after some renames puts those files back."""
    with Replacement() as replacement:
        for path, text in files.items():
            replacement.file(path, text)


class Replacement:
    """Files and folders staged beside their targets, renamed into place together on exit.

    Leaving the `with` block by an exception (an error, Ctrl-C) removes everything staged and
    leaves every target as it was.
    """

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []
        self._folders: list[tuple[Path, Path]] = []

    def file(self, path: Path, text: str) -> None:
        with _naming(path):
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged = Path(name)
            self._files.append((staged, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            staged.chmod(_mode_for(path))

    def folder(self, path: Path, fill: Callable[[Path], None]) -> None:
        """`path` will be the folder that `fill` makes of an empty one."""
        staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with _naming(path):
            staged.mkdir()
            self._folders.append((staged, path))
            fill(staged)

    def __enter__(self) -> "Replacement":
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            self._discard()
            return
        try:
            self._commit()
        except BaseException:
            self._discard()
            raise

    def _commit(self) -> None:
        originals: dict[Path, bytes] = {}
        for _, path in self._files:
            with _naming(path):
                if path.exists():
                    originals[path] = path.read_bytes()
        swapped: list[tuple[Path, Path | None]] = []
        replaced: list[Path] = []
        try:
            for staged, path in self._folders:
                swapped.append((path, _swap_in(staged, path)))
            for staged, path in self._files:
                with _naming(path):
                    os.replace(staged, path)
                replaced.append(path)
        except BaseException:
            for path in replaced:
                if path in originals:
                    path.write_bytes(originals[path])
                else:
                    path.unlink()
            for path, old in swapped:
                shutil.rmtree(path, ignore_errors=True)
                if old is not None:
                    os.rename(old, path)
            raise
        for _, old in swapped:
            if old is not None:
                _remove(old)

    def _discard(self) -> None:
        for staged, _ in self._files:
            staged.unlink(missing_ok=True)
        for staged, _ in self._folders:
            shutil.rmtree(staged, ignore_errors=True)


def _swap_in(staged: Path, path: Path) -> Path | None:
    """The staged folder takes `path`'s name; what had it is renamed aside (returned)."""
    with _naming(path):
        if not (path.exists() or path.is_symlink()):
            os.rename(staged, path)
            return None
        old = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
        os.rename(path, old)
        try:
            os.rename(staged, path)
        except BaseException:
            os.rename(old, path)
            raise
        return old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The target's permissions if it exists; else what a plain `open` would give it."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """An `OSError` inside becomes one line naming the target and the system's reason."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputError(f"cannot write {path}: {reason}") from None
