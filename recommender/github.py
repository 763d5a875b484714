"""Publish the proposals as one pull request on GitHub (or GitHub Enterprise), through PyGithub.

Every run rebuilds the branch on the base's current head, one commit per category so that a
reviewer can drop one, and force-updates it. An open pull request for the branch is updated
(title, body, base) instead of opening a second one. Safe calls (GET) are retried with backoff
on server errors and rate limits; writes are not, and every failure becomes a one-line
`PublishError`.
"""

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, TypeVar

import requests
from github import Auth, Consts, Github, GithubException, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GithubException import RateLimitExceededException, UnknownObjectException
from github.GithubObject import NotSet
from github.PullRequest import PullRequest
from github.Repository import Repository

from recommender.config import GitHubSettings
from recommender.errors import PublishError

DEFAULT_API_URL = Consts.DEFAULT_BASE_URL
LABEL_COLOR = "5319e7"
LABEL_DESCRIPTION = "Proposed by scp-recommender"
FILE_MODE = "100644"
# GitHub's rules for owner (user or organization) and repository names.
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
# GitHub asks clients to wait at least a minute after a secondary rate limit without Retry-After.
SECONDARY_RATE_LIMIT_WAIT = 60.0
PERMISSIONS_HINT = "the token needs contents: write and pull-requests: write"

T = TypeVar("T")


@dataclass(frozen=True)
class CategoryCommit:
    """One commit of the branch: the full new text of every file it changes, by repo path."""

    category: str
    message: str
    files: Mapping[str, str]


@dataclass(frozen=True)
class PullRequestDraft:
    """What to publish; `base` None means the repository's default branch."""

    title: str
    body: str
    commits: Sequence[CategoryCommit]
    labels: Sequence[str]
    branch: str
    base: str | None


@dataclass(frozen=True)
class PublishResult:
    action: Literal["opened", "updated", "nothing"]
    number: int | None
    url: str | None
    message: str


@dataclass(frozen=True)
class Backoff:
    """How safe calls are retried: up to `attempts` tries, waits doubling from `first_wait`
    seconds; a rate limit is waited out only when it lifts within `longest_wait` seconds."""

    attempts: int = 4
    first_wait: float = 2.0
    longest_wait: float = 90.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.time)


