"""Validation beyond the grammar: placeholders, size, action names, organization.json."""

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import PolicyError
from recommender.scp.patterns import action_matches
from recommender.scp.policyset import load_policy_set
from recommender.scp.validate import validate_paths, validate_policy

ACTIONS = (
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "lambda:InvokeFunction",
    "pipes:CreatePipe",
    "s3:GetObject",
)


class FakeCatalog:
    """A catalog of five actions: enough to tell known, typo and unknown names apart."""

    def prefix_exists(self, prefix: str) -> bool:
        return any(action.split(":")[0] == prefix.lower() for action in ACTIONS)

    def action_exists(self, action: str) -> bool:
        return action.lower() in (known.lower() for known in ACTIONS)

    def pattern_matches_any(self, pattern: str) -> bool:
        return any(action_matches(pattern, action) for action in ACTIONS)


def write(tmp_path: Path, name: str, document: object, indent: int | None = 2) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=indent), encoding="utf-8")
    return path


def deny(*actions: str, **extra: Any) -> dict[str, Any]:
    statement = {"Sid": "Guard", "Effect": "Deny", "Action": list(actions), "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement | extra]}


def test_action_names_against_the_catalog(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "guard.json",
        deny(
            "ec2:Describe*", "s3:GetObject", "ec2:DescribeInstance", "lamda:*", "a4b:*", "s3:Nope*"
        ),
    )
    found = [str(problem) for problem in validate_policy(path, FakeCatalog())]
    assert len(found) == 4
    assert (
        f'{path}:10:10: error: Statement[0] "Guard": "ec2:DescribeInstance" is not an action'
        in found[0]
    )
    assert "a typo?" in found[0]
    assert (
        'error: Statement[0] "Guard": "lamda:*" names an unknown service prefix "lamda"' in found[1]
    )
    assert (
        'warning: Statement[0] "Guard": "a4b:*" names service prefix "a4b", which is not in'
        in found[2]
    )
    assert '"s3:Nope*" covers no action of the IAM catalog (retired' in found[3]
    assert validate_policy(path) == validate_policy(path, None)  # no catalog: names unchecked
    assert all("catalog" not in str(problem) for problem in validate_policy(path))


def test_placeholders_are_warned_once_each(tmp_path: Path) -> None:
    document = deny(
        "s3:GetObject",
        Condition={
            "ArnNotLike": {
                "aws:PrincipalArn": [
                    "arn:${PARTITION}:iam::${Account}:role/[PRIVILEGED_ROLE]",
                    "arn:${PARTITION}:iam::*:role/NAME_OF_YOUR_ADMIN_ROLE",
                    "arn:aws:iam::${aws:PrincipalAccount}:role/<my-role>",
                    "arn:aws:iam::*:role/AWS_IAM_ROLE",
                ]
            }
        },
    )
    found = [problem.message for problem in validate_policy(write(tmp_path, "p.json", document))]
    assert found == [
        "placeholder ${PARTITION} is not substituted (2 times)",
        "placeholder ${Account} is not substituted",
        "placeholder [PRIVILEGED_ROLE] is not substituted",
        "placeholder NAME_OF_YOUR_ADMIN_ROLE is not substituted",
        "placeholder <my-role> is not substituted",
    ]


def test_size_counts_whitespace(tmp_path: Path) -> None:
    document = deny(*[f"ec2:Action{index}" for index in range(20)])
    compact = write(tmp_path, "compact.json", document, indent=None)
    indented = write(tmp_path, "indented.json", document, indent=4)
    # Exactly on the limit is allowed; one character more is over it.
    limit = len(compact.read_text())
    assert validate_policy(compact, size_limit=limit) == []
    [over] = validate_policy(compact, size_limit=limit - 1)
    assert over.message.startswith(f"{limit:,} characters, over the limit of {limit - 1:,} ")
    [problem] = validate_policy(indented, size_limit=limit)
    size = len(indented.read_text())
    assert problem.severity == "error"
    assert problem.message.startswith(f"{size:,} characters, over the limit of {limit:,}")


def organization(targets_per_policy: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "management_account": "111111111111",
        "root": "r-ab12",
        "ous": {"ou-ab12-sandbox1": {"name": "Sandbox", "parent": "r-ab12"}},
        "accounts": {"333333333333": {"name": "sandbox-1", "parent": "ou-ab12-sandbox1"}},
        "policies": {
            name: {"id": f"p-{index}", "targets": targets}
            for index, (name, targets) in enumerate(targets_per_policy.items())
        },
    }


def test_too_many_scps_on_one_target(tmp_path: Path) -> None:
    names = [f"p{index}.json" for index in range(4)]
    for name in names:
        write(tmp_path, name, deny("s3:GetObject"))
    write(tmp_path, "organization.json", organization({name: ["r-ab12"] for name in names}))
    report = validate_paths([tmp_path], max_attached=3)
    [problem] = report.problems
    assert str(problem) == (
        f"{tmp_path / 'organization.json'}: error: policies: 4 SCPs are attached to r-ab12; "
        "AWS allows at most 3 per root, OU or account"
    )
    assert validate_paths([tmp_path], max_attached=4).problems == []


@pytest.mark.parametrize("target", ["r-ab12", "ou-ab12-sandbox1", "333333333333"])
def test_ten_scps_on_a_target_are_allowed_by_default_and_eleven_are_not(
    tmp_path: Path, target: str
) -> None:
    names = [f"p{index:02d}.json" for index in range(11)]
    for name in names:
        write(tmp_path, name, deny("s3:GetObject"))
    write(tmp_path, "organization.json", organization({name: [target] for name in names[:10]}))
    assert validate_paths([tmp_path]).problems == []
    write(tmp_path, "organization.json", organization({name: [target] for name in names}))
    assert [str(problem) for problem in validate_paths([tmp_path]).problems] == [
        f"{tmp_path / 'organization.json'}: error: policies: 11 SCPs are attached to {target}; "
        "AWS allows at most 10 per root, OU or account"
    ]


def test_organization_errors_name_the_field(tmp_path: Path) -> None:
    write(tmp_path, "p.json", deny("s3:GetObject"))
    document = organization({"p.json": ["ou-missing"], "gone.json": ["r-ab12"]})
    document["accounts"]["12345"] = {"name": "bad", "parent": "ou-nowhere"}
    write(tmp_path, "organization.json", document)
    messages = [problem.message for problem in validate_paths([tmp_path]).errors]
    assert messages == [
        "accounts.12345: not a 12-digit account ID",
        "accounts.12345.parent: 'ou-nowhere' is neither the root nor an OU",
        "policies.p.json.targets: 'ou-missing' is not the root, an OU or an account",
        "policies.gone.json: no such policy file beside organization.json",
    ]


@pytest.mark.parametrize("closed", [False, True])
def test_an_organization_nested_past_the_recursion_limit_is_an_error(
    tmp_path: Path, closed: bool
) -> None:
    """Found by tests/fuzz/test_fuzz_policies.py: json's decoder raised RecursionError."""
    write(tmp_path, "p.json", deny("s3:GetObject"))
    (tmp_path / "organization.json").write_text("[" * 100_000 + "]" * 100_000 * closed)
    (problem,) = validate_paths([tmp_path]).errors
    assert (problem.file, problem.message) == (
        str(tmp_path / "organization.json"),
        "invalid JSON: nested too deeply",
    )
    with pytest.raises(PolicyError, match=r"organization\.json: invalid JSON: nested too deeply"):
        load_policy_set(tmp_path)


# --- every real SCP and RCP in ../shared/data -------------------------------------------------

REAL_FOLDERS = (
    "service-control-policy-examples",
    "landing-zone-accelerator-on-aws",
    "data-perimeter-policy-examples",
    "aws-service-control-policies-primeharbor",
)
COMMENT_FILE = "Service-specific-controls/AWS-IAM/deny-service-specific-credential-by-type.json"
LZA_INVALID = "test/configs/replacements/service-control-policies/data-perimeter.json"


@pytest.fixture(scope="module")
def real_report():
    from recommender.catalog import load_catalog
    from tests.conftest import real_data

    return validate_paths([real_data() / folder for folder in REAL_FOLDERS], load_catalog())


def test_every_real_policy_is_read(real_report) -> None:
    assert len(real_report.files) == 114  # 57 + 15 + 19 + 23 files, see SOURCES.md
    by_file = {str(problem.file) for problem in real_report.errors}
    assert len(real_report.errors) == 2, [str(problem) for problem in real_report.errors]
    comment, placeholder = sorted(real_report.errors, key=lambda problem: problem.file)[::-1]
    assert comment.file.endswith(COMMENT_FILE)
    assert (comment.line, comment.column) == (15, 13)
    assert "invalid JSON" in comment.message and "comment" in comment.message
    assert placeholder.file.endswith(LZA_INVALID)
    assert (placeholder.line, placeholder.column) == (12, 34)
    assert "unquoted placeholder" in placeholder.message
    assert all("\n" not in str(problem) for problem in real_report.problems)
    assert len(by_file) == 2


def test_real_placeholders_are_warned(real_report) -> None:
    warned = {
        problem.message.split(" ")[1]
        for problem in real_report.warnings
        if problem.message.startswith("placeholder ")
    }
    assert {"${Account}", "[PRIVILEGED_ROLE]", "${PARTITION}", "<my-org-id>", "MY_ORG_ID"} <= warned
    assert not any("${aws:" in name for name in warned)


def test_real_rcps_are_recognised(real_report) -> None:
    rcps = {path.name for path in real_report.rcps}
    assert {
        "KMS-KeyProtectionRCP.json",
        "Sec-AssumeRoleApproval.json",
        "Sec-EnforceS3ACLDisabled.json",
        "Sec-S3BlockExternalAccess.0.json",
        "Sec-S3BlockExternalAccess.1.json",
        "data_perimeter_governance_rcp.json",
        "identity_perimeter_rcp.json",
        "network_perimeter_sourcevpc_rcp.json",
        "network_perimeter_vpceorgid_rcp.json",
    } <= rcps
    assert all(
        "ResourceControlPolicies" in str(path) or "resource_control" in str(path)
        for path in real_report.rcps
    )
    assert not any("Principal" in problem.message for problem in real_report.problems)
