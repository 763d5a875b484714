"""Publishing through unmodified PyGithub against the fake GitHub on 127.0.0.1."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from recommender.config import GitHubSettings
from recommender.errors import PublishError
from recommender.github import (
    Backoff,
    CategoryCommit,
    PublishResult,
    PullRequestDraft,
    github_target_from_env,
    publish,
)
from tests.fakegithub import FakeGitHub, FakeLabel
from tests.matching import exactly

NOW = 1_800_000_000
BRANCH = "scp-recommender/proposals"
REPO = "octo-org/policies"
PULLS = f"/repos/{REPO}/pulls"
ALLOW = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": ["ec2:*"]}]\n}\n'
)
REGIONS = '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'
BASE_FILES = {"README.md": "SCPs\n", "policies/allow.json": ALLOW, "policies/regions.json": REGIONS}


def allow_with(*actions: str) -> str:
    listed = ", ".join(f'"{action}"' for action in ("ec2:*", *actions))
    return ALLOW.replace('["ec2:*"]', f"[{listed}]")


def draft(week: str = "2026-11-16", *, base: str | None = None) -> PullRequestDraft:
    evidence = f"# Evidence for the week of {week}\n"
    return PullRequestDraft(
        title=f"SCP proposals for the week of {week}",
        body=f"Denied calls of the week of {week}.",
        commits=[
            CategoryCommit(
                "new-service",
                "new-service: allow pipes:*",
                {"policies/allow.json": allow_with("pipes:*"), "docs/scp-evidence.md": evidence},
            ),
            CategoryCommit(
                "new-region",
                "new-region: allow eu-central-2",
                {"policies/regions.json": REGIONS.replace("[]", '["eu-central-2"]')},
            ),
        ],
        labels=["scp-recommender", "aws"],
        branch=BRANCH,
        base=base,
    )


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repository=REPO, files=BASE_FILES) as server:
        yield server


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def run(fake: FakeGitHub, waits: list[float]):
    """Publish to the fake with PyGithub's pacing off and backoff recorded instead of slept."""

    def publish_draft(to_publish: PullRequestDraft, **overrides: object) -> PublishResult:
        target = {"token": fake.token, "repository": REPO, "api_url": fake.url, **overrides}
        backoff = Backoff(attempts=3, first_wait=0.5, sleep=waits.append, clock=lambda: NOW)
        return publish(to_publish, backoff=backoff, throttle=False, **target)  # type: ignore[arg-type]

    return publish_draft


def test_first_run_opens_a_pull_request_with_one_commit_per_category(fake, run):
    base_head = fake.repo.head("main")

    result = run(draft())

    assert result.action == "opened"
    assert result.number == 1
    assert result.url == f"{fake.web_url}/{REPO}/pull/1"
    assert result.message.startswith(f"opened pull request #1 ({result.url})")
    first, second = fake.repo.log(BRANCH, until=base_head)
    assert first.parents == [base_head]
    assert first.message == "new-service: allow pipes:*"
    assert second.message == "new-region: allow eu-central-2"
    after_first = fake.repo.files_at(first.sha)
    assert after_first["policies/allow.json"] == allow_with("pipes:*")
    assert after_first["docs/scp-evidence.md"] == "# Evidence for the week of 2026-11-16\n"
    assert after_first["policies/regions.json"] == REGIONS
    assert fake.repo.read(BRANCH, "policies/regions.json") == REGIONS.replace(
        "[]", '["eu-central-2"]'
    )
    assert fake.repo.read(BRANCH, "README.md") == "SCPs\n"
    assert fake.repo.head("main") == base_head
    (pull,) = fake.repo.pulls.values()
    assert (pull.head, pull.base, pull.state) == (BRANCH, "main", "open")
    assert pull.title == "SCP proposals for the week of 2026-11-16"
    assert pull.body == "Denied calls of the week of 2026-11-16."
    assert pull.labels == ["scp-recommender", "aws"]
    assert fake.repo.labels["aws"].description == "Proposed by scp-recommender"


