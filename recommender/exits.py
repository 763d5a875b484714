"""How every failure of the command ends: one line on standard error and an exit code.

0 done; 1 an outside service (AWS, GitHub) failed; 2 bad input (a file, row, setting, path or
flag); 130 interrupted. The project's own errors (`recommender.errors`) carry their line and
code; what else can escape a command (an `OSError`, a decoder's error, a library's error, a bug)
is mapped here, so that no path ends in a traceback.

Only the standard library is imported: this module is loaded before anything slow, and a
library's error classes are looked up among the modules already loaded (an error of a module
that was never imported cannot have been raised).
"""

import sys
from dataclasses import dataclass

from recommender.errors import RecommenderError

DONE = 0
FAILED = 1
BAD_INPUT = 2
INTERRUPTED = 130

DEBUG_HINT = "run with --debug or SCP_RECOMMENDER_DEBUG=1 for the traceback"

# (module, class) of the errors that outside services' client libraries raise.
SERVICE_ERRORS = (
    ("botocore.exceptions", "BotoCoreError"),
    ("botocore.exceptions", "ClientError"),
    ("pyathena.error", "Error"),
    ("github.GithubException", "GithubException"),
    ("requests.exceptions", "RequestException"),
    ("urllib3.exceptions", "HTTPError"),
)
# (module, class, what the input was expected to be) of the decoders' errors.
DECODER_ERRORS = (
    ("json", "JSONDecodeError", "JSON"),
    ("tomllib", "TOMLDecodeError", "TOML"),
    ("csv", "Error", "CSV"),
    ("msgspec", "DecodeError", "JSON"),
    ("msgspec", "ValidationError", "of the expected shape"),
    ("pydantic", "ValidationError", "of the expected shape"),
)


@dataclass(frozen=True)
class Outcome:
    """The line to print (None: nothing) and the exit code."""

    line: str | None
    code: int


def _interrupted(error: BaseException) -> bool:
    """A signal, even where Python wrapped it: an interrupt during a class's creation comes out
    as "RuntimeError: Error calling __set_name__", with the KeyboardInterrupt as its cause."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def outcome(error: BaseException) -> Outcome:
    """The line and exit code that end the command after `error` escaped it."""
    if _interrupted(error) or _is(error, "click.exceptions", "Abort"):
        return Outcome("interrupted", INTERRUPTED)
    if isinstance(error, SystemExit):
        if isinstance(error.code, str):
            # `sys.exit("message")`: the message, and 1, as Python does
            return Outcome(_line(error.code), FAILED)
        return Outcome(None, error.code if isinstance(error.code, int) else DONE)
    if isinstance(error, RecommenderError):
        return Outcome(_line(str(error)), error.exit_code)
    click_outcome = _click(error)
    if click_outcome is not None:
        return click_outcome
    if isinstance(error, BrokenPipeError):
        # The reader of standard output went away (`| head`): nothing more to say to it.
        return Outcome(None, FAILED)
    if isinstance(error, OSError):
        return _os_error(error)
    if isinstance(error, UnicodeDecodeError):
        return Outcome(
            _line(f"input is not UTF-8 text ({error.reason} at byte {error.start})"), BAD_INPUT
        )
    if isinstance(error, RecursionError):
        return Outcome(_line("input nested too deeply to read"), BAD_INPUT)
    for module, name, expected in DECODER_ERRORS:
        if _is(error, module, name):
            return Outcome(_line(f"input is not {expected}: {error}"), BAD_INPUT)
    if any(_is(error, module, name) for module, name in SERVICE_ERRORS):
        return Outcome(_line(f"{_kind(error)}: {error}"), FAILED)
    if isinstance(error, MemoryError):
        return Outcome(_line("out of memory"), FAILED)
    # a bug, not the user's input: the traceback is what a report of it needs
    return Outcome(_line(f"internal error: {_kind(error)}: {error} ({DEBUG_HINT})"), FAILED)


def _click(error: BaseException) -> Outcome | None:
    click = sys.modules.get("click")
    if click is None:
        return None
    if isinstance(error, click.exceptions.Exit):
        # --help, --version: click printed what was asked
        return Outcome(None, error.exit_code)
    if not isinstance(error, click.ClickException):
        return None
    message = error.format_message()
    if isinstance(error, click.UsageError) and error.ctx is not None:
        message = f"{message} (see '{error.ctx.command_path} --help')"
    return Outcome(_line(message), BAD_INPUT)


def _os_error(error: OSError) -> Outcome:
    """A named file or folder is the user's input; an error without a name is the network's or
    the machine's."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return Outcome(_line(reason), FAILED)
    names = [str(error.filename)]
    if error.filename2 is not None:
        names.append(str(error.filename2))
    return Outcome(_line(f"{' -> '.join(names)}: {reason}"), BAD_INPUT)


def _is(error: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    kind = getattr(loaded, name, None)
    return isinstance(kind, type) and isinstance(error, kind)


def _kind(error: BaseException) -> str:
    return type(error).__name__


def _line(text: str) -> str:
    """`error: text` on one line, with control, bidi and zero-width characters escaped: a file
    name or a value from CloudTrail must not rewrite the terminal."""
    one_line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    shown = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in one_line
    )
    return f"error: {shown}"
