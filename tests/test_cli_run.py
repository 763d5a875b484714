"""`scp-recommender run` end to end: the local engine over CloudTrail trees, the edits, closure,
and publishing through unmodified PyGithub to the fake GitHub on 127.0.0.1."""

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from github.Requester import Requester

from bench.logtree import TreeSpec, write_tree
from recommender.models import SETTLED
from tests.fakegithub import FakeGitHub
from tests.test_propose import DEMO_LOGS, DEMO_WINDOW, copy_policies, run_cli, snapshot

BRANCH = "scp-recommender/proposals"
EVIDENCE = "docs/scp-evidence.md"
TREE_WINDOW = ("2026-11-01", "2026-11-08")
# The demo week's categories, in commit order, and the policy files each one edits.
DEMO_COMMITS = [
    ("SCP new-service: add bedrock:*, sqs:*", {"sandbox-allow-list.json", "workloads-allow.json"}),
    ("SCP new-prefix: add pipes:*, scheduler:*", {"workloads-allow.json"}),
    ("SCP renamed-action: add billing:GetBillingData", {"workloads-allow.json"}),
    ("SCP new-action: add ssm:StartSession", {"workloads-allow.json"}),
    ("SCP new-region: add ap-southeast-2, us-west-2", {"region-guard.json"}),
    ("SCP global-service: add billing:*, ce:*", {"region-guard.json"}),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week of an organization trail (bench/logtree.py) with a denial in every 20 calls."""
    root = tmp_path_factory.mktemp("trail")
    write_tree(TreeSpec(root=root, start=date(2026, 11, 1), days=7, denial_rate=0.05))
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout of the policies repository, the working directory of the run."""
    checkout = tmp_path / "repo"
    copy_policies(checkout / "policies")
    monkeypatch.chdir(checkout)
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return checkout


@pytest.fixture
def github(repo, monkeypatch) -> Iterator[FakeGitHub]:
    """The fake, holding the checkout's files on `main`; the run's environment points at it."""
    files = {
        path.relative_to(repo).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((repo / "policies").iterdir())
    }
    # PyGithub waits a second between writes, as github.com asks; the fake needs no pause.
    monkeypatch.setattr(Requester, "_Requester__deferRequest", lambda self, verb: None)
    with FakeGitHub(repository="acme/aws-scps", files=files) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo.full_name)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        yield fake


def run_args(logs: Path, window: tuple[str, str], *extra: str) -> list[str]:
    start, end = window
    return [
        "run",
        "--engine",
        "local",
        "--logs",
        str(logs),
        "--start",
        start,
        "--end",
        end,
        "--policies",
        "policies",
        "--quiet",
        *extra,
    ]


def categories(findings_json: str) -> set[str]:
    return {finding["category"] for finding in json.loads(findings_json)["findings"]}


# --- Dry run ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["generated", "demo"])
def test_dry_run_writes_edits_body_and_diff_and_closes_every_finding(source, tree, repo, capsys):
    logs, window = (tree, TREE_WINDOW) if source == "generated" else (DEMO_LOGS, DEMO_WINDOW)
    before = snapshot(repo / "policies")
    code, out, err = run_cli(run_args(logs, window, "--dry-run", "--out-dir", "out"), capsys)
    assert code == 0, err
    assert out == ""
    assert err.splitlines()[-1] == "dry run: nothing published"
    assert snapshot(repo / "policies") == before
    out_dir = repo / "out"
    assert {"policies", "pr-body.md", "changes.diff", "evidence.md", "denials.jsonl"} <= {
        path.name for path in out_dir.iterdir()
    }
    edited = snapshot(out_dir / "policies")
    changed = {name for name in edited if edited[name] != before[name]}
    assert changed, "the trail holds denials that call for edits"
    diff = (out_dir / "changes.diff").read_text(encoding="utf-8")
    assert {line[len("+++ b/policies/") :] for line in diff.splitlines() if line[:4] == "+++ "} == (
        changed
    )
    body = (out_dir / "pr-body.md").read_text(encoding="utf-8")
    assert body.startswith("## scp-recommender: SCP changes for denied calls")
    assert f"**Window** {window[0]} to {window[1]} (end excluded)" in body

    # Closure: the same rows against the edited policies leave nothing to do.
    rows = ["classify", "--denials", "out/denials.jsonl", "--format", "json"]
    code, report, err = run_cli([*rows, "--policies", "policies"], capsys)
    assert code == 0, err
    assert categories(report) - SETTLED, "the original policies leave actionable findings"
    code, report, err = run_cli([*rows, "--policies", "out/policies", "--exit-code"], capsys)
    assert code == 0, err
    assert categories(report) <= SETTLED


