"""Edits planned from the demo's findings, declined proposals, the size limit, and `propose`.

The denial rows are the demo's (examples/logs, the week `make demo` reads), so the expected
edits below are the ones a reviewer sees in the demo's pull request.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from recommender.cli import main
from recommender.commands.query import build_spec
from recommender.config import Settings
from recommender.models import Category, Denial
from recommender.pipeline import classify_denials
from recommender.propose import EditPlan, PolicyChange, plan_edits
from recommender.sources.local import LocalSource

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
DEMO_LOGS = ROOT / "examples" / "logs"
DEMO_WINDOW = ("2026-11-16", "2026-11-23")
REGIONS = "Condition/StringNotEquals/aws:RequestedRegion"
# What the demo's week calls for: (statement index, element) -> values added, per file.
DEMO_ADDITIONS: dict[str, dict[tuple[int, str], list[str]]] = {
    "region-guard.json": {
        (0, "NotAction"): ["billing:*", "ce:*"],
        (0, REGIONS): ["ap-southeast-2", "us-west-2"],
    },
    "sandbox-allow-list.json": {(0, "NotAction"): ["sqs:*"]},
    "workloads-allow.json": {
        (0, "Action"): [
            "bedrock:*",
            "billing:GetBillingData",
            "pipes:*",
            "scheduler:*",
            "ssm:StartSession",
        ]
    },
}


# --- Helpers shared with the other command tests ------------------------------------------


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The real entry point in this process: exit code, standard output, standard error."""
    try:
        main([*args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def demo_denials() -> list[Denial]:
    spec = build_spec(Settings(), *DEMO_WINDOW, None, None)
    return LocalSource(str(DEMO_LOGS)).fetch(spec)


def write_jsonl(denials: list[Denial], path: Path) -> Path:
    path.write_text(
        "".join(msgspec.json.encode(denial).decode() + "\n" for denial in denials),
        encoding="utf-8",
    )
    return path


def copy_policies(target: Path) -> Path:
    shutil.copytree(POLICIES, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) by relative path, as a hash of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def with_additions(document: Any, additions: dict[tuple[int, str], list[str]]) -> Any:
    """`document` with the values added to each element, as a minimal edit would: a string
    becomes a list, a sorted list stays sorted."""
    result = json.loads(json.dumps(document))
    for (index, element), values in additions.items():
        *parents, leaf = element.split("/")
        holder = result["Statement"][index]
        for key in parents:
            holder = holder[key]
        current = holder[leaf]
        existing = [current] if isinstance(current, str) else list(current)
        merged = existing + [value for value in values if value not in existing]
        holder[leaf] = sorted(merged) if existing == sorted(existing) else merged
    return result


# --- Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def denials() -> list[Denial]:
    return demo_denials()


@pytest.fixture(autouse=True)
def no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings come from ./scp-recommender.toml when present: run where there is none.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return copy_policies(tmp_path / "policies")


@pytest.fixture
def denials_file(tmp_path: Path, denials: list[Denial]) -> Path:
    return write_jsonl(denials, tmp_path / "denials.jsonl")


def plan_for(denials: list[Denial], policies: Path, settings: Settings) -> EditPlan:
    classified = classify_denials(denials, policies, settings)
    return plan_edits(classified.findings, classified.policy_set, settings)


def planned_change(denials: list[Denial], policies: Path, name: str) -> PolicyChange:
    """The change the default settings plan for one policy file."""
    [change] = [c for c in plan_for(denials, policies, Settings()).written if c.policy == name]
    return change


def write_settings(folder: Path, text: str) -> None:
    (folder / "scp-recommender.toml").write_text(text, encoding="utf-8")


# --- plan_edits ---------------------------------------------------------------------------


def test_demo_plan_changes_exactly_the_expected_files_and_values(denials, policies):
    plan = plan_for(denials, policies, Settings())
    assert sorted(change.policy for change in plan.written) == sorted(DEMO_ADDITIONS)
    assert plan.blocked == []
    for change in plan.written:
        before = json.loads(change.before)
        assert change.before == (policies / change.policy).read_text(encoding="utf-8")
        assert json.loads(change.after) == with_additions(before, DEMO_ADDITIONS[change.policy])
        # Format kept: same indentation, one new line per added value.
        added = len(change.after.splitlines()) - len(change.before.splitlines())
        assert added == sum(len(values) for values in DEMO_ADDITIONS[change.policy].values())
    assert [step.category for step in plan.steps] == [
        Category.NEW_SERVICE,
        Category.NEW_PREFIX,
        Category.RENAMED_ACTION,
        Category.NEW_ACTION,
        Category.NEW_REGION,
        Category.GLOBAL_SERVICE,
    ]
    final = plan.steps[-1].texts
    assert {name: final[name] for name in DEMO_ADDITIONS} == {
        change.policy: change.after for change in plan.written
    }


def test_plan_leaves_the_policy_files_alone(denials, policies):
    before = snapshot(policies)
    plan_for(denials, policies, Settings())
    assert snapshot(policies) == before


def test_declined_proposals_are_marked_and_never_proposed(denials, policies):
    today = date.today()
    settings = Settings.model_validate(
        {
            "declined": [
                {
                    "category": "new-service",
                    "value": "bedrock:*",
                    "reason": "No generative AI yet (SEC-142)",
                    "expires": (today + timedelta(days=30)).isoformat(),
                },
                {"category": "new-region", "value": "ap-southeast-2", "reason": "EU only"},
                # Expired: proposed again.
                {
                    "category": "new-region",
                    "value": "us-west-2",
                    "reason": "Not yet",
                    "expires": (today - timedelta(days=1)).isoformat(),
                },
                # Another category's value: does not decline the new-service proposal.
                {"category": "new-prefix", "value": "sqs:*", "reason": "wrong category"},
            ]
        }
    )
    classified = classify_denials(denials, policies, settings)
    declined = {f.action: f.declined for f in classified.findings if f.declined}
    assert declined == {
        "bedrock:InvokeModel": "No generative AI yet (SEC-142)",
        "ec2:RunInstances": "EU only",
    }
    plan = plan_edits(classified.findings, classified.policy_set, settings)
    proposed = {p.add for change in plan.changes for p in change.proposals}
    assert "bedrock:*" not in proposed and "ap-southeast-2" not in proposed
    assert {"us-west-2", "sqs:*", "pipes:*"} <= proposed
    after = {change.policy: json.loads(change.after) for change in plan.written}
    assert "bedrock:*" not in after["workloads-allow.json"]["Statement"][0]["Action"]
    regions = after["region-guard.json"]["Statement"][0]["Condition"]["StringNotEquals"]
    assert "ap-southeast-2" not in regions["aws:RequestedRegion"]
    assert "us-west-2" in regions["aws:RequestedRegion"]


def test_proposal_categories_setting_limits_what_is_edited(denials, policies):
    settings = Settings.model_validate({"proposals": {"categories": ["new-region"]}})
    plan = plan_for(denials, policies, settings)
    assert [change.policy for change in plan.changes] == ["region-guard.json"]
    (change,) = plan.written
    expected = with_additions(
        json.loads(change.before), {(0, REGIONS): ["ap-southeast-2", "us-west-2"]}
    )
    assert json.loads(change.after) == expected
    assert [step.category for step in plan.steps] == [Category.NEW_REGION]


def test_an_edit_over_the_size_limit_is_blocked_with_its_sizes(denials, policies):
    # workloads-allow.json has 835 characters, region-guard.json 1,843: both edits go over.
    limit = 850
    settings = Settings.model_validate({"policies": {"size_limit": limit}})
    plan = plan_for(denials, policies, settings)
    assert [change.policy for change in plan.written] == ["sandbox-allow-list.json"]
    blocked = {change.policy: change for change in plan.blocked}
    assert sorted(blocked) == ["region-guard.json", "workloads-allow.json"]
    workloads = blocked["workloads-allow.json"]
    assert workloads.size_before == 835 < limit < workloads.size_after
    assert workloads.problem == (
        f"{workloads.size_after:,} characters after the edit, over the limit of 850 (now 835)"
    )
    assert "workloads-allow.json" not in plan.diff()
    assert "region-guard.json" not in plan.diff()
    for step in plan.steps:
        for name in blocked:
            assert step.texts[name] == blocked[name].before


def test_an_edit_landing_exactly_on_the_size_limit_is_written_one_character_over_is_blocked(
    denials, policies
):
    classified = classify_denials(denials, policies, Settings())
    unlimited = plan_edits(classified.findings, classified.policy_set, Settings())
    sizes = {change.policy: (change.size_before, change.size_after) for change in unlimited.changes}
    assert sorted(sizes) == sorted(DEMO_ADDITIONS)
    for _, after in sizes.values():
        for limit in (after, after - 1):
            settings = Settings.model_validate({"policies": {"size_limit": limit}})
            plan = plan_edits(classified.findings, classified.policy_set, settings)
            fitting = {name for name, (_, size) in sizes.items() if size <= limit}
            assert {change.policy for change in plan.written} == fitting, limit
            for change in plan.blocked:
                before, size = sizes[change.policy]
                assert change.problem == (
                    f"{size:,} characters after the edit, over the limit of {limit:,} "
                    f"(now {before:,})"
                )


# --- The command --------------------------------------------------------------------------


def test_propose_prints_a_diff_that_applies_to_the_policies(
    denials_file, policies, tmp_path, capsys
):
    before = snapshot(policies)
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies)], capsys
    )
    assert code == 0, err
    assert snapshot(policies) == before
    assert out.startswith("--- a/policies/region-guard.json\n+++ b/policies/region-guard.json\n")
    assert '+                "sqs:*",\n' in out
    patch = tmp_path / "changes.diff"
    patch.write_text(out, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p1", "-i", str(patch)], cwd=tmp_path, check=True)
    for name, additions in DEMO_ADDITIONS.items():
        edited = json.loads((policies / name).read_text(encoding="utf-8"))
        assert edited == with_additions(json.loads((POLICIES / name).read_text()), additions)


def test_propose_write_edits_in_place_and_a_rerun_proposes_nothing(denials_file, policies, capsys):
    untouched = {"full-aws-access.json", "guardrails.json", "organization.json"}
    before = snapshot(policies)
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert code == 0, err
    assert out == ""
    after = snapshot(policies)
    assert {name for name in after if after[name] != before[name]} == set(DEMO_ADDITIONS)
    assert all(after[name] == before[name] for name in untouched)
    assert sorted(path.name for path in policies.iterdir()) == sorted(before)  # no temp left
    for name in DEMO_ADDITIONS:
        assert f"edited {policies / name}" in err

    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert (code, out) == (0, "")
    assert "nothing to propose" in err
    assert snapshot(policies) == after
    code, out, _ = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies)], capsys
    )
    assert (code, out) == (0, "")