def test_second_run_updates_the_open_pull_request_and_opens_none(fake, run):
    run(draft("2026-11-16"))
    newer = draft("2026-11-23")
    newer = replace(
        newer,
        commits=[
            replace(
                newer.commits[0],
                files={"policies/allow.json": allow_with("pipes:*", "scheduler:*")},
            )
        ],
    )

    result = run(newer)

    assert (result.action, result.number) == ("updated", 1)
    assert result.message.startswith("updated pull request #1")
    assert len(fake.repo.pulls) == 1
    assert fake.repo.pulls[1].title == "SCP proposals for the week of 2026-11-23"
    assert fake.repo.pulls[1].body == "Denied calls of the week of 2026-11-23."
    (only,) = fake.repo.log(BRANCH, until=fake.repo.head("main"))
    assert only.message == "new-service: allow pipes:*"
    assert fake.repo.read(BRANCH, "policies/allow.json") == allow_with("pipes:*", "scheduler:*")
    assert fake.repo.read(BRANCH, "policies/regions.json") == REGIONS
    assert len(fake.calls("POST", "/pulls")) == 1
    assert fake.calls("PATCH", f"/git/refs/heads/{BRANCH}")[-1].body["force"] is True
    assert fake.repo.pulls[1].labels == ["scp-recommender", "aws"]
    assert len(fake.calls("POST", "/issues/1/labels")) == 1


def test_branch_is_rebuilt_on_the_moved_base(fake, run):
    run(draft())
    moved = fake.repo.commit_files("main", {"policies/sandbox.json": "{}\n"}, "Merge #7")

    run(draft())

    first, second = fake.repo.log(BRANCH, until=moved)
    assert first.parents == [moved]
    assert [first.message, second.message] == [c.message for c in draft().commits]
    assert fake.repo.read(BRANCH, "policies/sandbox.json") == "{}\n"


def test_stale_branch_and_closed_pull_request_do_not_stop_a_new_one(fake, run):
    fake.repo.commit_files(BRANCH, {"policies/allow.json": "old\n"}, "last month")
    fake.repo.add_pull(BRANCH, "main", "merged last month", state="closed")

    result = run(draft())

    assert (result.action, result.number) == ("opened", 2)
    assert fake.repo.log(BRANCH)[-3].sha == fake.repo.head("main")
    assert fake.repo.read(BRANCH, "policies/allow.json") == allow_with("pipes:*")


def test_base_comes_from_the_draft_and_is_updated_when_it_changes(fake, run):
    fake.repo.commit_files("release", {"README.md": "release\n"}, "release branch")

    assert run(draft(base="release")).action == "opened"
    assert fake.repo.pulls[1].base == "release"
    assert fake.repo.log(BRANCH)[-3].sha == fake.repo.head("release")

    assert run(draft()).action == "updated"
    assert fake.repo.pulls[1].base == "main"
    assert run(draft()).action == "updated"
    first, second = (request.body for request in fake.calls("PATCH", f"{PULLS}/1"))
    assert (first["base"], "base" in second) == ("main", False)


def test_nothing_to_propose_opens_nothing_and_calls_nothing(fake, run):
    for empty in ([], [CategoryCommit("new-service", "nothing", {})]):
        result = run(replace(draft(), commits=empty))

        assert result == PublishResult(
            "nothing", None, None, "nothing to propose: no pull request opened or updated"
        )
    assert fake.requests == []
    assert fake.repo.pulls == {}


def test_the_lookup_asks_for_open_pull_requests_of_the_branch_with_its_owner(fake, run):
    run(draft())
    run(draft())

    assert [request.query for request in fake.calls("GET", PULLS)] == [
        {"state": "open", "head": f"octo-org:{BRANCH}"}
    ] * 2


def test_a_pull_request_of_another_branch_on_the_same_commit_is_not_taken_for_ours(fake, run):
    # A reviewer copies the branch and opens a pull request from the copy; GitHub's listing for
    # our branch then holds theirs too (octokit/octokit.js#2056).
    def reviewer_copies_the_branch() -> None:
        fake.repo.refs["refs/heads/reviewer/trim"] = fake.repo.head(BRANCH)
        fake.repo.add_pull("reviewer/trim", "main", "trimmed by a reviewer")

    fake.before_next("GET", PULLS, reviewer_copies_the_branch)

    result = run(draft())

    assert (result.action, result.number) == ("opened", 2)
    assert (fake.repo.pulls[2].head, fake.repo.pulls[2].base) == (BRANCH, "main")
    assert fake.repo.pulls[1].title == "trimmed by a reviewer"
    assert fake.repo.pulls[1].labels == []


