"""Actions checked against the IAM catalog: a name AWS does not know is likely a typo.

AWS Organizations accepts any `service:action` string, so a name missing from the catalog is not
invalid as such: it may be retired (`awsbillingconsole:*`) or newer than the catalog. It is an
error when a known name is one edit away (a typo: `lamda:*`, `ec2:DescribeInstance`), and a
warning otherwise.
"""

from collections.abc import Callable, Iterator

from recommender.scp.catalog_protocol import ActionCatalog
from recommender.scp.model import Policy
from recommender.scp.patterns import has_wildcard
from recommender.scp.positions import line_column
from recommender.scp.problems import Problem, Severity


def check_actions(policy: Policy, catalog: ActionCatalog) -> list[Problem]:
    problems: list[Problem] = []
    for statement in policy.statements:
        where = statement.reference
        patterns = statement.actions if statement.actions is not None else statement.not_actions
        for pattern in patterns or ():
            finding = _unknown(pattern, catalog)
            if finding is None:
                continue
            severity, reason = finding
            offset = policy.text.find(f'"{pattern}"', statement.offset)
            line, column = line_column(policy.text, offset + 1 if offset >= 0 else statement.offset)
            problems.append(
                Problem(severity, str(policy.path), f'{where}: "{pattern}" {reason}', line, column)
            )
    return problems


def _unknown(pattern: str, catalog: ActionCatalog) -> tuple[Severity, str] | None:
    """(severity, reason) when the catalog knows no action that the pattern covers."""
    prefix, colon, name = pattern.partition(":")
    if not colon or set(pattern) <= {"*"}:
        return None
    prefix = prefix.lower()
    if not has_wildcard(prefix) and not catalog.prefix_exists(prefix):
        if _near(prefix, lambda variant: catalog.pattern_matches_any(f"{variant}:*")):
            return "error", f'names an unknown service prefix "{prefix}" (a typo?)'
        return "warning", (
            f'names service prefix "{prefix}", which is not in the IAM catalog '
            "(retired, or newer than the catalog)"
        )
    if catalog.pattern_matches_any(f"{prefix}:{name}"):
        return None
    what = "covers no action" if has_wildcard(name) else "is not an action"
    if _near(name, lambda variant: catalog.pattern_matches_any(f"{prefix}:{variant}")):
        return "error", f"{what} of the IAM catalog; a known name is one letter away (a typo?)"
    return "warning", f"{what} of the IAM catalog (retired, or newer than the catalog)"


def _near(name: str, known: Callable[[str], bool]) -> bool:
    return any(known(variant) for variant in _one_edit(name))


def _one_edit(name: str) -> Iterator[str]:
    """Patterns covering every name one edit away: substitution, insertion, deletion, swap."""
    for index in range(len(name) + 1):
        yield f"{name[:index]}?{name[index:]}"
        if index < len(name):
            yield f"{name[:index]}?{name[index + 1 :]}"
            if len(name) > 1:
                yield name[:index] + name[index + 1 :]
        if index + 1 < len(name):
            yield name[:index] + name[index + 1] + name[index] + name[index + 2 :]