def github_target_from_env(settings: GitHubSettings) -> tuple[str, str, str | None]:
    """Token, repository and API URL (None for github.com) from settings or the environment."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise PublishError(
            f"GITHUB_TOKEN is not set: {PERMISSIONS_HINT} (or use --dry-run to publish nothing)"
        )
    repository = settings.repository or os.environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise PublishError(
            "no repository to publish to: set github.repository in scp-recommender.toml "
            "or GITHUB_REPOSITORY (owner/name)"
        )
    api_url = settings.api_url or os.environ.get("GITHUB_API_URL") or None
    return token, _checked_repository(repository), _checked_api_url(api_url)


def publish(
    draft: PullRequestDraft,
    *,
    token: str,
    repository: str,
    api_url: str | None = None,
    backoff: Backoff = Backoff(),
    throttle: bool = True,
) -> PublishResult:
    """Commit the draft's files to its branch and open or update its pull request.

    `throttle` keeps PyGithub's pause between requests and between writes (GitHub asks for
    it); tests turn it off.
    """
    commits = [commit for commit in draft.commits if commit.files]
    if not commits:
        return PublishResult(
            "nothing", None, None, "nothing to propose: no pull request opened or updated"
        )
    repository = _checked_repository(repository)
    api_url = _checked_api_url(api_url) or DEFAULT_API_URL
    pacing: dict[str, Any] = (
        {} if throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
    )
    client = Github(auth=Auth.Token(token), base_url=api_url, retry=None, **pacing)
    calls = _Calls(repository, api_url, backoff)
    try:
        repo = calls.read(
            "reading the repository",
            partial(client.get_repo, repository),
            missing=f"repository {repository} not found or not visible to this token",
        )
        base = draft.base or repo.default_branch
        base_head = calls.read(
            f"reading branch {base!r}",
            partial(repo.get_git_ref, f"heads/{base}"),
            missing=f"base branch {base!r} not found in {repository}",
        )
        head = _commit_categories(calls, repo, base_head.object.sha, commits)
        _point_branch(calls, repo, draft.branch, head)
        pull, action = _open_or_update(calls, repo, draft, base)
        _add_labels(calls, repo, pull, draft.labels)
    finally:
        client.close()
    message = (
        f"{action} pull request #{pull.number} ({pull.html_url}): branch {draft.branch} "
        f"rebuilt on {base} with {len(commits)} commit(s)"
    )
    return PublishResult(action, pull.number, pull.html_url, message)


def _checked_repository(repository: str) -> str:
    if not REPOSITORY.fullmatch(repository):
        raise PublishError(f"GitHub repository {repository!r} is not of the form owner/name")
    return repository


def _checked_api_url(api_url: str | None) -> str | None:
    if api_url is None:
        return None
    if not api_url.startswith(("https://", "http://")):
        raise PublishError(f"GitHub API URL {api_url!r} must start with https://")
    # PyGithub recognises github.com only by the exact URL, without a trailing slash.
    return api_url.rstrip("/")


def _commit_categories(
    calls: "_Calls", repo: Repository, base_sha: str, commits: Sequence[CategoryCommit]
) -> str:
    """One commit per category on top of `base_sha`, each tree built on the previous one."""
    parent: GitCommit = calls.read(
        "reading the base commit", partial(repo.get_git_commit, base_sha)
    )
    tree = parent.tree
    for commit in commits:
        elements = [
            InputGitTreeElement(path, FILE_MODE, "blob", content=text)
            for path, text in sorted(commit.files.items())
        ]
        doing = f"committing the {commit.category} changes"
        tree = calls.write(doing, partial(repo.create_git_tree, elements, base_tree=tree))
        parent = calls.write(doing, partial(repo.create_git_commit, commit.message, tree, [parent]))
    return parent.sha


def _point_branch(calls: "_Calls", repo: Repository, branch: str, sha: str) -> None:
    reading = f"reading branch {branch!r}"
    ref = calls.lookup(reading, partial(repo.get_git_ref, f"heads/{branch}"))
    if ref is None:
        created = calls.create(
            f"creating branch {branch!r}", partial(repo.create_git_ref, f"refs/heads/{branch}", sha)
        )
        if created is not None:
            return
        # Another run created it meanwhile: ours replaces it like any earlier run's.
        ref = calls.read(reading, partial(repo.get_git_ref, f"heads/{branch}"))
    calls.write(f"updating branch {branch!r}", partial(ref.edit, sha, force=True))


def _open_or_update(
    calls: "_Calls", repo: Repository, draft: PullRequestDraft, base: str
) -> tuple[PullRequest, Literal["opened", "updated"]]:
    pull = _find_open_pull(calls, repo, draft.branch, base)
    if pull is None:
        opened = calls.create(
            "opening the pull request",
            partial(
                repo.create_pull, base=base, head=draft.branch, title=draft.title, body=draft.body
            ),
        )
        if opened is not None:
            return opened, "opened"
        # GitHub says one is open already: another run opened it since we looked.
        pull = _find_open_pull(calls, repo, draft.branch, base)
        if pull is None:
            raise PublishError(
                f"GitHub says a pull request for {draft.branch} already exists, "
                "but none is open for it"
            )
    new_base = base if pull.base.ref != base else NotSet
    calls.write(
        f"updating pull request #{pull.number}",
        partial(pull.edit, title=draft.title, body=draft.body, base=new_base),
    )
    return pull, "updated"


def _find_open_pull(
    calls: "_Calls", repo: Repository, branch: str, base: str
) -> PullRequest | None:
    """The open pull request from `branch`, preferring one into `base`."""
    head = f"{repo.owner.login}:{branch}"
    pulls = calls.read(
        "listing open pull requests", lambda: list(repo.get_pulls(state="open", head=head))
    )
    # GitHub ignores a `head` filter without its owner and has answered PRs of another branch
    # on the same commit (octokit/octokit.js#2056): check what came back.
    ours = [pull for pull in pulls if pull.head.label.lower() == head.lower()]
    into_base = [pull for pull in ours if pull.base.ref == base]
    return next(iter(into_base or ours), None)


def _add_labels(
    calls: "_Calls", repo: Repository, pull: PullRequest, labels: Sequence[str]
) -> None:
    """Add the labels the pull request lacks, creating those the repository lacks."""
    present = {label.name.lower() for label in pull.labels}
    wanted = [name for name in dict.fromkeys(labels) if name.lower() not in present]
    if not wanted:
        return
    known = calls.read(
        "listing labels", lambda: {label.name.lower() for label in repo.get_labels()}
    )
    for name in wanted:
        if name.lower() not in known:
            calls.create(
                f"creating label {name!r}",
                partial(repo.create_label, name, LABEL_COLOR, LABEL_DESCRIPTION),
            )
    calls.write(f"labelling pull request #{pull.number}", partial(pull.add_to_labels, *wanted))


class _Calls:
    """Runs PyGithub calls: retries the safe ones and turns every failure into a PublishError."""

    def __init__(self, repository: str, api_url: str, backoff: Backoff) -> None:
        self.repository = repository
        self.api_url = api_url
        self.backoff = backoff

    def read(self, doing: str, call: Callable[[], T], *, missing: str | None = None) -> T:
        """A safe call; `missing` is the message when GitHub answers 404."""
        return self._explained(doing, partial(self._retrying, call), missing)

    def lookup(self, doing: str, call: Callable[[], T]) -> T | None:
        """A safe call for something that may not exist: None when GitHub says Not Found."""
        return self._explained(doing, partial(self._retrying, partial(_unless_missing, call)))

    def write(self, doing: str, call: Callable[[], T]) -> T:
        return self._explained(doing, call)

    def create(self, doing: str, call: Callable[[], T]) -> T | None:
        """A write that creates something: None when GitHub says it already exists."""
        return self._explained(doing, partial(_unless_existing, call))

    def _explained(self, doing: str, call: Callable[[], T], missing: str | None = None) -> T:
        try:
            return call()
        except GithubException as error:
            if missing is not None and error.status == 404:
                raise PublishError(missing) from None
            raise self._failure(doing, error) from None
        except requests.RequestException as error:
            raise PublishError(
                f"cannot reach GitHub at {self.api_url} while {doing} ({type(error).__name__})"
            ) from None

    def _retrying(self, call: Callable[[], T]) -> T:
        attempt = 1
        while True:
            try:
                return call()
            except (GithubException, requests.RequestException) as error:
                wait = self._wait_before_retry(error, attempt)
                if wait is None:
                    raise
            self.backoff.sleep(wait)
            attempt += 1

    def _wait_before_retry(self, error: Exception, attempt: int) -> float | None:
        if attempt >= self.backoff.attempts:
            return None
        doubling = self.backoff.first_wait * 2.0 ** (attempt - 1)
        if not isinstance(error, GithubException):
            return doubling
        if _rate_limited(error):
            wait = self._rate_limit_wait(error)
            return wait if wait <= self.backoff.longest_wait else None
        return doubling if error.status >= 500 else None

    def _rate_limit_wait(self, error: GithubException) -> float:
        headers = {name.lower(): value for name, value in (error.headers or {}).items()}
        if headers.get("retry-after", "").isdigit():
            return float(headers["retry-after"])
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            # The reset is given in whole seconds: one more makes sure it has passed.
            return max(float(headers["x-ratelimit-reset"]) - self.backoff.clock(), 0.0) + 1.0
        return SECONDARY_RATE_LIMIT_WAIT

    def _failure(self, doing: str, error: GithubException) -> PublishError:
        status, details, where = error.status, _details(error), f"in {self.repository}"
        if status == 401:
            return PublishError(
                f"GitHub refused the token ({status} {details}): check GITHUB_TOKEN"
            )
        if _rate_limited(error):
            return PublishError(
                f"GitHub rate limit reached while {doing} ({self._when_lifted(error)}): "
                "try again later"
            )
        if status == 403:
            return PublishError(
                f"GitHub denied {doing} {where} (403 {details}): {PERMISSIONS_HINT}"
            )
        if status == 404:
            return PublishError(
                f"GitHub answered 404 {details} while {doing} {where}: {PERMISSIONS_HINT}"
            )
        if status == 422:
            return PublishError(f"GitHub rejected {doing} {where} (422 {details})")
        if status >= 500:
            return PublishError(
                f"GitHub failed while {doing} ({status} {details}): try again later"
            )
        return PublishError(f"GitHub answered {status} {details} while {doing} {where}")

    def _when_lifted(self, error: GithubException) -> str:
        wait = self._rate_limit_wait(error)
        lifted = datetime.fromtimestamp(self.backoff.clock() + wait, UTC)
        return f"lifts at {lifted:%H:%M} UTC"


def _unless_missing(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except UnknownObjectException:
        return None


def _unless_existing(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except GithubException as error:
        if error.status == 422 and "already exist" in _details(error).lower():
            return None
        raise


def _rate_limited(error: GithubException) -> bool:
    return isinstance(error, RateLimitExceededException) or error.status == 429


def _details(error: GithubException) -> str:
    """GitHub's message and the messages of its error entries, on one line."""
    data = error.data
    if not isinstance(data, dict):
        return " ".join(str(data or "").split())[:200] or "no message"
    parts = [str(data.get("message") or "no message")]
    for entry in data.get("errors") or []:
        if isinstance(entry, dict):
            fields = (entry.get("resource"), entry.get("field"), entry.get("code"))
            parts.append(str(entry.get("message") or " ".join(str(f) for f in fields if f)))
        else:
            parts.append(str(entry))
    return ": ".join(parts)