@pytest.mark.parametrize("base", ["main", "release"])
def test_the_pull_request_into_the_base_is_updated_not_a_newer_one_into_another(fake, run, base):
    fake.repo.commit_files("release", {"README.md": "release\n"}, "release branch")
    other = "release" if base == "main" else "main"
    assert run(draft(base=base)).number == 1
    fake.repo.add_pull(BRANCH, other, "the same branch into another base")

    result = run(replace(draft("2026-11-23"), base=base))

    assert (result.action, result.number) == ("updated", 1)
    assert (fake.repo.pulls[1].base, fake.repo.pulls[1].title) == (
        base,
        "SCP proposals for the week of 2026-11-23",
    )
    assert (fake.repo.pulls[2].base, fake.repo.pulls[2].title) == (
        other,
        "the same branch into another base",
    )


def test_open_pull_is_found_among_many_and_labels_page(fake, run):
    for number in range(40):
        fake.repo.add_pull(f"feature-{number}", "main", f"feature {number}")
    for number in range(33):
        fake.repo.labels[f"team-{number}"] = FakeLabel(f"team-{number}", "ededed")
    fake.repo.labels["scp-recommender"] = FakeLabel("scp-recommender", "000000")

    opened = run(draft())
    fake.repo.pulls[opened.number].labels.clear()
    updated = run(draft())

    assert (opened.action, updated.action, updated.number) == ("opened", "updated", 41)
    assert [r.query.get("page") for r in fake.calls("GET", "/labels")] == [None, "2"] * 2
    created = [r.body["name"] for r in fake.calls("POST", f"/repos/{REPO}/labels")]
    assert created == ["aws"]
    assert fake.repo.labels["scp-recommender"].color == "000000"
    assert fake.repo.pulls[41].labels == ["scp-recommender", "aws"]


def test_a_wrong_token_is_named(fake, run):
    with pytest.raises(
        PublishError,
        match=exactly("GitHub refused the token (401 Bad credentials): check GITHUB_TOKEN"),
    ):
        run(draft(), token="ghp_revoked")


def test_a_token_without_write_access_changes_nothing(fake, run):
    refs = dict(fake.repo.refs)

    with pytest.raises(
        PublishError,
        match=exactly(
            f"GitHub denied committing the new-service changes in {REPO} "
            "(403 Resource not accessible by integration): "
            "the token needs contents: write and pull-requests: write"
        ),
    ):
        run(draft(), token=fake.read_only_token)
    assert [request.status for request in fake.writes] == [403]
    assert fake.repo.refs == refs
    assert fake.repo.pulls == {}


def test_an_unknown_repository_or_base_is_named(fake, run):
    with pytest.raises(
        PublishError,
        match=exactly("repository octo-org/missing not found or not visible to this token"),
    ):
        run(draft(), repository="octo-org/missing")

    with pytest.raises(PublishError, match=exactly(f"base branch 'trunk' not found in {REPO}")):
        run(draft(base="trunk"))
    assert fake.writes == []


def test_a_rejected_pull_request_gives_github_reasons(fake, run):
    with pytest.raises(
        PublishError,
        match=exactly(
            f"GitHub rejected opening the pull request in {REPO} "
            "(422 Validation Failed: PullRequest title missing_field)"
        ),
    ):
        run(replace(draft(), title=""))


def test_a_pull_request_opened_meanwhile_is_updated_not_duplicated(fake, run):
    def another_run_opens_one() -> None:
        fake.repo.add_pull(BRANCH, "main", "opened by a concurrent run")

    fake.before_next("POST", PULLS, another_run_opens_one)

    result = run(draft())

    assert (result.action, result.number) == ("updated", 1)
    assert [request.status for request in fake.calls("POST", PULLS)] == [422]
    (pull,) = fake.repo.open_pulls()
    assert pull.title == "SCP proposals for the week of 2026-11-16"
    assert pull.labels == ["scp-recommender", "aws"]


def test_a_branch_created_meanwhile_is_replaced(fake, run):
    def another_run_pushes() -> None:
        fake.repo.commit_files(BRANCH, {"policies/allow.json": "theirs\n"}, "concurrent")

    fake.before_next("POST", f"/repos/{REPO}/git/refs", another_run_pushes)

    assert run(draft()).action == "opened"
    assert fake.repo.read(BRANCH, "policies/allow.json") == allow_with("pipes:*")


def test_safe_calls_are_retried_after_server_errors_and_short_rate_limits(fake, run, waits):
    fake.fail_next("GET", f"/repos/{REPO}", 502, "Server Error", times=2)
    fake.rate_limit_next("GET", PULLS, reset_at=NOW + 5)

    assert run(draft()).action == "opened"

    assert waits == [0.5, 1.0, 6.0]


