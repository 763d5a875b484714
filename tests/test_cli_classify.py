"""`scp-recommender classify` through the real entry point: formats, inputs, exit codes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCP = "with an explicit deny in a service control policy"


def _message(action: str, account: str, implicit: bool = False) -> str:
    reason = f"because no service control policy allows the {action} action" if implicit else SCP
    user = f"arn:aws:sts::{account}:assumed-role/dev/session"
    return f"User: {user} is not authorized to perform: {action} {reason}"


ROWS = [
    ("pipes.amazonaws.com", "CreatePipe", "eu-west-1", "222222222222", "pipes:CreatePipe", 42),
    ("bedrock.amazonaws.com", "InvokeModel", "eu-west-1", "222222222222", "bedrock:InvokeModel", 7),
    ("ec2.amazonaws.com", "RunInstances", "ap-southeast-2", "333333333333", "ec2:RunInstances", 3),
    ("ce.amazonaws.com", "GetCostAndUsage", "us-east-1", "222222222222", "ce:GetCostAndUsage", 5),
    (
        "billingconsole.amazonaws.com",
        "GetBillingData",
        "us-east-1",
        "222222222222",
        "billing:GetBillingData",
        2,
    ),
    (
        "cloudtrail.amazonaws.com",
        "StopLogging",
        "eu-west-1",
        "222222222222",
        "cloudtrail:StopLogging",
        1,
    ),
]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recommender", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def denials(tmp_path: Path) -> Path:
    path = tmp_path / "denials.jsonl"
    lines = []
    for source, name, region, account, action, count in ROWS:
        row = {
            "event_source": source,
            "event_name": name,
            "region": region,
            "account_id": account,
            "count": count,
            "error_code": "AccessDenied",
            "error_message": _message(action, account, implicit=source.startswith("pipes")),
        }
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_table_groups_by_category_and_fits_80_columns(denials: Path) -> None:
    result = run_cli("classify", "--denials", str(denials), "--policies", "policies")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for category in ("new-prefix", "new-service", "new-region", "global-service", "guardrail"):
        assert any(line.startswith(f"{category}  (") for line in lines), category
    assert max(len(line) for line in lines) <= 80
    # most frequent first within a category: new-service has bedrock only, new-prefix pipes
    assert "pipes:CreatePipe" in result.stdout


def test_json_has_the_contract_fields(denials: Path, tmp_path: Path) -> None:
    output = tmp_path / "findings.json"
    result = run_cli(
        "classify", "--denials", str(denials), "--policies", "policies",
        "--format", "json", "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(output.read_text())
    required = {
        "category", "action", "event_source", "event_name", "region", "accounts", "count",
        "policy", "statement", "reason", "proposal",
    }  # fmt: skip
    for finding in document["findings"]:
        assert required <= finding.keys()
        if finding["proposal"] is not None:
            assert {"policy", "statement", "element", "add"} <= finding["proposal"].keys()
    by_action = {(f["action"], f["category"]): f for f in document["findings"]}
    pipes = by_action[("pipes:CreatePipe", "new-prefix")]
    assert pipes["proposal"]["add"] == "pipes:*"
    assert pipes["proposal"]["policy"] == "workloads-allow.json"
    assert ("billing:GetBillingData", "renamed-action") in by_action
    assert ("billing:GetBillingData", "global-service") in by_action
    assert document["summary"]["denied_calls"] == sum(row[-1] for row in ROWS)


def test_markdown_format(denials: Path) -> None:
    result = run_cli(
        "classify", "--denials", str(denials), "--policies", "policies", "--format", "markdown"
    )
    assert result.returncode == 0, result.stderr
    assert "| IAM action |" in result.stdout
    assert "`pipes:CreatePipe`" in result.stdout


def test_athena_console_csv_of_the_original_query(tmp_path: Path) -> None:
    csv = tmp_path / "athena.csv"
    csv.write_text(
        '"eventsource","eventname","num_occurrences"\n'
        '"pipes.amazonaws.com","CreatePipe","12"\n'
        '"organizations.amazonaws.com","LeaveOrganization","1"\n'
    )
    result = run_cli(
        "classify", "--denials", str(csv), "--policies", "policies", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    pipes = [f for f in findings if f["action"] == "pipes:CreatePipe"]
    # No account: every distinct path of the example organization is evaluated. The Workloads
    # OU allows events (new-prefix), the Sandbox OU nothing of it (new-service).
    assert {(f["category"], f["proposal"]["policy"]) for f in pipes} == {
        ("new-prefix", "workloads-allow.json"),
        ("new-service", "sandbox-allow-list.json"),
    }
    assert all("region" in " ".join(f["checks_skipped"]) for f in pipes)
    leave = [f for f in findings if f["action"] == "organizations:LeaveOrganization"]
    assert [f["category"] for f in leave] == ["guardrail"]


def test_exit_code_flag(denials: Path, tmp_path: Path) -> None:
    result = run_cli("classify", "--denials", str(denials), "--policies", "policies", "--exit-code")
    # 1 also means a failed service call, which would say so on stderr: here the report is
    # printed whole and nothing went wrong.
    assert (result.returncode, result.stderr) == (1, ""), result.stderr
    assert "new-service" in result.stdout
    settled = tmp_path / "settled.jsonl"
    settled.write_text(denials.read_text().splitlines()[-1] + "\n")  # the guardrail row
    result = run_cli("classify", "--denials", str(settled), "--policies", "policies", "--exit-code")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"event_source": "s3.amazonaws.com", "event_name": "GetObject", "count": "x"}\n',
            "count",
        ),
        ('{"event_source": "s3.amazonaws.com"\n', ":1:"),
        ("eventsource,eventname,num_occurrences\ns3.amazonaws.com,GetObject,-4\n", ":2: count"),
    ],
)
def test_bad_denials_give_one_line_and_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / ("rows.csv" if content.startswith("eventsource") else "rows.jsonl")
    path.write_text(content)
    result = run_cli("classify", "--denials", str(path), "--policies", "policies")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert str(path) in lines[0] and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_policy_gives_file_line_and_column(tmp_path: Path, denials: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    broken = policies / "guardrails.json"
    broken.write_text('{\n  // no comments in JSON\n  "Version": "2012-10-17"\n}\n')
    result = run_cli("classify", "--denials", str(denials), "--policies", str(policies))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "guardrails.json:2:" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_denials_file(tmp_path: Path) -> None:
    result = run_cli(
        "classify", "--denials", str(tmp_path / "nope.jsonl"), "--policies", "policies"
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'nope.jsonl'}: no such file\n"


def test_a_row_without_account_takes_it_from_the_callers_arn(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    row = {
        "event_source": "pipes.amazonaws.com",
        "event_name": "CreatePipe",
        "count": 3,
        "region": "eu-west-1",
        "error_message": _message("pipes:CreatePipe", "333333333333", implicit=True),
    }
    rows.write_text(json.dumps(row) + "\n")
    result = run_cli(
        "classify", "--denials", str(rows), "--policies", "policies", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["accounts"] == ["333333333333"]
    assert finding["category"] == "new-service"
    assert finding["proposal"]["policy"] == "sandbox-allow-list.json"


def test_a_policy_over_the_size_limit_is_named_and_still_evaluated(
    tmp_path: Path, denials: Path
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    size = len((policies / "region-guard.json").read_text(encoding="utf-8"))
    (tmp_path / "scp-recommender.toml").write_text("[policies]\nsize_limit = 1000\n")
    over = sorted(
        path.name
        for path in policies.glob("*.json")
        if path.name != "organization.json" and len(path.read_text(encoding="utf-8")) > 1000
    )
    assert "region-guard.json" in over

    args = ("classify", "--denials", str(denials), "--policies", "policies", "--format", "json")
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.splitlines()
    assert [line.split(":")[0] for line in warnings] == [f"policies/{name}" for name in over]
    assert (
        f"policies/region-guard.json: warning: {size:,} characters, over the limit of 1,000; "
        "evaluated as written, but AWS would refuse to save it"
    ) in warnings
    findings = json.loads(result.stdout)["findings"]
    assert any(
        f["category"] == "new-region" and f["policy"] == "region-guard.json" for f in findings
    )

    (tmp_path / "scp-recommender.toml").unlink()
    assert run_cli(*args, cwd=tmp_path).stderr == ""
