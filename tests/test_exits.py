"""The error model: whatever escapes a command ends in one line and a documented exit code."""

import csv
import errno
import importlib
import json
import tomllib
from pathlib import Path
from typing import Any

import botocore.exceptions
import click
import github
import msgspec
import pydantic
import pytest
import requests

from recommender import exits
from recommender.cli import main
from recommender.errors import ConfigError, OutputError, PublishError, SourceError


def raised(make: Any) -> BaseException:
    try:
        make()
    except BaseException as error:
        return error
    raise AssertionError("nothing raised")


class Row(pydantic.BaseModel):
    count: int


CASES: list[tuple[str, BaseException, int, str]] = [
    ("own bad input", ConfigError("x.toml: query.engine: bad"), 2, "x.toml: query.engine: bad"),
    ("own output", OutputError("cannot write out/x.json: No such file"), 2, "out/x.json"),
    ("own service", SourceError("Athena query failed"), 1, "Athena query failed"),
    ("own publish", PublishError("GitHub said 502"), 1, "GitHub said 502"),
    ("named file", FileNotFoundError(errno.ENOENT, "No such file", "logs/a.gz"), 2, "logs/a.gz"),
    ("rename", OSError(errno.EXDEV, "Cross-device link", "a", None, "b"), 2, "a -> b"),
    ("network", ConnectionResetError(errno.ECONNRESET, "Connection reset"), 1, "reset"),
    ("not utf-8", raised(lambda: b"\xff".decode()), 2, "not UTF-8"),
    ("deep", RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
    ("json", raised(lambda: json.loads("{")), 2, "not JSON"),
    ("msgspec", raised(lambda: msgspec.json.decode(b"[")), 2, "not JSON"),
    ("toml", raised(lambda: tomllib.loads("=")), 2, "not TOML"),
    ("csv", csv.Error("field larger than field limit"), 2, "not CSV"),
    ("pydantic", raised(lambda: Row.model_validate({"count": "x"})), 2, "count"),
    ("boto", botocore.exceptions.NoCredentialsError(), 1, "Unable to locate credentials"),
    ("github", github.GithubException(502, {"message": "Bad gateway"}), 1, "Bad gateway"),
    ("requests", requests.ConnectionError("refused"), 1, "refused"),
    ("usage", click.UsageError("No such option '--x'."), 2, "No such option"),
    ("bug", KeyError("oops"), 1, "internal error: KeyError: 'oops'"),
]


@pytest.mark.parametrize(
    ("error", "code", "named"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_every_class_of_error_is_one_line_and_its_code(
    error: BaseException, code: int, named: str
) -> None:
    outcome = exits.outcome(error)
    assert outcome.code == code
    assert outcome.line is not None and outcome.line.startswith("error: ")
    assert named in outcome.line and "\n" not in outcome.line


def test_interruptions_say_so() -> None:
    for error in (KeyboardInterrupt(), click.exceptions.Abort()):
        assert exits.outcome(error) == exits.Outcome("interrupted", 130)


def test_a_line_shows_control_bidi_and_zero_width_characters_escaped() -> None:
    line = exits.outcome(ConfigError("evi\u202el\x1b[31m\u200b\r\nnext")).line
    assert line == "error: evi\\u202el\\x1b[31m\\u200b; next"


def test_an_unexpected_error_shows_its_traceback_only_when_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the module the command group will import (another test may have imported it afresh)
    classify = importlib.import_module("recommender.commands.classify")

    def broken(path: Path) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(classify, "iter_denials", broken)
    monkeypatch.delenv("SCP_RECOMMENDER_DEBUG", raising=False)
    plain = ["classify", "--denials", str(tmp_path / "d.jsonl")]
    hint = "run with --debug or SCP_RECOMMENDER_DEBUG=1 for the traceback"
    expected = f"error: internal error: ValueError: a bug ({hint})\n"
    for args, environment, traceback in [
        (plain, None, False),
        (["--debug", *plain], None, True),
        (plain, "1", True),
    ]:
        if environment is not None:
            monkeypatch.setenv("SCP_RECOMMENDER_DEBUG", environment)
        with pytest.raises(SystemExit, match=r"^1$"):
            main(args)
        err = capsys.readouterr().err
        assert err.endswith(expected)
        assert ("Traceback (most recent call last)" in err) is traceback
        assert err == expected or traceback


def test_an_interrupt_that_python_wrapped_is_still_an_interrupt() -> None:
    # Python reports a KeyboardInterrupt raised in __set_name__ as a RuntimeError caused by it
    class Interrupting:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    wrapped = raised(lambda: type("Owner", (), {"attribute": Interrupting()}))
    assert isinstance(wrapped, RuntimeError)
    assert exits.outcome(wrapped) == exits.Outcome("interrupted", exits.INTERRUPTED)
    assert exits.outcome(RuntimeError("plain")).code == exits.FAILED