@pytest.mark.parametrize("failing_call", [1, 2, 3], ids=["first", "second", "third"])
def test_a_failed_write_leaves_every_file_as_it_was(
    denials_file, policies, capsys, monkeypatch, failing_call
):
    """The n-th file's staging fails (disk full, say): nothing is replaced, nothing is left."""
    real_mkstemp = tempfile.mkstemp
    calls = []

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        calls.append(kwargs.get("dir"))
        if len(calls) == failing_call:
            raise OSError(28, "No space left on device")
        made: tuple[int, str] = real_mkstemp(*args, **kwargs)
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    before = snapshot(policies)
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert (code, out) == (2, "")
    expected = rf"error: cannot write {policies}/\S+\.json: No space left on device\n"
    assert re.fullmatch(expected, err)
    assert snapshot(policies) == before


def test_a_failed_replace_puts_back_the_files_already_replaced(
    denials_file, policies, capsys, monkeypatch
):
    """The rename of the last file fails after the others were renamed: they are restored."""
    real_replace = os.replace
    replaced: list[str] = []

    def replace(source: Any, target: Any) -> None:
        if Path(target).parent == policies and len(replaced) == len(DEMO_ADDITIONS) - 1:
            raise PermissionError(13, "Permission denied", str(target))
        replaced.append(str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    before = snapshot(policies)
    code, _, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert code == 2
    assert err.startswith(f"error: cannot write {policies}/") and err.count("\n") == 1
    assert snapshot(policies) == before


def test_propose_out_dir_writes_copies_body_and_diff(denials_file, policies, tmp_path, capsys):
    out_dir = tmp_path / "out"
    before = snapshot(policies)
    code, out, err = run_cli(
        [
            "propose",
            "--denials",
            str(denials_file),
            "--policies",
            str(policies),
            "--out-dir",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0, err
    assert out == ""
    assert snapshot(policies) == before
    assert {"policies", "pr-body.md", "changes.diff"} <= {p.name for p in out_dir.iterdir()}
    copied = snapshot(out_dir / "policies")
    assert set(copied) == set(before)
    assert {name for name in copied if copied[name] != before[name]} == set(DEMO_ADDITIONS)
    diff = (out_dir / "changes.diff").read_text(encoding="utf-8")
    code, printed, _ = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies)], capsys
    )
    assert diff == printed
    body = (out_dir / "pr-body.md").read_text(encoding="utf-8")
    assert body.startswith("## scp-recommender: SCP changes for denied calls")
    assert "add `bedrock:*` to `workloads-allow.json`" in body


