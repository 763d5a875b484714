"""Validate policy files as AWS would, plus the checks AWS cannot do (typos, placeholders).

`validate_paths` is what `scp-recommender validate` runs: files and folders (searched
recursively for `*.json`); an `organization.json` is checked against the policy files beside it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from recommender.scp.catalog_checks import check_actions
from recommender.scp.catalog_protocol import ActionCatalog
from recommender.scp.model import Policy
from recommender.scp.organization import FILE_NAME, read_organization
from recommender.scp.parse import read_policy
from recommender.scp.placeholders import find_placeholders
from recommender.scp.positions import line_column
from recommender.scp.problems import Problem

DEFAULT_SIZE_LIMIT = 10_240
DEFAULT_MAX_ATTACHED = 10


def validate_policy(
    path: Path, catalog: ActionCatalog | None = None, size_limit: int = DEFAULT_SIZE_LIMIT
) -> list[Problem]:
    """Every problem of one policy file; without a catalog, action names are not checked."""
    parsed = read_policy(path)
    if parsed.policy is None:
        return parsed.problems
    return [*parsed.problems, *check_policy(parsed.policy, catalog, size_limit)]


def check_policy(
    policy: Policy, catalog: ActionCatalog | None, size_limit: int = DEFAULT_SIZE_LIMIT
) -> list[Problem]:
    """The checks beyond the grammar: placeholders, size and (with a catalog) action names."""
    problems = check_placeholders(policy)
    if policy.size > size_limit:
        problems.append(
            Problem(
                "error",
                str(policy.path),
                f"{policy.size:,} characters, over the limit of {size_limit:,} "
                "(whitespace counts: remove indentation or split the policy)",
            )
        )
    if catalog is not None:
        problems.extend(check_actions(policy, catalog))
    return problems


def check_placeholders(policy: Policy) -> list[Problem]:
    problems = []
    for placeholder in find_placeholders(policy.text):
        line, column = line_column(policy.text, placeholder.offset)
        times = f" ({placeholder.count} times)" if placeholder.count > 1 else ""
        problems.append(
            Problem(
                "warning",
                str(policy.path),
                f"placeholder {placeholder.text} is not substituted{times}",
                line,
                column,
            )
        )
    return problems


@dataclass
class ValidationReport:
    files: list[Path] = field(default_factory=list)
    rcps: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]


def validate_paths(
    paths: Iterable[Path],
    catalog: ActionCatalog | None = None,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    max_attached: int = DEFAULT_MAX_ATTACHED,
) -> ValidationReport:
    """Every file under `paths`, its problems in file order, and which files are RCPs."""
    report = ValidationReport(files=sorted(set(_json_files(paths))))
    for file in report.files:
        if file.name == FILE_NAME:
            names = {sibling.name for sibling in file.parent.glob("*.json")} - {FILE_NAME}
            _, found = read_organization(file, names, max_attached)
            report.problems.extend(found)
            continue
        parsed = read_policy(file)
        report.problems.extend(parsed.problems)
        if parsed.policy is not None:
            report.problems.extend(check_policy(parsed.policy, catalog, size_limit))
            if parsed.policy.kind == "rcp":
                report.rcps.append(file)
    return report


def _json_files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from (file for file in path.rglob("*.json") if file.is_file())
        else:
            yield path
