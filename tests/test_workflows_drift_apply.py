"""The workflow parts of drift and apply: apply.yml (plan, then apply in an environment), the
drift job of policies.yml, and the drift step of the weekly run. Their scripts are executed as
the runner would (tests/test_workflows.py's helpers), with a recorder in place of the CLI, and
apply.yml's apply step once for real against moto's Organizations server."""

import os
from typing import Any

import pytest

from tests.test_drift_apply import DOCUMENTS, NAMES, Org, drift_by_hand, merge_edits
from tests.test_drift_apply import org as org  # the fixture, for the end-to-end step
from tests.test_workflows import (
    APPLY,
    MAIN,
    MAIN_STEP,
    POLICIES,
    VENV_BIN,
    _git,
    _recorded,
    _recorder_checkout,
    execute,
    load_workflow,
    run_step,
    schedule_context,
)

BEFORE = "0123456789abcdef0123456789abcdef01234567"


def push_context(before: str = BEFORE, variables: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "vars": variables or {},
        "github": {"event_name": "push", "run_id": "1", "event": {"before": before}},
    }


# --- apply.yml: what it declares -------------------------------------------------------------


def test_apply_runs_on_pushes_to_the_default_branch_that_touch_policies():
    triggers = load_workflow(APPLY)["on"]
    assert triggers == {"push": {"branches": ["main"], "paths": ["policies/**"]}}


