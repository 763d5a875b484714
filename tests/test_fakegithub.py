"""The fake GitHub answers PyGithub the way GitHub does where the product depends on it."""

import re

import pytest
from github import Auth, Github, GithubException, InputGitTreeElement
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.fakegithub import FakeGitHub, fake_github_fixture  # noqa: F401 - fixture fake_github


def client(fake: FakeGitHub, token: str | None = None) -> Github:
    return Github(
        auth=Auth.Token(token or fake.token),
        base_url=fake.url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def commit_on(fake: FakeGitHub, branch: str, text: str) -> str:
    repo = client(fake).get_repo(fake.repo.full_name)
    base = repo.get_git_commit(repo.get_git_ref(f"heads/{repo.default_branch}").object.sha)
    blob = repo.create_git_blob(text, "utf-8")
    element = InputGitTreeElement("notes.txt", "100644", "blob", sha=blob.sha)
    tree = repo.create_git_tree([element], base_tree=base.tree)
    commit = repo.create_git_commit(f"add {text}", tree, [base])
    repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
    return commit.sha


def test_credentials_visibility_and_write_access_are_checked(fake_github):
    with pytest.raises(
        BadCredentialsException, match=re.escape('401 {"message": "Bad credentials"}')
    ):
        client(fake_github, "ghp_wrong").get_repo(fake_github.repo.full_name)
    with pytest.raises(UnknownObjectException, match=re.escape('404 {"message": "Not Found"}')):
        client(fake_github).get_repo("octo-org/unknown")
    read_only = client(fake_github, fake_github.read_only_token)
    repo = read_only.get_repo(fake_github.repo.full_name)
    with pytest.raises(
        GithubException,
        match=re.escape('403 {"message": "Resource not accessible by integration"}'),
    ):
        repo.create_label("x", "ededed")


def test_objects_refs_and_contents(fake_github):
    sha = commit_on(fake_github, "feature", "hello\n")
    repo = client(fake_github).get_repo(fake_github.repo.full_name)

    notes = repo.get_contents("notes.txt", ref="feature")
    assert not isinstance(notes, list)
    assert notes.decoded_content == b"hello\n"
    assert repo.get_git_ref("heads/feature").object.sha == sha
    assert [ref.ref for ref in repo.get_git_matching_refs("heads/")] == [
        "refs/heads/feature",
        "refs/heads/main",
    ]
    repo.get_git_ref("heads/main").edit(sha)  # a fast forward
    moved = fake_github.repo.commit_files("main", {"other.txt": "x\n"}, "elsewhere")
    feature = repo.get_git_ref("heads/feature")
    with pytest.raises(
        GithubException,
        match=re.escape('422 {"message": "Update is not a fast forward"}'),
    ):
        feature.edit(fake_github.repo.commit_files("side", {}, "side"))
    feature.edit(moved, force=True)
    assert fake_github.repo.head("feature") == moved
    feature.delete()
    with pytest.raises(UnknownObjectException, match=re.escape('404 {"message": "Not Found"}')):
        repo.get_git_ref("heads/feature")


def test_pull_requests_page_and_refuse_duplicates(fake_github):
    commit_on(fake_github, "feature", "hello\n")
    for number in range(35):
        fake_github.repo.add_pull(f"old-{number}", "main", f"old {number}", state="closed")
    repo = client(fake_github).get_repo(fake_github.repo.full_name)

    pull = repo.create_pull(base="main", head="feature", title="Add notes", body="why")
    with pytest.raises(
        GithubException, match=re.escape('422 {"message": "Validation Failed"')
    ) as raised:
        repo.create_pull(base="main", head="feature", title="again")
    closed = list(repo.get_pulls(state="closed"))

    assert (pull.number, pull.head.ref, pull.base.ref) == (36, "feature", "main")
    assert raised.value.data["errors"][0]["message"] == (
        "A pull request already exists for octo-org:feature."
    )
    assert [p.number for p in closed] == list(range(35, 0, -1))
    assert [r.query.get("page") for r in fake_github.calls("GET", "/pulls")] == [None, "2"]
    assert [p.number for p in repo.get_pulls(head="octo-org:feature")] == [36]
    pull.add_to_labels("scp-recommender")
    assert fake_github.repo.pulls[36].labels == ["scp-recommender"]


def test_injected_failures_come_first(fake_github):
    path = f"/repos/{fake_github.repo.full_name}"
    fake_github.rate_limit_next("GET", path, reset_at=1_800_000_000)
    fake_github.fail_next("GET", path, 502, "Server Error")
    github = client(fake_github)

    with pytest.raises(RateLimitExceededException, match="API rate limit exceeded") as limited:
        github.get_repo(fake_github.repo.full_name)
    with pytest.raises(GithubException, match=re.escape('502 {"message": "Server Error"}')):
        github.get_repo(fake_github.repo.full_name)

    assert (limited.value.headers or {})["x-ratelimit-reset"] == "1800000000"
    assert github.get_repo(fake_github.repo.full_name).default_branch == "main"


def test_pull_request_listing_follows_the_documented_filters_and_githubs_quirks(fake_github):
    feature = commit_on(fake_github, "feature", "hello\n")
    fake_github.repo.refs["refs/heads/copy"] = feature  # another branch on the same commit
    fake_github.repo.commit_files("release", {}, "release branch")
    repo = fake_github.repo
    into_main = repo.add_pull("feature", "main", "feature into main")
    into_release = repo.add_pull("feature", "release", "feature into release")
    copy = repo.add_pull("copy", "main", "copy of feature")
    other = repo.add_pull("other", "main", "another branch")
    closed = repo.add_pull("feature", "main", "last month", state="closed")
    pulls = client(fake_github).get_repo(repo.full_name)

    def listed(**filters: str) -> list[int]:
        return [pull.number for pull in pulls.get_pulls(**filters)]

    newest_first_open = [other.number, copy.number, into_release.number, into_main.number]
    # Documented: `owner:branch`, open by default, newest first; `base` and `state` filter.
    assert listed(head="octo-org:other") == [other.number]
    assert listed(head="OCTO-ORG:other", base="main") == [other.number]
    assert listed(head="octo-org:other", base="release") == []
    assert listed(head="someone-else:other") == []
    assert listed(base="release") == [into_release.number]
    assert listed(state="closed") == [closed.number]
    assert listed(state="all", base="main") == [
        closed.number,
        other.number,
        copy.number,
        into_main.number,
    ]
    # Quirks: a branch's listing holds the PRs of another branch on the same commit, and a
    # `head` without its owner is ignored.
    assert listed(head="octo-org:feature") == [copy.number, into_release.number, into_main.number]
    assert listed(head="feature") == newest_first_open
    assert listed(head="octo-org:feature", state="all", base="main") == [
        closed.number,
        copy.number,
        into_main.number,
    ]


def test_a_second_pull_request_between_the_same_branches_is_refused(fake_github):
    commit_on(fake_github, "feature", "hello\n")
    fake_github.repo.commit_files("release", {}, "release branch")
    pulls = client(fake_github).get_repo(fake_github.repo.full_name)
    into_main = pulls.create_pull(base="main", head="feature", title="into main")
    into_release = pulls.create_pull(base="release", head="feature", title="into release")

    with pytest.raises(
        GithubException, match=re.escape('422 {"message": "Validation Failed"')
    ) as raised:
        into_release.edit(base="main")

    assert raised.value.data["errors"][0]["message"] == (
        "A pull request already exists for base branch 'main' and head branch 'feature'"
    )
    assert (into_main.number, fake_github.repo.pulls[into_release.number].base) == (1, "release")
