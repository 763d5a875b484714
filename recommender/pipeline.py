"""The stages after the query, shared by `classify`, `propose` and `run`."""

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from recommender import atomic
from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.config import Settings
from recommender.errors import InputError
from recommender.models import Denial, Finding
from recommender.propose import EditPlan, mark_declined, plan_edits
from recommender.render.jsonout import render_json
from recommender.render.markdown import RunContext, pr_title, render_body, render_evidence
from recommender.render.summary import summarize
from recommender.scp.policyset import PolicySet, load_policy_set


@dataclass(frozen=True)
class Classified:
    denials: list[Denial]
    findings: list[Finding]
    policy_set: PolicySet

    @property
    def summary(self) -> dict[str, object]:
        calls = sum(denial.count for denial in self.denials)
        return summarize(self.findings, len(self.denials), calls)


def classify_denials(denials: list[Denial], policies: Path, settings: Settings) -> Classified:
    """Findings for every row, with the reviewers' declined proposals marked."""
    policy_set = load_policy_set(policies)
    findings = Classifier(policy_set, load_catalog()).classify_all(denials)
    mark_declined(findings, settings.declined, datetime.now(UTC).date())
    return Classified(denials, findings, policy_set)


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
        out_dir / "findings.json": render_json(classified.findings, classified.summary),
        out_dir / "denials.jsonl": "".join(
            json.dumps(denial.model_dump(mode="json")) + "\n" for denial in classified.denials
        ),
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


def _overlapping(first: Path, second: Path) -> bool:
    return first.is_relative_to(second) or second.is_relative_to(first)


def relative_policies_path(policies: Path) -> str:
    """The policies folder as a path inside the repository (the working directory)."""
    resolved = policies.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return policies.name
