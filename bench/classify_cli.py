"""`scp-recommender classify` end to end, as a user runs it, beside the classification alone.

For 10,000, 100,000 and 300,000 distinct denial rows (the generator of bench/classify.py, written
as JSON Lines), the CLI runs in a subprocess with `--format json --output`: rows per second and
the process's peak memory (its own rusage, from wait4). Beside it, the same rows classified in
this process (`Classifier.classify_all`, rows already in memory): what reading, writing and
start-up add. Start-up is the CLI on a file of no rows, and the interpreter, imports and settings
that come before the command's first useful work. Each figure is the best of `--repeat`
runs, with the spread; the machine is shared, so the load average is printed too.

    python bench/classify_cli.py
    python bench/classify_cli.py --sizes 100000 --repeat 5
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.classify import build_rows, write_policy_set  # noqa: E402
from recommender.catalog import load_catalog  # noqa: E402
from recommender.classify import Classifier  # noqa: E402
from recommender.scp.policyset import load_policy_set  # noqa: E402
from recommender.sources.files import read_denials  # noqa: E402

# The targets on the 2-core development machine.
TARGET_ROWS_PER_SECOND = 50_000  # end to end, at 100,000 rows
TARGET_PEAK_MB = 400  # at 300,000 rows
TARGET_START_SECONDS = 0.3

T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_mb: float


# What `classify` does before its first useful work (reading the policies and the rows): the
# interpreter, the command's imports and the settings.
UP_TO_THE_WORK = (
    "from recommender.commands import AppContext; import recommender.commands.classify; "
    "AppContext(None).settings"
)


def run_cli(denials: Path, policies: Path, output: Path) -> Run:
    """One `classify` in a child process: its wall time, CPU time and peak resident memory."""
    command = [
        sys.executable, "-m", "recommender", "classify", "--denials", str(denials),
        "--policies", str(policies), "--format", "json", "--output", str(output),
    ]  # fmt: skip
    return measured(command)


def measured(command: list[str]) -> Run:
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"classify failed with exit code {child.returncode}")
    # ru_maxrss is in KiB on Linux
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def write_rows(size: int, path: Path) -> None:
    rows = build_rows(size, load_catalog())
    encoder = msgspec.json.Encoder()
    path.write_bytes(b"".join(encoder.encode(row) + b"\n" for row in rows))


def classify_alone(policies: Path, denials: Path, repeat: int) -> list[float]:
    """The rows in memory, classified `repeat` times from a cold classifier: seconds each."""
    rows = read_denials(denials)
    catalog = load_catalog()
    times = []
    for _ in range(repeat):
        classifier = Classifier(load_policy_set(policies), catalog)
        started = time.perf_counter()
        classifier.classify_all(rows)
        times.append(time.perf_counter() - started)
    return times


def in_a_fresh_process(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a new interpreter that ends with it: this process stays small, so
    a CLI run it starts does not inherit (and count as its own peak) the memory of the rows."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def spread(values: list[float], rows: int) -> str:
    rates = sorted(rows / value for value in values)
    return f"{rates[-1]:>9,.0f} ({rates[0]:,.0f}-{rates[-1]:,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-classify-cli-") as name:
        folder = Path(name)
        policies = write_policy_set(folder)
        output = folder / "findings.json"
        empty = folder / "none.jsonl"
        empty.write_bytes(b"")
        starts = [run_cli(empty, policies, output) for _ in range(max(args.repeat, 5))]
        firsts = [measured([sys.executable, "-c", UP_TO_THE_WORK]) for _ in range(5)]
        lines = []
        for size in args.sizes:
            denials = folder / f"denials-{size}.jsonl"
            in_a_fresh_process(write_rows, size, denials)
            runs = [run_cli(denials, policies, output) for _ in range(args.repeat)]
            alone = in_a_fresh_process(classify_alone, policies, denials, args.repeat)
            lines.append((size, runs, alone))
            print(f"measured {size:,} rows", file=sys.stderr)

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of runs")
    print(
        "| rows | end to end, rows/s (spread) | rows per CPU s | peak MB "
        "| classification alone, rows/s (spread) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for size, runs, alone in lines:
        peak = max(run.peak_mb for run in runs)
        per_cpu = size / min(run.cpu_seconds for run in runs)
        end_to_end = spread([run.seconds for run in runs], size)
        print(f"| {size:,} | {end_to_end} | {per_cpu:,.0f} | {peak:,.0f} | {spread(alone, size)} |")
    start = min(run.seconds for run in starts)
    start_cpu = min(run.cpu_seconds for run in starts)
    first = min(run.seconds for run in firsts)
    first_cpu = min(run.cpu_seconds for run in firsts)
    print(
        f"to the first useful work (interpreter, imports, settings): {first:.2f} s wall, "
        f"{first_cpu:.2f} s CPU"
    )
    print(
        f"start-up (no rows: imports, settings, catalog, policies, an empty report): "
        f"{start:.2f} s wall, {start_cpu:.2f} s CPU, {max(r.peak_mb for r in starts):.0f} MB"
    )
    verdicts = []
    for size, runs, _ in lines:
        if size == 100_000:
            best = size / min(run.seconds for run in runs)
            verdicts.append(
                f"{best:,.0f} rows/s at 100,000 rows "
                f"(target {TARGET_ROWS_PER_SECOND:,}): "
                f"{'met' if best >= TARGET_ROWS_PER_SECOND else 'NOT met'}"
            )
        if size == 300_000:
            peak = max(run.peak_mb for run in runs)
            verdicts.append(
                f"{peak:,.0f} MB peak at 300,000 rows (target {TARGET_PEAK_MB}): "
                f"{'met' if peak <= TARGET_PEAK_MB else 'NOT met'}"
            )
    verdicts.append(
        f"to the first useful work {first:.2f} s, {first_cpu:.2f} s CPU "
        f"(target {TARGET_START_SECONDS} s): "
        f"{'met' if first <= TARGET_START_SECONDS else 'NOT met (wall)'}"
    )
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
