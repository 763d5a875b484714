"""recommender.atomic: every write is whole or absent, whichever file-system call fails."""

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recommender import atomic
from recommender.errors import OutputError

# The calls through which the module touches the file system.
CALLS = [(os, "replace"), (os, "rename"), (os, "mkdir"), (tempfile, "mkstemp"), (os, "fdopen")]


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under root, hidden (staged) ones too: a file's bytes, None for a folder."""
    return {
        path.relative_to(root).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


def replace_out_dir(out: Path) -> None:
    """What `run --out-dir` does: a policies folder and two files, replaced together."""

    def fill(staged: Path) -> None:
        (staged / "a.json").write_text('{"new": 1}\n', encoding="utf-8")
        (staged / "b.json").write_text('{"new": 2}\n', encoding="utf-8")

    with atomic.Replacement() as replacement:
        replacement.folder(out / "policies", fill)
        replacement.file(out / "pr-body.md", "new body\n")
        replacement.file(out / "changes.diff", "new diff\n")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "a.json").write_text('{"old": 1}\n', encoding="utf-8")
    (folder / "policies" / "stale.json").write_text('{"old": 3}\n', encoding="utf-8")
    (folder / "pr-body.md").write_text("old body\n", encoding="utf-8")
    return folder


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, BaseException], list[str]]:
    """Makes the n-th file-system call raise; returns the names of the calls made."""

    def arm(at: int, fault: BaseException) -> list[str]:
        made: list[str] = []
        for module, name in CALLS:
            real = getattr(module, name)

            def call(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                made.append(_name)
                if len(made) == at:
                    raise fault
                return _real(*args, **kwargs)

            monkeypatch.setattr(module, name, call)
        return made

    return arm


def count_calls(out: Path, failing: Callable[[int, BaseException], list[str]]) -> int:
    copy = out.with_name("probe")
    shutil.copytree(out, copy)
    made = failing(0, OSError())
    replace_out_dir(copy)
    return len(made)


def test_a_complete_write_replaces_everything(out: Path) -> None:
    replace_out_dir(out)
    assert snapshot(out) == {
        "changes.diff": b"new diff\n",
        "policies": None,
        "policies/a.json": b'{"new": 1}\n',
        "policies/b.json": b'{"new": 2}\n',
        "pr-body.md": b"new body\n",
    }


@pytest.mark.parametrize(
    "fault",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
    ids=["disk-full", "interrupted"],
)
def test_any_failing_call_leaves_everything_as_it_was(
    out: Path, failing: Callable[[int, BaseException], list[str]], fault: BaseException
) -> None:
    total = count_calls(out, failing)
    assert total >= 8
    before = snapshot(out)
    for at in range(1, total + 1):
        made = failing(at, fault)
        with pytest.raises((OutputError, KeyboardInterrupt)):
            replace_out_dir(out)
        assert snapshot(out) == before, f"call {at} ({made[at - 1]}) left a change"


def test_an_os_error_names_the_target_and_the_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    cases = {
        tmp_path / "missing" / "x.json": "No such file or directory",
        tmp_path / "file" / "x.json": "Not a directory",
    }
    for target, reason in cases.items():
        with pytest.raises(OutputError, match=f"^{re.escape(f'cannot write {target}: {reason}')}$"):
            atomic.write_text(target, "{}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_a_new_file_follows_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic.write_text(tmp_path / "new.txt", "a")
    finally:
        os.umask(previous)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640
    kept = tmp_path / "kept.sh"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o751)
    atomic.write_text(kept, "new")
    assert (kept.read_text(encoding="utf-8"), kept.stat().st_mode & 0o777) == ("new", 0o751)


def test_append_keeps_what_was_there(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    atomic.append_text(summary, "one\n")
    atomic.append_text(summary, "two\n")
    assert summary.read_text(encoding="utf-8") == "one\ntwo\n"
