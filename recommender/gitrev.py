"""A folder as a git revision holds it, copied out so that the folder readers can read it.

git runs with an argument list (no shell), the revision is resolved to a commit before use, and
`--end-of-options` keeps a revision that starts with `-` from being read as an option.
"""

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recommender.errors import InputError


def _git(folder: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InputError(f"{folder}: cannot run git: {error}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{folder}: git {args[0]} failed: {reason[-1] if reason else 'no reason'}")
    return done.stdout


def resolve(folder: Path, revision: str, field: str = "--previous") -> str:
    """The commit id `revision` names in the repository that holds `folder`."""
    try:
        output = _git(folder, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}")
    except InputError:
        raise InputError(
            f"{field}: {revision!r} is not a commit of the repository holding {folder}"
        ) from None
    return output.decode().strip()


@contextmanager
def folder_at(folder: Path, revision: str) -> Iterator[Path | None]:
    """A temporary copy of the `*.json` files `folder` held at `revision` (None: no such folder)."""
    commit = resolve(folder, revision)
    names = _git(folder, "ls-tree", "-z", "--name-only", commit, "--", "./").split(b"\0")
    files = [name.decode() for name in names if name.endswith(b".json")]
    with tempfile.TemporaryDirectory(prefix="scp-previous-") as copy:
        if not files:
            yield None
            return
        for name in files:
            (Path(copy) / name).write_bytes(_git(folder, "show", f"{commit}:./{name}"))
        yield Path(copy)
