"""The GitHub Actions workflows: linted (zizmor), schema-checked, and their scripts executed.

The helpers at the top read a workflow's `run:` steps with their `env:` and evaluate the few
`${{ }}` expressions the workflows use, so a test can run a step's exact script the way the
runner would (`bash -e`, the step's environment) with any trigger's context:

    step = run_step(WORKFLOWS / "scp-recommender.yml", "Find denials, classify, propose, publish")
    context = dispatch_context(WORKFLOWS / "scp-recommender.yml", start_date="2026-11-01")
    result = execute(step, cwd=checkout, context=context, extra_env={"GITHUB_STEP_SUMMARY": ...})
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ALL_WORKFLOWS = sorted(WORKFLOWS.glob("*.yml"))
MAIN = WORKFLOWS / "scp-recommender.yml"
POLICIES = WORKFLOWS / "policies.yml"
APPLY = WORKFLOWS / "apply.yml"
MAIN_STEP = "Find denials, classify, propose, publish"
VENV_BIN = Path(sys.executable).parent


# --- Reading workflows ----------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    """The workflow as a dict; YAML 1.1 reads the `on:` key as True, so it is put back."""
    document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:
        document["on"] = document.pop(True)
    return document


@dataclass(frozen=True)
class RunStep:
    """One `run:` step: its script and the `env:` it sees (workflow, job, step), unevaluated."""

    workflow: Path
    job: str
    name: str
    script: str
    env: dict[str, str]
    condition: str | None


def run_steps(path: Path, job: str | None = None) -> list[RunStep]:
    document = load_workflow(path)
    steps = []
    for job_id, job_body in document["jobs"].items():
        if job is not None and job_id != job:
            continue
        for index, step in enumerate(job_body.get("steps", [])):
            if "run" not in step:
                continue
            env = {
                **document.get("env", {}),
                **job_body.get("env", {}),
                **step.get("env", {}),
            }
            steps.append(
                RunStep(
                    workflow=path,
                    job=job_id,
                    name=step.get("name", f"step {index}"),
                    script=step["run"],
                    env={key: str(value) for key, value in env.items()},
                    condition=step.get("if"),
                )
            )
    return steps


def run_step(path: Path, name: str) -> RunStep:
    matches = [step for step in run_steps(path) if step.name == name]
    assert len(matches) == 1, f"{path.name}: expected one run step named {name!r}"
    return matches[0]


# --- Evaluating `${{ }}` ------------------------------------------------------------------
# GitHub's expression language, as far as the workflows use it: context lookups (a.b.c),
# literals, `!`, `&&`, `||` (which return an operand, as in JavaScript), `==`, `!=`, parentheses.

TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<name>[A-Za-z_][\w.-]*))"
)
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        assert match, f"unsupported expression near {text[position:]!r}"
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _lookup(name: str, context: dict[str, Any]) -> Any:
    if name in ("true", "false"):
        return name == "true"
    if name == "null":
        return None
    value: Any = context
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _evaluate(tokens: list[tuple[str, str]], context: dict[str, Any]) -> Any:
    position = 0

    def peek() -> str | None:
        return tokens[position][1] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def primary() -> Any:
        kind, text = take()
        if text == "!":
            return not _truthy(primary())
        if text == "(":
            value = either()
            assert take()[1] == ")", "unbalanced parentheses"
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text) if "." in text else int(text)
        return _lookup(text, context)

    def comparison() -> Any:
        value = primary()
        while peek() in ("==", "!="):
            operator = take()[1]
            other = primary()
            value = (value == other) if operator == "==" else (value != other)
        return value

    def both() -> Any:
        value = comparison()
        while peek() == "&&":
            take()
            other = comparison()
            value = other if _truthy(value) else value
        return value

    def either() -> Any:
        value = both()
        while peek() == "||":
            take()
            other = both()
            value = value if _truthy(value) else other
        return value

    result = either()
    assert position == len(tokens), "trailing tokens in expression"
    return result


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate(text: str, context: dict[str, Any]) -> str:
    """`text` with every `${{ expression }}` replaced by its value in `context`."""
    return EXPRESSION.sub(lambda match: _as_text(_evaluate(_tokens(match[1]), context)), text)


def schedule_context(
    variables: dict[str, str] | None = None, token: str = "ghs_test"
) -> dict[str, Any]:
    return {
        "inputs": {},
        "vars": variables or {},
        "github": {"token": token, "event_name": "schedule", "run_id": "1"},
    }


def dispatch_context(
    path: Path,
    variables: dict[str, str] | None = None,
    token: str = "ghs_test",
    **given: Any,
) -> dict[str, Any]:
    """A `workflow_dispatch` context: the inputs given, the declared defaults for the rest."""
    declared = load_workflow(path)["on"]["workflow_dispatch"]["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"{path.name} declares no input {sorted(unknown)}"
    inputs = {name: given.get(name, spec.get("default")) for name, spec in declared.items()}
    return {
        "inputs": inputs,
        "vars": variables or {},
        "github": {"token": token, "event_name": "workflow_dispatch", "run_id": "1"},
    }


def step_environment(step: RunStep, context: dict[str, Any]) -> dict[str, str]:
    return {key: evaluate(value, context) for key, value in step.env.items()}


def execute(
    step: RunStep,
    cwd: Path,
    context: dict[str, Any],
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the step's script as the runner does (`bash -e`) in `cwd` with its evaluated env."""
    assert "${{" not in step.script, "expressions in run: are not evaluated (script injection)"
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(cwd)),
        **step_environment(step, context),
        **(extra_env or {}),
    }
    script = cwd / ".step.sh"
    script.write_text(step.script, encoding="utf-8")
    try:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", str(script)],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        script.unlink()