def test_propose_reports_blocked_edits(denials_file, policies, tmp_path, capsys):
    write_settings(tmp_path, "[policies]\nsize_limit = 850\n")
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies)], capsys
    )
    assert code == 0, err
    assert out.startswith("--- a/policies/sandbox-allow-list.json")
    assert "workloads-allow.json" not in out
    assert "blocked: workloads-allow.json: " in err
    assert "over the limit of 850 (now 835)" in err


def test_propose_writes_an_edit_exactly_on_the_limit_which_validate_accepts(
    denials, denials_file, policies, tmp_path, capsys
):
    workloads = planned_change(denials, policies, "workloads-allow.json")
    size = workloads.size_after
    write_settings(tmp_path, f"[policies]\nsize_limit = {size}\n")
    code, _, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert code == 0, err
    edited = policies / "workloads-allow.json"
    assert edited.read_text(encoding="utf-8") == workloads.after
    validate = ["validate", "--no-catalog", str(edited)]
    code, out, err = run_cli(validate, capsys)
    assert (code, out, err) == (0, "1 files checked: 0 errors, 0 warnings\n", "")
    # One character less of room: the same file is over the limit, and says so on one line.
    write_settings(tmp_path, f"[policies]\nsize_limit = {size - 1}\n")
    code, out, err = run_cli(validate, capsys)
    assert code == 2
    assert out.splitlines()[0] == (
        f"{edited}: error: {size:,} characters, over the limit of {size - 1:,} "
        "(whitespace counts: remove indentation or split the policy)"
    )
    assert err == "error: 1 files checked: 1 errors, 0 warnings\n"


