"""The stages after the query, shared by `classify`, `propose` and `run`."""

import io
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import msgspec

from recommender import atomic
from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.config import Settings
from recommender.errors import InputError
from recommender.models import Denial, Finding
from recommender.propose import EditPlan, mark_declined, plan_edits
from recommender.render.jsonout import write_json
from recommender.render.markdown import RunContext, pr_title, render_body, render_evidence
from recommender.render.summary import Tally
from recommender.scp.policyset import PolicySet, load_policy_set
from recommender.scp.problems import Problem

# Rows classified at a time: few enough that a chunk's rows and findings stay small beside the
# program, so memory does not grow with the rows. Measured end to end on 100,000 bench rows,
# 10,000 beat 20,000 (3.1 s and 162 MB against 4.1-4.5 s and 241 MB): a chunk of 20,000 is
# large enough for the classifier to fork a second process for it, which costs more than it
# gains when it happens once per chunk.
CHUNK_ROWS = 10_000


class Classification:
    """Findings for a stream of rows, a chunk at a time, with the reviewers' declined proposals
    marked; the summary's figures are counted as they pass."""

    def __init__(self, policies: Path, settings: Settings) -> None:
        self.policy_set = load_policy_set(policies)
        self.tally = Tally()
        self._classifier = Classifier(self.policy_set, load_catalog())
        self._declined = settings.declined

    def chunks(self, rows: Iterable[Denial]) -> Iterator[list[Finding]]:
        today = datetime.now(UTC).date()
        stream = iter(rows)
        while chunk := list(islice(stream, CHUNK_ROWS)):
            findings = self._classifier.classify_all(chunk)
            mark_declined(findings, self._declined, today)
            self.tally.add_rows(len(chunk), sum(row.count for row in chunk))
            self.tally.add(findings)
            yield findings


@dataclass(frozen=True)
class Classified:
    denials: list[Denial]
    findings: list[Finding]
    policy_set: PolicySet
    summary: dict[str, object]


def classify_denials(denials: Iterable[Denial], policies: Path, settings: Settings) -> Classified:
    """Findings for every row, with the reviewers' declined proposals marked."""
    rows = list(denials)
    classification = Classification(policies, settings)
    findings = [finding for chunk in classification.chunks(rows) for finding in chunk]
    return Classified(rows, findings, classification.policy_set, classification.tally.summary())


def size_warnings(policy_set: PolicySet, size_limit: int) -> list[str]:
    """One line per SCP over the size limit: AWS would refuse it as written, yet it is what
    `policies/` says, so it is still evaluated."""
    return [
        str(
            Problem(
                "warning",
                str(policy.path),
                f"{policy.size:,} characters, over the limit of {size_limit:,}; "
                "evaluated as written, but AWS would refuse to save it",
            )
        )
        for policy in policy_set.policies.values()
        if policy.size > size_limit
    ]


@dataclass(frozen=True)
class Proposals:
    plan: EditPlan
    title: str
    body: str
    evidence: str


def prepare_proposals(classified: Classified, settings: Settings, context: RunContext) -> Proposals:
    plan = plan_edits(classified.findings, classified.policy_set, settings)
    findings = classified.findings
    return Proposals(
        plan=plan,
        title=pr_title(findings, context),
        body=render_body(findings, plan, context),
        evidence=render_evidence(findings, plan, context),
    )


def write_out_dir(out_dir: Path, classified: Classified, proposals: Proposals) -> list[Path]:
    """The edited copy of the whole policies folder, the PR body, the diff and the evidence,
    all replaced together once every one of them is written (`recommender.atomic`)."""
    policies_out = out_dir / "policies"
    source = classified.policy_set.directory
    if _overlapping(policies_out.resolve(), source.resolve()):
        # The copy replaces `policies_out`: it would delete the folder it copies from.
        raise InputError(
            f"--out-dir: {policies_out} overlaps the policies folder read ({source}); "
            "choose another output folder"
        )
    files = {
        out_dir / "pr-body.md": proposals.body,
        out_dir / "evidence.md": proposals.evidence,
        out_dir / "changes.diff": proposals.plan.diff(),
        out_dir / "findings.json": _report(classified),
        out_dir / "denials.jsonl": b"".join(
            msgspec.json.encode(denial) + b"\n" for denial in classified.denials
        ).decode(),
    }

    def edited_copy(staged: Path) -> None:
        shutil.copytree(source, staged, dirs_exist_ok=True)
        for change in proposals.plan.written:
            (staged / change.policy).write_text(change.after, encoding="utf-8", newline="")

    atomic.make_folder(out_dir)
    with atomic.Replacement() as replacement:
        replacement.folder(policies_out, edited_copy)
        for path, text in files.items():
            replacement.file(path, text)
    return [policies_out, *files]


def _report(classified: Classified) -> str:
    out = io.BytesIO()
    write_json([classified.findings], lambda: classified.summary, out)
    return out.getvalue().decode()


def _overlapping(first: Path, second: Path) -> bool:
    return first.is_relative_to(second) or second.is_relative_to(first)


def relative_policies_path(policies: Path) -> str:
    """The policies folder as a path inside the repository (the working directory)."""
    resolved = policies.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return policies.name
