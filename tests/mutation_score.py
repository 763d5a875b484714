"""The mutation score per module, after `mutmut run` (`make mutate` runs both).

Reads mutmut's results (mutants/**/*.py.meta) and the mutants declared equivalent, with a reason,
in tests/mutation_equivalents.txt (`<mutant name>  <reason>` per line). Prints, per module, the
mutants killed among the non-equivalent ones and lists every survivor not declared equivalent.
Exits 1 when a module scores under the target, or when a declared mutant no longer exists.
"""

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
TARGET = 0.90
# mutmut's exit codes of a mutant's test run (mutmut/stats.py).
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {36, 24, -24, 152}


def equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant name -> why it cannot change behaviour."""
    declared: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            declared[name] = reason.strip()
    return declared


def results(mutants: Path = MUTANTS) -> dict[str, dict[str, int | None]]:
    """Module path -> mutant name -> exit code of its tests (None: not run)."""
    found: dict[str, dict[str, int | None]] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = meta.relative_to(mutants).as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if codes:
            found[module] = codes
    return found


def report(found: dict[str, dict[str, int | None]], declared: dict[str, str]) -> list[str]:
    """One line per module, then the survivors; the last line is `ok` or what fails."""
    lines: list[str] = []
    failing: list[str] = []
    survivors: list[str] = []
    for module, codes in found.items():
        count: Counter[str] = Counter()
        for name, code in codes.items():
            if name in declared:
                count["equivalent"] += 1
            elif code in KILLED or code in TIMEOUT:
                count["killed"] += 1
            else:
                count["other" if code not in SURVIVED else "survived"] += 1
                survivors.append(f"  {name} (exit {code})")
        judged = count["killed"] + count["survived"] + count["other"]
        score = count["killed"] / judged if judged else 1.0
        lines.append(
            f"{module}: {score:.1%} of {judged} non-equivalent mutants killed "
            f"({count['survived'] + count['other']} survive, {count['equivalent']} equivalent, "
            f"{len(codes)} in all)"
        )
        if score < TARGET:
            failing.append(module)
    unknown = sorted(set(declared) - {name for codes in found.values() for name in codes})
    if survivors:
        lines += ["survivors not declared equivalent:", *survivors]
    if unknown:
        lines += ["declared equivalent but not generated:", *(f"  {name}" for name in unknown)]
    if failing or unknown:
        lines.append(f"under {TARGET:.0%}: {', '.join(failing) or 'none'}")
    else:
        lines.append("ok")
    return lines


def main() -> int:
    lines = report(results(), equivalents())
    print("\n".join(lines))
    return 0 if lines[-1] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