def test_propose_blocks_an_edit_one_character_over_the_limit(
    denials, denials_file, policies, tmp_path, capsys
):
    workloads = planned_change(denials, policies, "workloads-allow.json")
    write_settings(tmp_path, f"[policies]\nsize_limit = {workloads.size_after - 1}\n")
    before = (policies / "workloads-allow.json").read_text(encoding="utf-8")
    code, _, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert code == 0, err
    assert (policies / "workloads-allow.json").read_text(encoding="utf-8") == before
    assert (
        f"blocked: workloads-allow.json: {workloads.size_after:,} characters after the edit, "
        f"over the limit of {workloads.size_after - 1:,}"
    ) in err


def test_propose_skips_declined_entries_from_the_settings_file(
    denials_file, policies, tmp_path, capsys
):
    write_settings(
        tmp_path,
        '[[declined]]\ncategory = "new-service"\nvalue = "bedrock:*"\nreason = "not yet"\n'
        '[[declined]]\ncategory = "new-region"\nvalue = "us-west-2"\nreason = "old"\n'
        "expires = 2020-01-01\n",
    )
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies)], capsys
    )
    assert code == 0, err
    assert '"bedrock:*"' not in out
    assert '+                        "us-west-2"\n' in out
    assert '+                "sqs:*",\n' in out


# --- Bad input: one line, exit 2, nothing changed ------------------------------------------

