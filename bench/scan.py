"""The local engine against the floor of its work: decompressing the files.

Generates a realistic CloudTrail tree (bench/logtree.py; about 1% denials, a few % other
errors), then measures in the same run, on the same files, warm in the page cache:
- `scp-recommender query --engine local` as a whole command, from start to written output;
- `zcat` over every file on all cores (`xargs -P <cores> zcat > /dev/null`);
and prints both throughputs (uncompressed MB/s), their ratio and the query's peak memory.

    python bench/scan.py                 # 500 MB uncompressed
    python bench/scan.py --size-mb 2000 --keep /tmp/tree
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `python bench/scan.py` puts bench/ first on the path, not the project.
sys.path.insert(0, str(ROOT))

from bench.logtree import spec_for_size, write_tree  # noqa: E402


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


def query_command(tree: Path, start: str, end: str, output: Path) -> list[str]:
    """`scp-recommender query --engine local` over `tree` for [start, end), into `output`."""
    return [
        sys.executable,
        "-m",
        "recommender",
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


def local_query(tree: Path, start: str, end: str, output: Path) -> float:
    command = query_command(tree, start, end, output)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the query failed: {done.stderr.strip()}")
    print(f"  {done.stderr.strip().splitlines()[-1]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="uncompressed size of the tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--keep", type=Path, default=None, help="write the tree here and keep it")
    arguments = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    tree = arguments.keep or workspace / "logs"
    try:
        spec = spec_for_size(tree, arguments.size_mb)
        if not (tree / "AWSLogs").is_dir():
            started = time.perf_counter()
            expected = write_tree(spec)
            print(
                f"generated {expected.records:,} records ({expected.denials:,} denials, "
                f"{expected.other_errors:,} other errors) in {time.perf_counter() - started:.1f} s"
            )
        files = sorted(tree.rglob("*.json.gz"))
        size = uncompressed_size(files)
        compressed = sum(path.stat().st_size for path in files)
        cores = os.cpu_count() or 1
        print(
            f"tree: {len(files):,} files, {compressed / 1e6:.0f} MB gzipped, "
            f"{size / 1e6:.0f} MB uncompressed; {cores} cores, "
            f"load average {os.getloadavg()[0]:.1f} (the machine may be shared)"
        )
        zcat_all_cores(files, cores)  # warm the page cache for both
        start = spec.start.isoformat()
        end = (spec.start + timedelta(days=spec.days)).isoformat()
        output = workspace / "denials.jsonl"
        # The same command over a window without files: what every run costs before reading.
        early, late = ((spec.start - timedelta(days=days)).isoformat() for days in (60, 30))
        fixed = min(local_query(tree, early, late, output) for _ in range(arguments.repeat))
        query_times = []
        zcat_times = []
        for _ in range(arguments.repeat):
            query_times.append(local_query(tree, start, end, output))
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            zcat_times.append(zcat_all_cores(files, cores))
        query_rate = size / min(query_times) / 1e6
        zcat_rate = size / min(zcat_times) / 1e6
        print(f"local query : {min(query_times):6.2f} s  {query_rate:7.0f} MB/s (whole command)")
        print(f"zcat x{cores:<5}: {min(zcat_times):6.2f} s  {zcat_rate:7.0f} MB/s (all cores)")
        print(f"ratio       : {query_rate / zcat_rate:.2f}x all-core zcat (target >= 1.0x)")
        scan_rate = size / max(min(query_times) - fixed, 1e-9) / 1e6
        print(
            f"startup     : {fixed:6.2f} s  (the command over an empty window: imports, DuckDB);"
            f" without it the scan runs at {scan_rate:.0f} MB/s, {scan_rate / zcat_rate:.2f}x"
        )
        print(f"peak memory : {peak / 1024:.0f} MB (largest process of the query)")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
