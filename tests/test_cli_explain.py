"""`scp-recommender explain` on the project's example organization and on bad input."""

from pathlib import Path

import pytest

from recommender.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["explain", *args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policies(repo_root: Path) -> Path:
    return repo_root / "policies"


def test_implicit_deny_at_an_ou(policies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "--action",
        "pipes:CreatePipe",
        "--region",
        "eu-west-1",
        "--account",
        "222222222222",
        "--policies",
        str(policies),
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "pipes:CreatePipe in eu-west-1 by account 222222222222"
    assert lines[1] == "DENIED implicitly: no SCP allows it at OU Workloads (ou-ab12-workload1)"
    assert "OU Workloads (ou-ab12-workload1): workloads-allow.json" in lines
    assert "  no Allow statement matches: implicit deny at this level" in lines


def test_explicit_deny_names_statement_and_conditions(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "--action",
        "ec2:RunInstances",
        "--region",
        "ap-southeast-2",
        "--account",
        "222222222222",
        "--principal",
        "arn:aws:iam::222222222222:role/Dev",
        "--policies",
        str(policies),
    )
    assert code == 0
    assert "DENIED explicitly by region-guard.json DenyOutsideApprovedRegions" in out
    deny = "  deny: region-guard.json DenyOutsideApprovedRegions"
    assert f"{deny} (NotAction does not exempt the action)" in out
    assert ": true (call: ap-southeast-2)" in out


def test_unknown_keys_are_reported(policies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys,
        "--action",
        "ec2:RunInstances",
        "--region",
        "ap-southeast-2",
        "--policies",
        str(policies),
    )
    assert "(not certain: see the 'maybe' statements)" in out
    assert "not known from CloudTrail" in out
    assert "note: account not known: only the root's SCPs were evaluated" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--action", "CreatePipe"], "error: --action: 'CreatePipe' is not an IAM action"),
        (
            ["--action", "pipes:CreatePipe", "--region", "Europe"],
            "error: --region: 'Europe' is not an AWS region name",
        ),
        (
            ["--action", "pipes:CreatePipe", "--account", "12"],
            "error: --account: '12' is not an AWS account ID",
        ),
        (
            ["--action", "pipes:CreatePipe", "--principal", "Dev"],
            "error: --principal: 'Dev' is not an IAM ARN",
        ),
        (
            [
                "--action",
                "s3:GetObject",
                "--principal",
                "arn:aws:sts::222222222222:assumed-role/D/me",
            ],
            "error: --principal: 'arn:aws:sts::222222222222:assumed-role/D/me' is a session",
        ),
    ],
)
def test_bad_input_is_one_line(
    policies: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--policies", str(policies))
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_a_broken_policy_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}'
    )
    code, _, err = run(capsys, "--action", "s3:GetObject", "--policies", str(tmp_path))
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'p.json'}:1:52: Statement[0]: Effect must be ")
    assert err.count("\n") == 1