FIELDS = "event_source,event_name,count,region,account_id,error_code,error_message"


def _bad_csv(folder: Path) -> tuple[Path, str]:
    path = folder / "denials.csv"
    path.write_text(
        f"{FIELDS}\n"
        "sqs.amazonaws.com,CreateQueue,9,eu-west-1,333333333333,AccessDenied,denied\n"
        "sqs.amazonaws.com,CreateQueue,many,eu-west-1,333333333333,AccessDenied,denied\n",
        encoding="utf-8",
    )
    return path, f"{path}:3: count"


def _bad_jsonl(folder: Path) -> tuple[Path, str]:
    path = folder / "denials.jsonl"
    row = {"event_source": "sqs.amazonaws.com", "event_name": "CreateQueue", "count": 1}
    good = json.dumps(row)
    path.write_text(f"{good}\n{good[:-5]}\n", encoding="utf-8")
    return path, f"{path}:2: expected a JSON object"


def _missing(folder: Path) -> tuple[Path, str]:
    path = folder / "nowhere.jsonl"
    return path, f"{path}: no such file"


@pytest.mark.parametrize("make_input", [_bad_csv, _bad_jsonl, _missing])
def test_bad_denial_rows_exit_2_with_one_line(make_input, policies, tmp_path, capsys):
    path, expected = make_input(tmp_path)
    before = snapshot(tmp_path)
    code, out, err = run_cli(
        ["propose", "--denials", str(path), "--policies", str(policies), "--write"], capsys
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {expected}"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_a_malformed_policy_exits_2_naming_file_and_line(denials_file, policies, tmp_path, capsys):
    broken = policies / "workloads-allow.json"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace('"s3:*",', '"s3:*"', 1))
    before = snapshot(tmp_path)
    code, out, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {broken}:"), err
    line = err.split(":")[2]
    assert line.strip().isdigit(), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_write_keeps_windows_line_endings(denials_file, policies, capsys):
    policy = policies / "workloads-allow.json"
    policy.write_bytes(policy.read_bytes().replace(b"\n", b"\r\n"))
    code, _, err = run_cli(
        ["propose", "--denials", str(denials_file), "--policies", str(policies), "--write"], capsys
    )
    assert code == 0, err
    edited = policy.read_bytes()
    assert edited.count(b"\n") == edited.count(b"\r\n") > 0
    additions = DEMO_ADDITIONS["workloads-allow.json"]
    original = json.loads((POLICIES / "workloads-allow.json").read_text(encoding="utf-8"))
    assert json.loads(edited) == with_additions(original, additions)


def test_write_and_out_dir_exclude_each_other(denials_file, policies, capsys):
    before = snapshot(policies)
    args = ["propose", "--denials", str(denials_file), "--policies", str(policies)]
    code, out, err = run_cli([*args, "--write", "--out-dir", "out"], capsys)
    assert (code, out) == (2, "")
    assert "--write and --out-dir exclude each other" in err
    assert snapshot(policies) == before and not Path("out").exists()


def test_no_denials_propose_nothing(policies, tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code, out, err = run_cli(
        ["propose", "--denials", str(empty), "--policies", str(policies)], capsys
    )
    assert (code, out) == (0, "")
    assert err == "nothing to propose\n"


@pytest.mark.parametrize(
    ("read", "out_dir"),
    [("policies", "."), ("out/policies", "out"), ("policies", "policies/copy")],
    ids=["policies-parent", "copy-read-again", "inside-policies"],
)
def test_out_dir_never_replaces_the_policies_it_reads(
    read, out_dir, denials_file, tmp_path, capsys
):
    """`--out-dir` replaces `<out-dir>/policies`: never the folder read, nor one around or in it."""
    policies = copy_policies(tmp_path / read)
    before = snapshot(tmp_path)
    args = ["propose", "--denials", str(denials_file), "--policies", str(policies)]
    code, out, err = run_cli([*args, "--out-dir", out_dir], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"error: --out-dir: {Path(out_dir) / 'policies'} overlaps the policies folder read "
        f"({policies}); choose another output folder\n"
    )
    assert snapshot(tmp_path) == before