def test_apply_plans_with_the_read_role_then_applies_in_its_environment():
    jobs = load_workflow(APPLY)["jobs"]
    assert list(jobs) == ["plan", "apply"]
    plan, apply = jobs["plan"], jobs["apply"]
    assert apply["needs"] == "plan", "nothing is applied before the plan is shown"
    assert plan["environment"] == "scp-recommender-read"
    assert apply["environment"] == "scp-recommender-apply", "where approvals are required"
    for job in (plan, apply):
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        (checkout,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        assert checkout["with"]["fetch-depth"] == 0, "the commit before the push is needed"
    roles = {
        name: [
            step["with"]["role-to-assume"]
            for step in job["steps"]
            if "configure-aws-credentials" in step.get("uses", "")
        ]
        for name, job in jobs.items()
    }
    assert roles == {
        "plan": ["${{ vars.SCP_RECOMMENDER_READ_ROLE_ARN }}"],
        "apply": ["${{ vars.SCP_RECOMMENDER_APPLY_ROLE_ARN }}"],
    }
    assert "SCP_RECOMMENDER_APPLY_ROLE_ARN" in plan["if"], "off until the apply role is set"


def test_apply_never_cancels_a_run_in_progress():
    assert load_workflow(APPLY)["concurrency"]["cancel-in-progress"] is False


# --- apply.yml: the scripts -----------------------------------------------------------------


@pytest.mark.parametrize("before", [BEFORE, "main; touch pwned $(id)"], ids=["sha", "hostile"])
def test_plan_passes_the_commit_before_the_push_and_writes_the_summary(tmp_path, before):
    checkout, record = _recorder_checkout(tmp_path)
    summary = tmp_path / "summary.md"
    result = execute(
        run_step(APPLY, "Plan"),
        cwd=checkout,
        context=push_context(before),
        extra_env={
            "RECORD_FILE": str(record),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_STEP_SUMMARY": str(summary),
        },
    )
    assert result.returncode == 0, result.stderr
    assert [call["argv"] for call in _recorded(record)] == [
        ["apply", "--plan", "--previous", before]
    ]
    assert summary.read_text().startswith("### scp-recommender apply --plan\n\n~~~diff\n")
    assert not (checkout / "pwned").exists()


def test_apply_step_passes_the_commit_before_the_push(tmp_path):
    checkout, record = _recorder_checkout(tmp_path)
    result = execute(
        run_step(APPLY, "Apply"),
        cwd=checkout,
        context=push_context(),
        extra_env={"RECORD_FILE": str(record)},
    )
    assert result.returncode == 0, result.stderr
    assert [call["argv"] for call in _recorded(record)] == [["apply", "--previous", BEFORE]]


def test_the_apply_step_applies_a_merge_to_moto(org: Org, capsys):
    """The step's own command line, the real CLI, the commit before the push from git."""
    before = _git(org.repo, "rev-parse", "HEAD")
    edited = merge_edits(org, "region-guard")
    (org.repo / ".venv").symlink_to(VENV_BIN.parent)
    endpoint = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    result = execute(
        run_step(APPLY, "Apply"), cwd=org.repo, context=push_context(before), extra_env=endpoint
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"applied: update region-guard.json ({org.ids['region-guard']})" in result.stdout
    assert org.live("region-guard") == edited["region-guard"]
    assert all(org.live(name) == DOCUMENTS[name] for name in NAMES if name != "region-guard")


# --- policies.yml: the drift job ------------------------------------------------------------


def test_the_drift_job_runs_the_base_commit_never_the_pull_requests_code():
    job = load_workflow(POLICIES)["jobs"]["drift"]
    (checkout,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["environment"] == "scp-recommender-read"
    compare = run_step(POLICIES, "Compare")
    assert compare.condition == "${{ hashFiles('policies/organization.json') != '' }}"


def test_the_drift_job_fails_only_as_the_settings_say(tmp_path):
    checkout, record = _recorder_checkout(tmp_path)
    result = execute(
        run_step(POLICIES, "Compare"),
        cwd=checkout,
        context={"github": {}},
        extra_env={"RECORD_FILE": str(record)},
    )
    assert result.returncode == 0, result.stderr
    assert [call["argv"] for call in _recorded(record)] == [
        ["sync-policies", "--check", "--on-drift", "pull-request", "--out", "policies"]
    ]


# --- scp-recommender.yml: drift before the run ----------------------------------------------

DRIFT_STEP = "Check drift (AWS Organizations against policies/)"


def test_the_weekly_run_checks_drift_first():
    (job,) = load_workflow(MAIN)["jobs"].values()
    names = [step.get("name") for step in job["steps"]]
    assert names.index(DRIFT_STEP) == names.index(MAIN_STEP) - 1
    drift = run_step(MAIN, DRIFT_STEP)
    assert drift.condition == "${{ hashFiles('policies/organization.json') != '' }}"
    assert drift.env["OUT_DIR"] == run_step(MAIN, MAIN_STEP).env["OUT_DIR"]


@pytest.mark.parametrize("drift", ["", "live `region-guard.json` differs from policies/\n"])
def test_the_drift_notes_reach_the_run_only_when_there_is_drift(tmp_path, drift):
    checkout, record = _recorder_checkout(tmp_path)
    extra = {"RECORD_FILE": str(record), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    result = execute(
        run_step(MAIN, DRIFT_STEP), cwd=checkout, context=schedule_context(), extra_env=extra
    )
    assert result.returncode == 0, result.stderr
    notes = "out/scp-recommender/drift.txt"
    (checkout / notes).write_text(drift)  # what the real check would have written
    result = execute(
        run_step(MAIN, MAIN_STEP), cwd=checkout, context=schedule_context(), extra_env=extra
    )
    assert result.returncode == 0, result.stderr
    check, run = (call["argv"] for call in _recorded(record))
    assert check == [
        "sync-policies",
        "--check",
        "--on-drift",
        "warn",
        "--out",
        "policies",
        "--notes",
        notes,
    ]
    assert (run[-2:] == ["--notes", notes]) is bool(drift)


def test_a_drift_check_that_cannot_run_warns_and_the_run_goes_on(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    failing = checkout / ".venv" / "bin" / "scp-recommender"
    failing.write_text(
        "#!/bin/sh\necho partial > out/scp-recommender/drift.txt\n"
        "echo 'error: AWS list_roots failed: AccessDenied' >&2\nexit 1\n"
    )
    failing.chmod(0o755)
    result = execute(run_step(MAIN, DRIFT_STEP), cwd=checkout, context=schedule_context())
    assert result.returncode == 0
    assert result.stderr.strip() == "error: AWS list_roots failed: AccessDenied"
    assert (
        result.stdout.strip() == "::warning::drift was not checked: the error is in this step's log"
    )
    assert not (checkout / "out" / "scp-recommender" / "drift.txt").exists(), "no half notes"


def test_the_drift_step_writes_the_notes_from_moto(org: Org):
    """The step's own command line, the real CLI, AWS Organizations changed by hand."""
    drift_by_hand(org)
    (org.repo / ".venv").symlink_to(VENV_BIN.parent)
    aws = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    result = execute(
        run_step(MAIN, DRIFT_STEP), cwd=org.repo, context=schedule_context(), extra_env=aws
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 differences between AWS and policies/" in result.stdout
    notes = (org.repo / "out" / "scp-recommender" / "drift.txt").read_text().splitlines()
    assert [note.split(" ")[1] for note in notes] == [
        "`region-guard.json`",
        "`sandbox-allow.json`",
        f"`{org.ids['prod']}`",
    ]