def test_the_command_line_gives_real_exit_codes(tree, repo):
    """Through `python -m recommender`: a bad date is one line and exit 2, no traceback."""
    command = [sys.executable, "-m", "recommender"]
    bad = subprocess.run(
        [*command, *run_args(tree, ("2026-11-31", "2026-12-07"), "--dry-run")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: --start") and bad.stderr.count("\n") == 1, bad.stderr
    good = subprocess.run(
        [*command, *run_args(tree, TREE_WINDOW, "--dry-run", "--out-dir", "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert (repo / "out" / "pr-body.md").is_file()


# --- Publishing ---------------------------------------------------------------------------


def test_first_run_opens_a_pull_request_with_a_commit_per_category(github, repo, capsys):
    base = github.repo.head("main")
    code, _, err = run_cli(run_args(DEMO_LOGS, DEMO_WINDOW, "--out-dir", "out"), capsys)
    assert code == 0, err
    (pull,) = github.repo.pulls.values()
    assert (pull.state, pull.head, pull.base) == ("open", BRANCH, "main")
    assert err.splitlines()[-1].startswith(f"opened pull request #{pull.number} (")
    assert pull.title == "SCP proposals: 10 changes for denied calls (2026-11-16 to 2026-11-23)"
    assert pull.body == (repo / "out" / "pr-body.md").read_text(encoding="utf-8")
    assert pull.labels == ["scp-recommender"]

    commits = github.repo.log(BRANCH, until=base)
    assert [commit.message for commit in commits] == [
        *(message for message, _ in DEMO_COMMITS),
        "Evidence for the SCP proposals",
    ]
    expected_files = [
        *({f"policies/{name}" for name in names} for _, names in DEMO_COMMITS),
        {EVIDENCE},
    ]
    previous = github.repo.files_at(base)
    for commit, expected in zip(commits, expected_files, strict=True):
        files = github.repo.files_at(commit.sha)
        changed = {path for path in files if files[path] != previous.get(path)}
        assert changed == expected, commit.message
        previous = files
    for path in (repo / "out" / "policies").iterdir():
        assert previous[f"policies/{path.name}"] == path.read_text(encoding="utf-8")
    assert previous[EVIDENCE] == (repo / "out" / "evidence.md").read_text(encoding="utf-8")


def test_a_second_run_with_new_evidence_updates_the_same_pull_request(github, capsys):
    code, _, err = run_cli(run_args(DEMO_LOGS, ("2026-11-16", "2026-11-18")), capsys)
    assert code == 0, err
    (pull,) = github.repo.pulls.values()
    first_head, first_body = github.repo.head(BRANCH), pull.body
    assert "2026-11-16 to 2026-11-18" in pull.title
    opened = len(github.calls("POST", "/pulls"))

    code, _, err = run_cli(run_args(DEMO_LOGS, DEMO_WINDOW), capsys)
    assert code == 0, err
    assert err.splitlines()[-1].startswith(f"updated pull request #{pull.number} (")
    assert len(github.repo.pulls) == 1 and pull.state == "open"
    assert len(github.calls("POST", "/pulls")) == opened
    assert pull.title == "SCP proposals: 10 changes for denied calls (2026-11-16 to 2026-11-23)"
    assert pull.body != first_body and "2026-11-16 to 2026-11-23" in pull.body
    assert github.repo.head(BRANCH) != first_head
    # Rebuilt on the base: the first run's commits are gone from the branch.
    assert not github.repo.is_ancestor(first_head, github.repo.head(BRANCH))


def test_nothing_to_propose_opens_nothing_and_says_so(github, repo, capsys):
    code, _, err = run_cli(
        run_args(DEMO_LOGS, DEMO_WINDOW, "--dry-run", "--out-dir", "out"), capsys
    )
    assert code == 0, err
    # The policies as the proposals would leave them: nothing is left to propose.
    for path in (repo / "out" / "policies").iterdir():
        (repo / "policies" / path.name).write_bytes(path.read_bytes())
    code, _, err = run_cli(run_args(DEMO_LOGS, DEMO_WINDOW), capsys)
    assert code == 0, err
    assert err.splitlines()[-1] == "nothing to propose: no pull request opened or updated"
    assert github.writes == [] and github.repo.pulls == {}


def test_a_bad_start_date_exits_2_and_publishes_nothing(github, capsys):
    code, out, err = run_cli(run_args(DEMO_LOGS, ("2026-02-30", "2026-03-07")), capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: --start") and err.count("\n") == 1, err
    assert github.requests == []


def test_without_a_token_the_run_stops_before_querying(tree, repo, capsys):
    code, out, err = run_cli(run_args(tree, TREE_WINDOW, "--out-dir", "out"), capsys)
    assert code == 1
    assert out == ""
    assert err.startswith("error: GITHUB_TOKEN is not set") and err.count("\n") == 1, err
    assert "query" not in err
    assert not (repo / "out").exists()


@pytest.mark.parametrize(
    ("token", "repository", "expected"),
    [
        ("ghs_wrong", None, "error: GitHub refused the token (401 Bad credentials)"),
        (FakeGitHub.read_only_token, None, "error: GitHub denied committing the new-service"),
        (None, "acme/elsewhere", "error: repository acme/elsewhere not found or not visible"),
    ],
    ids=["bad-token", "read-only-token", "unknown-repository"],
)
def test_github_failures_exit_1_with_one_line_after_writing_the_outputs(
    token, repository, expected, github, repo, monkeypatch, capsys
):
    if token is not None:
        monkeypatch.setenv("GITHUB_TOKEN", token)
    if repository is not None:
        monkeypatch.setenv("GITHUB_REPOSITORY", repository)
    code, _, err = run_cli(run_args(DEMO_LOGS, DEMO_WINDOW, "--out-dir", "out"), capsys)
    assert code == 1
    assert err.splitlines()[-1].startswith(expected), err
    assert "Traceback" not in err
    assert github.repo.pulls == {}
    # The outputs exist for the artifact upload, whatever GitHub answered.
    assert (repo / "out" / "pr-body.md").is_file()
