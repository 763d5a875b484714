"""The pull request a run publishes: one commit per category of edits, then the evidence.

Kept apart from `pipeline` so that `classify` and `propose` do not load PyGithub.
"""

from recommender.config import Settings
from recommender.github import CategoryCommit, PullRequestDraft
from recommender.pipeline import Proposals


def github_draft(proposals: Proposals, policies_path: str, settings: Settings) -> PullRequestDraft:
    """One commit per category (its edits), then the evidence file; none when nothing changes."""
    commits: list[CategoryCommit] = []
    written = {change.policy for change in proposals.plan.written}
    previous: dict[str, str] = {}
    for step in proposals.plan.steps:
        files = {
            f"{policies_path}/{name}": text
            for name, text in step.texts.items()
            if name in written and previous.get(name) != text
        }
        previous = dict(step.texts)
        if not files:
            continue
        values = ", ".join(sorted({proposal.add for proposal in step.proposals}))
        message = f"SCP {step.category.value}: add {values}"
        commits.append(CategoryCommit(step.category.value, _shorten(message), files))
    if commits:
        evidence = {settings.github.evidence_path: proposals.evidence}
        commits.append(CategoryCommit("evidence", "Evidence for the SCP proposals", evidence))
    return PullRequestDraft(
        title=proposals.title,
        body=proposals.body,
        commits=commits,
        labels=tuple(settings.github.labels),
        branch=settings.github.branch,
        base=settings.github.base,
    )


def _shorten(message: str, limit: int = 72) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
