"""The pull request description: evidence a reviewer can act on without opening the console.

GitHub refuses a body over 65,536 characters. The full evidence always goes to a Markdown file
committed on the branch; the description cuts its longest tables until it fits and links there.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from recommender.models import Category, Finding, replace_row
from recommender.propose import EditPlan, NotProposed
from recommender.render.escape import markdown_code
from recommender.render.summary import by_category

GITHUB_BODY_LIMIT = 65_536
# Room for the note that says where the rest is.
SAFETY_MARGIN = 1_024
SAMPLE_PRINCIPALS = 3
ACTIONABLE_TITLES = {
    Category.NEW_SERVICE: "New services",
    Category.NEW_PREFIX: "New prefixes of services already allowed",
    Category.RENAMED_ACTION: "Actions AWS renamed",
    Category.NEW_ACTION: "New actions of partly allowed services",
    Category.NEW_REGION: "New regions",
    Category.GLOBAL_SERVICE: "Global services missing from a region guard",
}
SETTLED_TITLES = {
    Category.UNKNOWN: "Denied by an SCP, cause undetermined",
    Category.UNKNOWN_ACTION: "Actions the IAM catalog does not know (newer, or forged)",
    Category.GUARDRAIL: "Guardrail hits (deliberate denies, never weakened)",
    Category.ALREADY_ALLOWED: "Already allowed by policies/",
    Category.NOT_SCP: "Not caused by an SCP",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")


@dataclass(frozen=True)
class RunContext:
    """What the run looked at, for the summary line."""

    start: date | None = None
    end: date | None = None
    accounts: Sequence[str] = ()
    regions: Sequence[str] = ()
    engine: str | None = None
    bytes_scanned: int = 0
    cost_usd: float = 0.0
    files_read: int = 0
    files_skipped: int = 0
    # "location: why" of the first files skipped as unreadable.
    skipped_files: Sequence[str] = ()
    denied_calls: int = 0
    redact: bool = False
    evidence_path: str | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def redact(text: str) -> str:
    """E-mail addresses and IP addresses in principal names (session names often hold them)."""
    return IPV6.sub("<ip>", IPV4.sub("<ip>", EMAIL.sub("<email>", text)))


def aggregate(findings: Iterable[Finding]) -> list[Finding]:
    """One row per (category, action, change): counts summed, accounts/regions/samples merged."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for finding in findings:
        change = finding.proposal.key() if finding.proposal else finding.statement
        key = (finding.category, finding.action.lower(), change, finding.declined)
        groups.setdefault(key, []).append(finding)
    return [group[0] if len(group) == 1 else _merged(group) for group in groups.values()]


def _merged(group: list[Finding]) -> Finding:
    first = group[0]
    seen = [f.first_seen for f in group if f.first_seen]
    last = [f.last_seen for f in group if f.last_seen]
    regions = sorted({r for f in group for r in (f.region or "").split(", ") if r})
    row = replace_row(
        first.row,
        count=sum(f.count for f in group),
        principals=tuple(dict.fromkeys(p for f in group for p in f.principals)),
        event_ids=tuple(dict.fromkeys(e for f in group for e in f.event_ids)),
        first_seen=min(seen) if seen else None,
        last_seen=max(last) if last else None,
        region=", ".join(regions) or None,
    )
    accounts = tuple(sorted({account for f in group for account in f.accounts}))
    return replace(first, row=row, accounts=accounts)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _seen(finding: Finding) -> str:
    first = (finding.first_seen or "")[:10]
    last = (finding.last_seen or "")[:10]
    if not first or not last or first == last:
        return markdown_code(first or last)
    return f"{markdown_code(first)} to {markdown_code(last)}"


def _principals(finding: Finding, context: RunContext) -> str:
    names = [p.rpartition(":")[2] for p in finding.principals[:SAMPLE_PRINCIPALS]]
    if context.redact:
        names = [redact(name) for name in names]
    more = len(finding.principals) - SAMPLE_PRINCIPALS
    text = "<br>".join(markdown_code(name) for name in names)
    return text + (f"<br>+{more} more" if more > 0 else "")


def _accounts_cell(finding: Finding) -> str:
    return "<br>".join(markdown_code(account) for account in finding.accounts[:5]) + (
        f"<br>+{len(finding.accounts) - 5} more" if len(finding.accounts) > 5 else ""
    )


def _change(finding: Finding, plan: EditPlan) -> str:
    proposal = finding.proposal
    code = markdown_code
    refusal = plan.refusals.get(proposal) if proposal is not None else None
    if refusal is not None:
        return f"**not proposed**: {code(refusal)}"
    # an unknown-action finding's proposal is shown only where the settings let it be planned
    if proposal is None or (
        finding.category is Category.UNKNOWN_ACTION and proposal not in plan.planned
    ):
        return ""
    change = (
        f"add {code(proposal.add)} to {code(proposal.policy)} {code(proposal.statement)} "
        f"{code(proposal.element)}"
    )
    if finding.declined:
        return f"{change}<br>**declined**: {code(finding.declined)}"
    return change


