"""The local engine against the floor of its work: decompressing the files on every core.

For each size (default 300 MB and 2 GB of uncompressed logs) a realistic CloudTrail tree is
generated (bench/logtree.py; about 1% denials, a few % other errors) or reused (`--trees`), and
measured in the same run, on the same files, warm in the page cache, runs interleaved so that
both sides see the same load:
- `scp-recommender query --engine local`, the whole command, from start to written output;
- `zcat` over every file, one process per core (`xargs -P <cores> zcat > /dev/null`);
- start-up: the same command over a window without files (imports, settings, DuckDB);
- the damage handling: the reader alone (one process, every file, CPU time) as it is and as it
  was at `--baseline` (before files that fail in any way were skipped and inflation was bounded).
One table per run: medians with the spread (min-max) of `--repeat` runs, and the targets.

    python bench/scan.py
    python bench/scan.py --sizes 300 --repeat 7 --trees /tmp/trees
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
# `python bench/scan.py` puts bench/ first on the path, not the project.
sys.path.insert(0, str(ROOT))

from bench.logtree import spec_for_size, write_tree  # noqa: E402
from recommender.sources import reader  # noqa: E402
from recommender.sources.scan import available_cores  # noqa: E402

# Whole-command throughput over all-core zcat, per size (issue 12); damage handling's cost.
TARGETS = {300: 1.0, 2000: 1.3}
DAMAGE_COST_LIMIT = 0.05
BASELINE = "56f7f07"  # the reader before damaged files of any kind were skipped


def uncompressed_size(files: list[Path]) -> int:
    """Sum of the gzip trailers' sizes (each file is below 4 GiB)."""
    total = 0
    for path in files:
        with path.open("rb") as handle:
            handle.seek(-4, os.SEEK_END)
            total += int.from_bytes(handle.read(4), "little")
    return total


def zcat_all_cores(files: list[Path], cores: int) -> float:
    names = b"\0".join(str(path).encode() for path in files)
    started = time.perf_counter()
    subprocess.run(
        ["xargs", "-0", "-P", str(cores), "-n", "32", "zcat"],
        input=names,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def query_command(
    tree: Path, start: str, end: str, output: Path, settings: Path | None = None
) -> list[str]:
    """`scp-recommender query --engine local` over `tree` for [start, end), into `output`."""
    config = ["--config", str(settings)] if settings else []
    return [
        sys.executable,
        "-m",
        "recommender",
        *config,
        "query",
        "--engine",
        "local",
        "--logs",
        str(tree),
        "--start",
        start,
        "--end",
        end,
        "--output",
        str(output),
    ]


def local_query(
    tree: Path, start: str, end: str, output: Path, settings: Path | None = None
) -> float:
    command = query_command(tree, start, end, output, settings)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the query failed: {done.stderr.strip()}")
    return elapsed


def baseline_reader(revision: str, folder: Path) -> ModuleType:
    """recommender/sources/reader.py as it was at `revision`, loaded beside today's."""
    text = subprocess.run(
        ["git", "show", f"{revision}:recommender/sources/reader.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = folder / "baseline_reader.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_reader", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_all(error_rows: Callable[[bytes], object], contents: list[bytes]) -> float:
    """CPU seconds: on a shared machine the wall clock of one process swings by a third."""
    started = time.process_time()
    for data in contents:
        error_rows(data)
    return time.process_time() - started


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def measure(tree: Path, size_mb: int, repeat: int, old: ModuleType, cores: int) -> list[str]:
    spec = spec_for_size(tree, size_mb)
    if not (tree / "AWSLogs").is_dir():
        started = time.perf_counter()
        write_tree(spec)
        print(f"generated {tree} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    files = sorted(tree.rglob("*.json.gz"))
    size = uncompressed_size(files)
    start = spec.start.isoformat()
    end = (spec.start + timedelta(days=spec.days)).isoformat()
    early, late = ((spec.start - timedelta(days=days)).isoformat() for days in (60, 30))
    output = tree.parent / f"denials-{size_mb}.jsonl"
    # Start-up is timed on a window with no files, which the query refuses unless told that an
    # empty window is expected.
    empty_allowed = tree.parent / "empty-window.toml"
    empty_allowed.write_text("[query]\nallow_empty = true\n", encoding="utf-8")
    zcat_all_cores(files, cores)  # warm the page cache for both
    query, zcat, startup, ratios = [], [], [], []
    for _ in range(repeat):
        zcat.append(zcat_all_cores(files, cores))
        query.append(local_query(tree, start, end, output))
        startup.append(local_query(tree, early, late, output, empty_allowed))
        ratios.append(zcat[-1] / query[-1])
    contents = [path.read_bytes() for path in files]
    before, after = [], []
    for _ in range(repeat):
        before.append(read_all(old.error_rows, contents))
        after.append(read_all(reader.error_rows, contents))
    cost = [now / then - 1 for now, then in zip(after, before, strict=True)]
    target = TARGETS.get(size_mb)
    median = statistics.median(ratios)
    verdict = "-" if target is None else ("met" if median >= target else "NOT met")
    damage = "met" if statistics.median(cost) <= DAMAGE_COST_LIMIT else "NOT met"
    mb = size / 1e6
    return [
        f"| {mb:,.0f} MB, {len(files):,} files | whole command | {spread(query)} s | "
        f"{mb / statistics.median(query):,.0f} MB/s | {spread(ratios)}x zcat | "
        f">= {target}x: {verdict} |",
        f"| | zcat x{cores} | {spread(zcat)} s | {mb / statistics.median(zcat):,.0f} MB/s | | |",
        f"| | start-up (empty window) | {spread(startup)} s | | | |",
        f"| | reader alone, before | {spread(before)} CPU s | "
        f"{mb / statistics.median(before):,.0f} MB/s | | |",
        f"| | reader alone, now | {spread(after)} CPU s | "
        f"{mb / statistics.median(after):,.0f} MB/s | "
        f"cost {statistics.median(cost):+.1%} ({min(cost):+.1%} to {max(cost):+.1%}) | "
        f"<= {DAMAGE_COST_LIMIT:.0%}: {damage} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 2000], help="MB each")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, interleaved")
    parser.add_argument("--trees", type=Path, default=None, help="keep the trees here")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old reader")
    arguments = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    cores = available_cores()
    try:
        old = baseline_reader(arguments.baseline, workspace)
        rows = []
        for size_mb in arguments.sizes:
            tree = (arguments.trees or workspace) / f"logs-{size_mb}"
            rows += measure(tree, size_mb, arguments.repeat, old, cores)
        load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
        runs = f"medians (min-max) of {arguments.repeat} runs"
        print(f"{cores} cores; {runs}; uptime: {load.strip()}")
        print("| tree | measured | time | throughput | ratio | target |")
        print("|---|---|---:|---:|---|---|")
        print("\n".join(rows))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
