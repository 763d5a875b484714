"""`scp-recommender validate` through the real entry point: lines, summary, exit codes."""

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main

GOOD: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyLeave",
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*",
        }
    ],
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["validate", *args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_files_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "guard.json").write_text(json.dumps(GOOD, indent=2))
    code, out, err = run(capsys, str(tmp_path))
    assert (code, err) == (0, "")
    assert out == "1 files checked: 0 errors, 0 warnings\n"


def test_errors_exit_2_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "Version": "2012-10-17",\n  "Statement": [\n    // TODO\n  ]\n}\n')
    typo = tmp_path / "typo.json"
    typo.write_text(
        json.dumps(
            {
                **GOOD,
                "Statement": [
                    {**GOOD["Statement"][0], "Action": "organisations:LeaveOrganization"}
                ],
            },
            indent=2,
        )
    )
    code, out, err = run(capsys, str(bad), str(typo))
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith(f"{bad}:4:5: error: invalid JSON: ")
    assert lines[1].startswith(
        f'{typo}:7:18: error: Statement[0] "DenyLeave": "organisations:LeaveOrganization"'
    )
    assert len(lines) == 2
    assert err == "error: 2 files checked: 2 errors, 0 warnings\n"


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(json.dumps(GOOD))
    document["Statement"][0]["Condition"] = {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::${Account}:role/[ADMIN_ROLE]"}
    }
    text = json.dumps(document)
    (tmp_path / "p.json").write_text(text)
    code, out, _ = run(capsys, str(tmp_path / "p.json"), "--no-catalog")
    assert code == 0
    account, role = text.index("${Account}") + 1, text.index("[ADMIN_ROLE]") + 1
    assert out.splitlines() == [
        f"{tmp_path / 'p.json'}:1:{account}: warning: placeholder ${{Account}} is not substituted",
        f"{tmp_path / 'p.json'}:1:{role}: warning: placeholder [ADMIN_ROLE] is not substituted",
        "1 files checked: 0 errors, 2 warnings",
    ]


def test_size_limit_comes_from_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "guard.json").write_text(json.dumps(GOOD, indent=2))
    config = tmp_path / "settings.toml"
    config.write_text("[policies]\nsize_limit = 50\n")
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["--config", str(config), "validate", "--no-catalog", str(tmp_path / "guard.json")])
    captured = capsys.readouterr()
    assert "over the limit of 50" in captured.out
    assert captured.err == "error: 1 files checked: 1 errors, 0 warnings\n"


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.json"))
    assert code == 2
    assert f"{tmp_path / 'nope.json'}' does not exist" in err
    assert "Traceback" not in err


def test_real_folders(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_data / "data-perimeter-policy-examples"
    code, out, _ = run(capsys, str(folder))
    assert code == 0
    assert "identity_perimeter_rcp.json: note: a resource control policy (RCP), not an SCP" in out
    assert "placeholder <my-org-id> is not substituted" in out
    comment = shared_data / "service-control-policy-examples/Service-specific-controls/AWS-IAM"
    code, out, _ = run(capsys, str(comment))
    assert code == 2
    [error] = [line for line in out.splitlines() if ": error: " in line]
    assert error.startswith(
        f"{comment}/deny-service-specific-credential-by-type.json:15:13: error: invalid JSON"
    )