def test_retries_stop_after_the_last_attempt(fake, run, waits):
    fake.fail_next("GET", f"/repos/{REPO}", 502, "Server Error", times=3)

    with pytest.raises(
        PublishError,
        match=exactly(
            "GitHub failed while reading the repository (502 Server Error): try again later"
        ),
    ):
        run(draft())
    assert waits == [0.5, 1.0]


def test_a_long_rate_limit_is_reported_without_waiting(fake, run, waits):
    reset = NOW + 3600
    fake.rate_limit_next("GET", f"/repos/{REPO}", reset_at=reset)

    lifted = datetime.fromtimestamp(reset + 1, UTC)
    with pytest.raises(
        PublishError,
        match=exactly(
            "GitHub rate limit reached while reading the repository "
            f"(lifts at {lifted:%H:%M} UTC): try again later"
        ),
    ):
        run(draft())

    assert waits == []


REPOSITORY_PATH = f"/repos/{REPO}"
RETRY_EDGES = [
    # The reset is given in whole seconds, so the wait is one more: 90 s is Backoff's longest.
    pytest.param(
        lambda fake: fake.rate_limit_next("GET", REPOSITORY_PATH, reset_at=NOW + 89),
        [90.0],
        None,
        id="rate-limit-lifting-at-the-longest-wait",
    ),
    pytest.param(
        lambda fake: fake.rate_limit_next("GET", REPOSITORY_PATH, reset_at=NOW + 90),
        [],
        r"^GitHub rate limit reached while reading the repository",
        id="rate-limit-lifting-one-second-later",
    ),
    pytest.param(
        lambda fake: fake.fail_next("GET", REPOSITORY_PATH, 500, "Whatever"),
        [0.5],
        None,
        id="500",
    ),
    pytest.param(
        lambda fake: fake.fail_next("GET", REPOSITORY_PATH, 499, "Whatever"),
        [],
        r"^GitHub answered 499 Whatever while reading the repository",
        id="499",
    ),
]


@pytest.mark.parametrize(("fail", "waited", "refused"), RETRY_EDGES)
def test_safe_calls_are_retried_up_to_the_edges_of_their_rules(
    fake, run, waits, fail, waited, refused
):
    fail(fake)

    if refused is None:
        assert run(draft()).action == "opened"
    else:
        with pytest.raises(PublishError, match=refused):
            run(draft())

    assert waits == waited


def test_writes_are_not_retried(fake, run, waits):
    fake.fail_next("POST", PULLS, 502, "Server Error")

    with pytest.raises(PublishError, match=r"^GitHub failed while opening the pull request \(502"):
        run(draft())

    assert len(fake.calls("POST", PULLS)) == 1
    assert waits == []


def test_an_unreachable_server_is_named(run, waits):
    with pytest.raises(
        PublishError,
        match=exactly(
            "cannot reach GitHub at http://127.0.0.1:9/api/v3 while reading the repository "
            "(ConnectionError)"
        ),
    ):
        run(draft(), api_url="http://127.0.0.1:9/api/v3")
    assert waits == [0.5, 1.0]


def test_target_comes_from_settings_then_environment(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_token")
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo-org/from-env")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")

    assert github_target_from_env(GitHubSettings()) == (
        "ghs_token",
        "octo-org/from-env",
        "https://ghe.example.com/api/v3",
    )
    settings = GitHubSettings(repository="octo-org/policies", api_url="https://api.github.com")
    assert github_target_from_env(settings) == (
        "ghs_token",
        "octo-org/policies",
        "https://api.github.com",
    )
    monkeypatch.delenv("GITHUB_API_URL")
    assert github_target_from_env(GitHubSettings())[2] is None


@pytest.mark.parametrize(
    ("environment", "settings", "message"),
    [
        ({}, GitHubSettings(repository="o/r"), "GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": "t"}, GitHubSettings(), "no repository to publish to"),
        (
            {"GITHUB_TOKEN": "t"},
            GitHubSettings(repository="policies"),
            "GitHub repository 'policies' is not of the form owner/name",
        ),
        (
            {"GITHUB_TOKEN": "t"},
            GitHubSettings(repository="o/r", api_url="ghe.example.com"),
            "GitHub API URL 'ghe.example.com' must start with https://",
        ),
    ],
)
def test_a_missing_or_malformed_target_is_named(monkeypatch, environment, settings, message):
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(PublishError, match=f"^{message}"):
        github_target_from_env(settings)