# Every value below that the project did not write itself goes through `markdown_code`: the
# escaping and its reasons are in render/escape.py. The reason is prose written by the
# classifier, but it quotes the row (its action, region and account), so it is shown as code
# too: GitHub's mentions and issue references act on prose however it is escaped.
def evidence_rows(findings: Sequence[Finding], context: RunContext, plan: EditPlan) -> list[str]:
    rows = [
        "| IAM action | event | calls | accounts | regions | sample principals | seen | change |",
        "|---|---|---:|---|---|---|---|---|",
    ]
    for finding in findings:
        event = f"{finding.event_source.removesuffix('.amazonaws.com')}:{finding.event_name}"
        cells = [
            markdown_code(finding.action),
            markdown_code(event),
            str(finding.count),
            _accounts_cell(finding),
            markdown_code(finding.region or ""),
            _principals(finding, context),
            _seen(finding),
            _change(finding, plan) or markdown_code(finding.reason),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def not_proposed_rows(refusals: Sequence[NotProposed]) -> list[str]:
    """The proposals the last gate refused: the value, where it would have gone, and why."""
    code = markdown_code
    rows = ["| value | category | would go to | why not |", "|---|---|---|---|"]
    for refused in refusals:
        proposal = refused.proposal
        where = f"{code(proposal.policy)} {code(proposal.statement)} {code(proposal.element)}"
        rows.append(
            f"| {code(proposal.add)} | {code(refused.category.value)} | {where} | "
            f"{code(refused.reason)} |"
        )
    return rows


def _table(
    findings: Sequence[Finding], context: RunContext, plan: EditPlan, max_rows: int | None
) -> list[str]:
    shown = findings if max_rows is None else findings[:max_rows]
    return evidence_rows(shown, context, plan) + _more(len(findings) - len(shown), context)


def _more(hidden: int, context: RunContext) -> list[str]:
    """The note under a cut table that says how many rows it left out, and where they are."""
    if hidden <= 0:
        return []
    where = f" in {markdown_code(context.evidence_path)}" if context.evidence_path else ""
    return ["", f"*{hidden} more rows{where}.*"]


def summary_line(findings: Sequence[Finding], context: RunContext) -> str:
    window = (
        f"{context.start} to {context.end} (end excluded)"
        if context.start and context.end
        else "the rows given"
    )
    # the user's own flags or settings, not CloudTrail's strings
    accounts = ", ".join(context.accounts) if context.accounts else "all accounts"
    regions = ", ".join(context.regions) if context.regions else "all regions"
    denied = context.denied_calls or sum(f.count for f in findings)
    parts = [f"**Window** {window}", f"**accounts** {accounts}", f"**regions** {regions}"]
    parts.append(f"**denied calls** {denied:,}")
    if context.engine == "athena":
        scanned = context.bytes_scanned / 1e9
        parts.append(f"**data scanned** {scanned:,.2f} GB (${context.cost_usd:,.4f})")
    elif context.engine == "local":
        parts.append(f"**log files read** {context.files_read:,}{_skipped(context)}")
    return " · ".join(parts)


def _skipped(context: RunContext) -> str:
    if not context.files_skipped:
        return ""
    named = "; ".join(markdown_code(line) for line in context.skipped_files)
    more = context.files_skipped - len(context.skipped_files)
    rest = f"; and {more:,} more" if more > 0 and named else ""
    return f", {context.files_skipped:,} skipped" + (f" ({named}{rest})" if named else "")


def sizes_table(plan: EditPlan) -> list[str]:
    if not plan.changes:
        return []
    lines = [
        "| policy | before | after | limit | status |",
        "|---|---:|---:|---:|---|",
    ]
    for change in plan.changes:
        status = f"**blocked**: {markdown_code(change.problem or '')}" if change.blocked else "ok"
        share = f"{change.size_after / change.size_limit:.0%}"
        lines.append(
            f"| {markdown_code(change.policy)} | {change.size_before:,} | {change.size_after:,} | "
            f"{change.size_limit:,} ({share} used) | {status} |"
        )
    return lines


HOW_TO_REVIEW = """\
<details><summary>How to review, trim or decline</summary>

- Each category is its own commit: drop a commit to drop a category.
- To trim, edit the policy files on this branch; the next run keeps the PR and rebuilds the branch
  from the base, so prefer declining for anything you never want proposed again.
- To decline a proposal for good, add to `scp-recommender.toml` on the base branch:

  ```toml
  [[declined]]
  category = "new-service"       # the section it appears in
  value = "bedrock:*"            # the action, prefix:* or region proposed
  reason = "Bedrock is not approved yet (SEC-123)"
  expires = 2027-06-30           # optional: proposed again from this date on
  ```
- Guardrail hits are reported, never weakened: a deliberate deny stays.
</details>"""


def render_body(
    findings: Sequence[Finding],
    plan: EditPlan,
    context: RunContext,
    limit: int = GITHUB_BODY_LIMIT,
) -> str:
    """The description, cut to fit `limit` by shortening the longest tables first."""
    rows = aggregate(findings)
    max_rows: int | None = None
    while True:
        body = _render(rows, plan, context, max_rows, details=True)
        if len(body) <= limit - SAFETY_MARGIN:
            return body
        longest = max((len(v) for v in by_category(rows).values()), default=0)
        if max_rows is None:
            max_rows = longest
        if max_rows <= 5:
            return _render(rows, plan, context, 5, details=False)[: limit - SAFETY_MARGIN]
        max_rows = max(5, max_rows // 2)


def render_evidence(findings: Sequence[Finding], plan: EditPlan, context: RunContext) -> str:
    """Every row, uncut: committed on the branch beside the edits."""
    return _render(aggregate(findings), plan, context, None, details=True)


def _render(
    rows: Sequence[Finding],
    plan: EditPlan,
    context: RunContext,
    max_rows: int | None,
    details: bool,
) -> str:
    groups = by_category(rows)
    proposed = [f for f in rows if f.category.actionable and f.proposal and not f.declined]
    lines = ["## scp-recommender: SCP changes for denied calls", "", summary_line(rows, context)]
    lines += ["", _headline(groups, plan), ""]
    for note in context.notes:
        lines += [f"> {note}", ""]
    for category, title in ACTIONABLE_TITLES.items():
        items = [f for f in groups.get(category, []) if not f.declined]
        if not items:
            continue
        calls = sum(f.count for f in items)
        counts = f"{_count(len(items), 'row')}, {_count(calls, 'call')}"
        lines += [f"### {title} (`{category.value}`): {counts}", ""]
        lines += _table(items, context, plan, max_rows)
        lines.append("")
    sizes = sizes_table(plan)
    if sizes:
        lines += ["### Policy sizes", "", *sizes, ""]
    if plan.blocked:
        lines += ["### Blocked edits", ""]
        lines += [
            f"- {markdown_code(c.policy)}: {markdown_code(c.problem or '')}; not written."
            for c in plan.blocked
        ]
        lines.append("")
    refusals = plan.not_proposed
    if refusals:
        shown = refusals if max_rows is None else refusals[:max_rows]
        lines += ["### Not proposed (not IAM syntax, or not in the catalog)", ""]
        lines += [*not_proposed_rows(shown), *_more(len(refusals) - len(shown), context), ""]
    if not proposed and not plan.changes:
        lines += ["Nothing to propose: every denial is settled or declined.", ""]
    for category, title in SETTLED_TITLES.items():
        items = groups.get(category, [])
        if items:
            lines += _details(
                f"{title}: {_count(len(items), 'row')}", items, context, plan, max_rows, details
            )
    declined = [f for f in rows if f.declined]
    if declined:
        lines += _details(
            f"Declined: {_count(len(declined), 'row')}", declined, context, plan, max_rows, details
        )
    lines += [HOW_TO_REVIEW, ""]
    return "\n".join(lines)


def _details(
    title: str,
    items: Sequence[Finding],
    context: RunContext,
    plan: EditPlan,
    max_rows: int | None,
    full: bool,
) -> list[str]:
    lines = [f"<details><summary>{title}</summary>", ""]
    if full:
        lines += _table(items, context, plan, max_rows)
    else:
        where = markdown_code(context.evidence_path or "") or "the evidence file"
        lines.append(f"See {where}.")
    return [*lines, "", "</details>", ""]


def _headline(groups: dict[Category, list[Finding]], plan: EditPlan) -> str:
    refused = plan.refusals
    proposed = {
        category: [f for f in items if not f.declined and f.proposal not in refused]
        for category, items in groups.items()
        if category.actionable
    }
    # unknown actions count where the settings let them be proposed
    unknown = [f for f in groups.get(Category.UNKNOWN_ACTION, []) if f.proposal in plan.planned]
    proposed[Category.UNKNOWN_ACTION] = [f for f in unknown if not f.declined]
    counts = [f"{len(items)} {category.value}" for category, items in proposed.items() if items]
    files = len(plan.written)
    if not counts:
        return "No change proposed."
    return f"Proposes {', '.join(counts)}, changing {files} policy file{'s' * (files != 1)}."


def pr_title(findings: Sequence[Finding], context: RunContext) -> str:
    actionable = sum(1 for f in aggregate(findings) if f.category.actionable and not f.declined)
    window = f" ({context.start} to {context.end})" if context.start and context.end else ""
    return f"SCP proposals: {actionable} changes for denied calls{window}"