# --- Linters ------------------------------------------------------------------------------


def test_zizmor_finds_nothing_offline():
    result = subprocess.run(
        [str(VENV_BIN / "zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_workflows_match_githubs_schema():
    assert {path.name for path in ALL_WORKFLOWS} >= {"ci.yml", "policies.yml", MAIN.name}
    result = subprocess.run(
        [
            str(VENV_BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, ALL_WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- What the workflows declare -----------------------------------------------------------


def test_main_workflow_runs_weekly_and_by_hand():
    triggers = load_workflow(MAIN)["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, day_of_month, month, day_of_week = cron.split()
    assert (day_of_month, month, day_of_week) == ("*", "*", "1"), "Mondays only"
    assert int(hour) < 12 and minute.isdigit(), "once, in the morning (UTC)"
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"start_date", "end_date", "engine", "dry_run"}
    for date_input in ("start_date", "end_date"):
        assert inputs[date_input]["type"] == "string"
        assert not inputs[date_input].get("required", False)
        assert inputs[date_input].get("default", "") == "", "empty means the default window"
        assert "YYYY-MM-DD" in inputs[date_input]["description"]
    assert inputs["engine"]["type"] == "choice"
    assert inputs["engine"]["options"] == ["athena", "local"]
    assert inputs["dry_run"]["type"] == "boolean"
    assert inputs["dry_run"]["default"] is False


def test_policies_workflow_runs_on_pull_requests_to_policies():
    triggers = load_workflow(POLICIES)["on"]
    assert set(triggers) == {"pull_request"}
    assert triggers["pull_request"]["paths"] == ["policies/**"]


@pytest.mark.parametrize("workflow", ALL_WORKFLOWS, ids=lambda path: path.name)
def test_permissions_are_granted_per_job_only(workflow: Path):
    document = load_workflow(workflow)
    assert document.get("permissions") == {}, "no permission at workflow level"
    for job_id, job in document["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{job_id}: job-level permissions"
        assert set(job["permissions"].values()) <= {"read", "write", "none"}


def test_only_the_publishing_job_can_write_and_assume_the_role():
    jobs = load_workflow(MAIN)["jobs"]
    assert [job["permissions"] for job in jobs.values()] == [
        {"contents": "write", "pull-requests": "write", "id-token": "write"}
    ]
    # The drift job reads AWS with a read-only role (tests/test_workflows_drift_apply.py).
    assert {name: job["permissions"] for name, job in load_workflow(POLICIES)["jobs"].items()} == {
        "validate": {"contents": "read"},
        "drift": {"contents": "read", "id-token": "write"},
    }


@pytest.mark.parametrize("workflow", ALL_WORKFLOWS, ids=lambda path: path.name)
def test_no_expression_inside_run_scripts(workflow: Path):
    steps = run_steps(workflow)
    assert steps
    for step in steps:
        assert "${{" not in step.script, f"{workflow.name}: {step.name}: pass values via env:"
        assert not re.search(r"\binputs\.|github\.event\.", step.script), step.name


@pytest.mark.parametrize("workflow", ALL_WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_named(workflow: Path):
    lines = [line for line in workflow.read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


@pytest.mark.parametrize("workflow", ALL_WORKFLOWS, ids=lambda path: path.name)
def test_concurrency_timeouts_and_no_persisted_token(workflow: Path):
    document = load_workflow(workflow)
    assert document["concurrency"]["group"]
    for job_id, job in document["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 120, job_id
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, job_id


def test_main_workflow_never_cancels_a_run_in_progress():
    assert load_workflow(MAIN)["concurrency"]["cancel-in-progress"] is False


def test_main_workflow_assumes_the_role_from_repository_variables():
    (job,) = load_workflow(MAIN)["jobs"].values()
    (aws,) = [step for step in job["steps"] if "configure-aws-credentials" in step.get("uses", "")]
    assert aws["with"]["role-to-assume"] == "${{ vars.SCP_RECOMMENDER_ROLE_ARN }}"
    assert aws["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])


def test_main_workflow_uploads_what_the_run_writes():
    (job,) = load_workflow(MAIN)["jobs"].values()
    (upload,) = [step for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert upload["if"] == "${{ !cancelled() }}", "evidence is kept when the run fails"
    assert upload["with"]["path"] == run_step(MAIN, MAIN_STEP).env["OUT_DIR"]


@pytest.mark.parametrize("workflow", [MAIN, POLICIES, APPLY], ids=lambda path: path.name)
def test_install_is_the_makefiles_virtualenv_target(workflow: Path):
    installs = [step for step in run_steps(workflow) if step.name.startswith("Install")]
    assert installs, "one per job that runs the tool"
    assert {install.script.strip() for install in installs} == {"make .venv/.installed"}
    known = subprocess.run(
        ["make", "-n", "-C", str(ROOT), ".venv/.installed"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert known.returncode == 0, known.stderr


# --- The expression evaluator the execution tests rely on ---------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${{ inputs.engine || 'athena' }}", "athena"),
        ("${{ inputs.dry_run || false }}", "false"),
        ("${{ !inputs.dry_run && github.token || '' }}", "ghs_test"),
        ("x-${{ github.run_id }}-${{ vars.MISSING }}", "x-1-"),
        ("${{ (inputs.engine == 'local') && 'yes' || 'no' }}", "no"),
        ("${{ 'it''s' }}", "it's"),
    ],
)
def test_evaluate_follows_githubs_operators(expression: str, expected: str):
    assert evaluate(expression, schedule_context()) == expected


def test_dispatch_context_fills_declared_defaults():
    inputs = dispatch_context(MAIN, dry_run=True)["inputs"]
    assert inputs == {"start_date": "", "end_date": "", "engine": "athena", "dry_run": True}
    with pytest.raises(AssertionError, match="no input"):
        dispatch_context(MAIN, start="2026-01-01")


def test_a_dry_run_gets_no_github_token():
    step = run_step(MAIN, MAIN_STEP)
    dry = step_environment(step, dispatch_context(MAIN, dry_run=True))
    assert (dry["GITHUB_TOKEN"], dry["DRY_RUN"]) == ("", "true")
    scheduled = step_environment(step, schedule_context())
    assert (scheduled["GITHUB_TOKEN"], scheduled["DRY_RUN"]) == ("ghs_test", "false")


@pytest.mark.parametrize(
    ("context", "engine"),
    [
        (schedule_context(), "athena"),
        (schedule_context({"SCP_RECOMMENDER_ENGINE": "local"}), "local"),
        (dispatch_context(MAIN, {"SCP_RECOMMENDER_ENGINE": "local"}), "athena"),
        (dispatch_context(MAIN, engine="local"), "local"),
    ],
)
def test_engine_comes_from_the_form_then_the_variable(context, engine):
    assert step_environment(run_step(MAIN, MAIN_STEP), context)["ENGINE"] == engine


# --- The scripts, executed ------------------------------------------------------------------
# A recorder stands in for the CLI here so the argument assembly is checked on its own; the
# end-to-end run against the local engine and the fake GitHub lives with the `run` command.

RECORDER = """#!{python}
import json, os, sys
with open(os.environ["RECORD_FILE"], "a") as record:
    record.write(json.dumps({{"argv": sys.argv[1:], "token": os.environ.get("GITHUB_TOKEN")}}))
    record.write("\\n")
"""


def _install_recorder(checkout: Path) -> None:
    """`.venv/bin/scp-recommender` in `checkout` appends its arguments to $RECORD_FILE."""
    (checkout / ".venv" / "bin").mkdir(parents=True)
    tool = checkout / ".venv" / "bin" / "scp-recommender"
    tool.write_text(RECORDER.format(python=sys.executable))
    tool.chmod(0o755)


def _recorder_checkout(tmp_path: Path) -> tuple[Path, Path]:
    checkout = tmp_path / "checkout"
    _install_recorder(checkout)
    return checkout, tmp_path / "record.jsonl"


def _recorded(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


BASE_ARGS = [
    "run",
    "--engine",
    "athena",
    "--policies",
    "policies",
    "--out-dir",
    "out/scp-recommender",
    "--summary",
]


@pytest.mark.parametrize(
    ("context", "extra", "token"),
    [
        pytest.param(schedule_context(), [], "ghs_test", id="schedule"),
        pytest.param(
            dispatch_context(MAIN, start_date="2026-11-01", end_date="2026-11-15"),
            ["--start", "2026-11-01", "--end", "2026-11-15"],
            "ghs_test",
            id="custom-window",
        ),
        pytest.param(
            dispatch_context(MAIN, end_date="2026-11-15", dry_run=True),
            ["--end", "2026-11-15", "--dry-run"],
            "",
            id="dry-run",
        ),
        pytest.param(
            # A hostile value stays one argument: the CLI rejects it, the shell never runs it.
            dispatch_context(MAIN, start_date="2026-11-01; touch pwned $(id)"),
            ["--start", "2026-11-01; touch pwned $(id)"],
            "ghs_test",
            id="hostile-date",
        ),
    ],
)
def test_main_script_passes_inputs_as_single_arguments(tmp_path, context, extra, token):
    checkout, record = _recorder_checkout(tmp_path)
    summary = tmp_path / "summary.md"
    result = execute(
        run_step(MAIN, MAIN_STEP),
        cwd=checkout,
        context=context,
        extra_env={"GITHUB_STEP_SUMMARY": str(summary), "RECORD_FILE": str(record)},
    )
    assert result.returncode == 0, result.stderr
    assert _recorded(record) == [{"argv": [*BASE_ARGS, str(summary), *extra], "token": token}]
    assert not (checkout / "pwned").exists()


def test_main_script_reads_logs_only_with_the_local_engine(tmp_path):
    checkout, record = _recorder_checkout(tmp_path)
    step = run_step(MAIN, MAIN_STEP)
    logs = {"SCP_RECOMMENDER_LOGS": "s3://trail/AWSLogs/o-abc123/"}
    for engine in ("local", "athena"):
        result = execute(
            step,
            cwd=checkout,
            context=dispatch_context(MAIN, variables=logs, engine=engine),
            extra_env={"GITHUB_STEP_SUMMARY": "summary.md", "RECORD_FILE": str(record)},
        )
        assert result.returncode == 0, result.stderr
    local, athena = (entry["argv"] for entry in _recorded(record))
    assert local[local.index("--engine") + 1] == "local"
    assert local[-2:] == ["--logs", "s3://trail/AWSLogs/o-abc123/"]
    assert "--logs" not in athena


def test_missing_repository_variables_fail_with_one_clear_line(tmp_path):
    step = run_step(MAIN, "Check the repository variables")
    result = execute(step, cwd=tmp_path, context=schedule_context({"AWS_REGION": "eu-west-1"}))
    assert result.returncode != 0
    assert result.stdout.strip() == (
        "::error::repository variables not set: SCP_RECOMMENDER_ROLE_ARN"
        " (see docs/setup.md, step 4)"
    )
    ready = {"AWS_REGION": "eu-west-1", "SCP_RECOMMENDER_ROLE_ARN": "arn:aws:iam::1:role/x"}
    assert execute(step, cwd=tmp_path, context=schedule_context(ready)).returncode == 0


# --- policies.yml: the changed files, from git --------------------------------------------

VALIDATE_STEP = "Validate"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _policy(action: str) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2) + "\n"


def _pull_request(tmp_path: Path, changes: dict[str, str | None]) -> tuple[Path, str]:
    """A repository whose base has two policies and whose HEAD applies `changes`."""
    repo = tmp_path / "checkout"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "full-access.json").write_text(_policy("*"))
    (repo / "policies" / "sandbox allow.json").write_text(_policy("s3:*"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    for name, text in changes.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")
    return repo, base


def _validate(repo: Path, base: str, record: Path) -> subprocess.CompletedProcess[str]:
    context = {"github": {"event": {"pull_request": {"base": {"sha": base}}}}}
    return execute(
        run_step(POLICIES, VALIDATE_STEP),
        cwd=repo,
        context=context,
        extra_env={"RECORD_FILE": str(record)},
    )


def test_policies_script_validates_exactly_the_changed_policy_files(tmp_path):
    repo, base = _pull_request(
        tmp_path,
        {
            "policies/sandbox allow.json": _policy("s3:GetObject"),
            "policies/-new.json": _policy("ec2:*"),
            "policies/full-access.json": None,
            "policies/README.md": "notes\n",
        },
    )
    _install_recorder(repo)
    record = tmp_path / "record.jsonl"
    result = _validate(repo, base, record)
    assert result.returncode == 0, result.stderr
    (call,) = _recorded(record)
    assert call["argv"][:2] == ["validate", "--"]
    assert sorted(call["argv"][2:]) == ["policies/-new.json", "policies/sandbox allow.json"]


def test_policies_script_validates_the_folder_when_the_organization_changes(tmp_path):
    repo, base = _pull_request(tmp_path, {"policies/organization.json": "{}\n"})
    _install_recorder(repo)
    record = tmp_path / "record.jsonl"
    assert _validate(repo, base, record).returncode == 0
    assert [call["argv"] for call in _recorded(record)] == [["validate", "--", "policies"]]


def test_policies_script_skips_when_no_policy_changed(tmp_path):
    repo, base = _pull_request(tmp_path, {"policies/README.md": "notes\n"})
    _install_recorder(repo)
    record = tmp_path / "record.jsonl"
    result = _validate(repo, base, record)
    assert result.returncode == 0
    assert result.stdout.strip() == "No policy file changed."
    assert _recorded(record) == []


def test_policies_script_fails_the_check_on_a_broken_policy(tmp_path):
    broken = '{\n  // a comment AWS rejects\n  "Version": "2012-10-17"\n}\n'
    repo, base = _pull_request(tmp_path, {"policies/broken.json": broken})
    (repo / ".venv").symlink_to(VENV_BIN.parent)
    result = _validate(repo, base, tmp_path / "unused.jsonl")
    assert result.returncode != 0
    assert "broken.json" in result.stdout + result.stderr


# --- scp-recommender.toml: the example settings the workflow reads --------------------------

SETTINGS_FILE = ROOT / "scp-recommender.toml"
HEADER = re.compile(r"^(\[\[?[\w.]+\]\]?)$")
COMMENTED_HEADER = re.compile(r"^# (\[\[?[\w.]+\]\]?)$")
COMMENTED_SETTING = re.compile(r"^# (\w+) = (.+)$")
SETTING = re.compile(r"^(\w+) = ")


def uncommented_examples(text: str) -> str:
    """The file with every commented example setting switched on, replacing its default."""
    lines: list[str] = []
    where: dict[tuple[str, str], int] = {}
    section = ""
    for line in text.splitlines():
        header = HEADER.match(line) or COMMENTED_HEADER.match(line)
        example = COMMENTED_SETTING.match(line)
        if header:
            section = header[1]
            where = {key: index for key, index in where.items() if key[0] != section}
            lines.append(header[1])
        elif example:
            key, value = (section, example[1]), f"{example[1]} = {example[2]}"
            if key in where:
                lines[where[key]] = value
            else:
                where[key] = len(lines)
                lines.append(value)
        else:
            if match := SETTING.match(line):
                where[(section, match[1])] = len(lines)
            lines.append(line)
    return "\n".join(lines) + "\n"


def test_example_settings_load_and_equal_the_defaults(monkeypatch):
    from recommender.config import Settings, load_settings

    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    assert load_settings(SETTINGS_FILE) == Settings(), "commands run here behave as with no file"


def test_every_commented_example_is_a_valid_setting(tmp_path):
    from recommender.config import load_settings
    from recommender.iam_policy import permissions_policy

    examples = tmp_path / "scp-recommender.toml"
    examples.write_text(uncommented_examples(SETTINGS_FILE.read_text()))
    settings = load_settings(examples)
    assert settings.athena.trail_location and settings.athena.kms_key_arn
    assert settings.query.accounts and settings.query.regions
    assert [entry.value for entry in settings.declined] == ["bedrock:*", "ap-southeast-2"]
    assert settings.github.repository == "acme/aws-scps"
    policy = permissions_policy(settings, "111122223333", "eu-west-1")
    assert {statement["Sid"] for statement in policy["Statement"]} >= {"KmsKey", "Organizations"}


# --- The workflow's own command line, run for real (local engine, nothing published) --------


def _checkout_for_run(tmp_path: Path) -> Path:
    """A checkout with the policies and this environment's virtualenv, as the runner has."""
    import shutil

    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "policies", checkout / "policies")
    (checkout / ".venv").symlink_to(VENV_BIN.parent)
    return checkout


@pytest.mark.parametrize(
    ("dates", "exit_code"),
    [
        pytest.param({"start_date": "2026-11-16", "end_date": "2026-11-23"}, 0, id="window"),
        pytest.param({"start_date": "2026-13-01"}, 2, id="bad-date"),
    ],
)
def test_a_dry_run_of_the_workflow_step_publishes_nothing(tmp_path, dates, exit_code):
    from tests.fakegithub import FakeGitHub

    checkout = _checkout_for_run(tmp_path)
    summary = tmp_path / "summary.md"
    logs = {"SCP_RECOMMENDER_LOGS": str(ROOT / "examples" / "logs")}
    context = dispatch_context(MAIN, variables=logs, engine="local", dry_run=True, **dates)
    with FakeGitHub() as github:
        result = execute(
            run_step(MAIN, MAIN_STEP),
            cwd=checkout,
            context=context,
            extra_env={
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_REPOSITORY": github.repo.full_name,
                "GITHUB_API_URL": github.url,
            },
        )
    assert github.requests == [], "a dry run makes no GitHub call"
    assert result.returncode == exit_code, result.stderr
    out = checkout / "out" / "scp-recommender"
    if exit_code == 0:
        assert "2026-11-16" in summary.read_text()
        assert (out / "pr-body.md").is_file()
    else:
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: --start: '2026-13-01' is not a valid date")
        assert summary.read_text().startswith("### scp-recommender failed")
        assert not out.exists()
