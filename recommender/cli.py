"""The `scp-recommender` command's entry point: it decides, once, how every run ends.

Exit codes and the one-line errors are mapped in `recommender/exits.py`; the command group and
its subcommands live in `recommender/commands/`. This module imports only the standard library
at the top, so that the signal handlers are in place before anything slow is loaded: Ctrl-C or
SIGTERM at any moment (an import, the scan, a poll, the GitHub calls) ends the command with the
one line "interrupted" and exit code 130, never a traceback.
"""

import os
import signal
import sys
import traceback
from types import FrameType

from recommender import exits

DEBUG_VARIABLE = "SCP_RECOMMENDER_DEBUG"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM is handled as Ctrl-C is: the work in progress unwinds (temporary files and
    # staged outputs are removed, workers stopped) and the command says "interrupted".
    raise KeyboardInterrupt


def _default_termination() -> None:
    # A forked process (a scan worker, the classifier's second process) is stopped with SIGTERM
    # by its parent and must die of it at once, as before: a handler in Python would print a
    # traceback, and could never run in a worker stuck in C (a lock copied by the fork).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _exit_at_once(signum: int, frame: FrameType | None) -> None:
    # The outcome is decided and reported: nothing is left to unwind.
    os.write(2, b"interrupted\n")
    os._exit(exits.INTERRUPTED)


# The first thing the command does, before `main` imports click, pydantic and the rest.
for _signal in STOP_SIGNALS:
    signal.signal(_signal, _raise_interrupt)
os.register_at_fork(after_in_child=_default_termination)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (`argv`, default `sys.argv[1:]`) and exit with its code."""
    try:
        code = _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        # a signal while a failure was being reported
        code = _report(exits.outcome(KeyboardInterrupt()), None, debug=False)
    if argv is None:
        # The process's own run is over; a signal during its shutdown ends it at once.
        for stop in STOP_SIGNALS:
            signal.signal(stop, _exit_at_once)
    sys.exit(code)


def _run(args: list[str]) -> int:
    context = None
    try:
        from recommender.commands import cli

        context = cli.make_context("scp-recommender", list(args))
        with context:
            result = cli.invoke(context)
        return result if isinstance(result, int) else exits.DONE
    except BaseException as error:
        flag = context is not None and bool(context.params.get("debug"))
        return _report(exits.outcome(error), error, debug=flag or _debug_from_environment())


def _report(outcome: exits.Outcome, error: BaseException | None, *, debug: bool) -> int:
    if error is not None and debug:
        traceback.print_exception(error, file=sys.stderr)
    if outcome.line is not None:
        print(outcome.line, file=sys.stderr, flush=True)
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
    return outcome.code


def _debug_from_environment() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def _silence_stdout() -> None:
    """Python flushes standard output once more at exit; into a closed pipe that would print
    an error of its own."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
