"""`make fuzz`: every Hypothesis test in this folder, each for an equal share of FUZZ_SECONDS.

Hypothesis has no time budget, so a target is called again and again, each call a batch of the
"fuzz" profile's `max_examples` drawn afresh (with the saved failures of .hypothesis/ replayed
first), until its share of the time would be overrun by one more batch. A failure ends the loop
and fails the test with Hypothesis's shrunk example, which the next run replays. Without
FUZZ_SECONDS (as in `make test`) each target runs once, at the profile's budget. A target is a
plain `@given` test in a `test_fuzz_*.py` file here; nothing else needs registering.
"""

import os
import time

import pytest
from hypothesis import settings

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "0"))
_shares: dict[str, float] = {}
_runs: list[str] = []


def _is_target(item: pytest.Item) -> bool:
    return isinstance(item, pytest.Function) and hasattr(item.obj, "hypothesis")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    targets = [item.nodeid for item in items if _is_target(item)]
    for nodeid in targets:
        _shares[nodeid] = FUZZ_SECONDS / len(targets)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    share = _shares.get(pyfuncitem.nodeid, 0.0)
    if not share:
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    started = time.monotonic()
    batches = 0
    while True:
        batch_started = time.monotonic()
        pyfuncitem.obj(**arguments)
        batches += 1
        now = time.monotonic()
        if now + (now - batch_started) > started + share:
            break
    examples = batches * settings().max_examples
    took = now - started
    _runs.append(f"{pyfuncitem.nodeid}: {batches} batches, <= {examples:,} examples, {took:.0f} s")
    return True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _runs:
        terminalreporter.write_line(f"fuzzed {line}")
