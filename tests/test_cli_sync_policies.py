"""`scp-recommender sync-policies` against an organization in moto."""

import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from recommender.cli import main
from recommender.commands import cli

REGION = "us-east-1"
# Key order differs from sorted order on purpose: the files keep the policy's own order.
GUARDRAILS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NoLeaving",
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*",
        }
    ],
}
SANDBOX = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}],
}


@pytest.fixture
def organization(offline_aws):
    """An organization: root, Workloads > Prod, Sandbox, three accounts, two SCPs."""
    with mock_aws():
        client = boto3.client("organizations", region_name=REGION)
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]

        def ou(parent, name):
            created = client.create_organizational_unit(ParentId=parent, Name=name)
            return created["OrganizationalUnit"]["Id"]

        def account(name, parent):
            status = client.create_account(AccountName=name, Email=f"{name}@example.com")
            account_id = status["CreateAccountStatus"]["AccountId"]
            client.move_account(
                AccountId=account_id, SourceParentId=root, DestinationParentId=parent
            )
            return account_id

        def policy(name, document, targets):
            created = client.create_policy(
                Content=json.dumps(document, separators=(",", ":")),
                Description=name,
                Name=name,
                Type="SERVICE_CONTROL_POLICY",
            )
            policy_id = created["Policy"]["PolicySummary"]["Id"]
            for target in targets:
                client.attach_policy(PolicyId=policy_id, TargetId=target)
            return policy_id

        workloads = ou(root, "Workloads")
        prod_ou = ou(workloads, "Prod")
        sandbox_ou = ou(root, "Sandbox")
        prod = account("prod", prod_ou)
        sandbox = account("sandbox-1", sandbox_ou)
        dev = account("dev", workloads)
        ids = {
            "root": root,
            "workloads": workloads,
            "prod_ou": prod_ou,
            "sandbox_ou": sandbox_ou,
            "prod": prod,
            "sandbox": sandbox,
            "dev": dev,
            "guardrails": policy("Guardrails", GUARDRAILS, [root]),
            "sandbox_allow": policy("Sandbox Allow/List", SANDBOX, [sandbox_ou, sandbox]),
        }
        full_access = client.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]
        ids["full_access_targets"] = sorted(target["TargetId"] for target in full_access)
        yield ids


def run(*args: str):
    result = CliRunner().invoke(cli, ["sync-policies", *args])
    assert result.exit_code == 0, result.output
    return result


def read_folder(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_writes_organization_json_in_the_design_shape(organization, tmp_path) -> None:
    result = run("--out", str(tmp_path / "policies"))

    folder = tmp_path / "policies"
    assert "wrote 3 SCPs and organization.json" in result.output
    assert sorted(read_folder(folder)) == [
        "FullAWSAccess.json",
        "Guardrails.json",
        "Sandbox-Allow-List.json",
        "organization.json",
    ]
    tree = json.loads((folder / "organization.json").read_text(encoding="utf-8"))
    ids = organization
    assert list(tree) == ["management_account", "root", "ous", "accounts", "policies"]
    assert tree == {
        "management_account": DEFAULT_ACCOUNT_ID,
        "root": ids["root"],
        "ous": {
            ids["workloads"]: {"name": "Workloads", "parent": ids["root"]},
            ids["prod_ou"]: {"name": "Prod", "parent": ids["workloads"]},
            ids["sandbox_ou"]: {"name": "Sandbox", "parent": ids["root"]},
        },
        "accounts": {
            DEFAULT_ACCOUNT_ID: {"name": "master", "parent": ids["root"]},
            ids["prod"]: {"name": "prod", "parent": ids["prod_ou"]},
            ids["sandbox"]: {"name": "sandbox-1", "parent": ids["sandbox_ou"]},
            ids["dev"]: {"name": "dev", "parent": ids["workloads"]},
        },
        "policies": {
            "FullAWSAccess.json": {
                "id": "p-FullAWSAccess",
                "targets": ids["full_access_targets"],
            },
            "Guardrails.json": {"id": ids["guardrails"], "targets": [ids["root"]]},
            "Sandbox-Allow-List.json": {
                "id": ids["sandbox_allow"],
                "targets": sorted([ids["sandbox_ou"], ids["sandbox"]]),
            },
        },
    }
    assert list(tree["accounts"]) == sorted(tree["accounts"])
    guardrails = (folder / "Guardrails.json").read_text(encoding="utf-8")
    assert guardrails == json.dumps(GUARDRAILS, indent=4) + "\n"


def test_the_same_organization_gives_the_same_bytes(organization, tmp_path) -> None:
    run("--out", str(tmp_path / "first"))
    run("--out", str(tmp_path / "second"))
    first = read_folder(tmp_path / "first")
    assert first == read_folder(tmp_path / "second")
    run("--out", str(tmp_path / "first"))
    assert read_folder(tmp_path / "first") == first


def test_stale_policy_files_are_reported_then_pruned(organization, tmp_path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "retired.json").write_text("{}\n", encoding="utf-8")
    (folder / "README.md").write_text("notes\n", encoding="utf-8")

    warned = run("--out", str(folder))
    assert f"warning: {folder / 'retired.json'} matches no SCP" in warned.output
    assert (folder / "retired.json").exists()

    pruned = run("--out", str(folder), "--prune")
    assert f"removed {folder / 'retired.json'}" in pruned.output
    assert not (folder / "retired.json").exists()
    assert (folder / "README.md").exists()


def test_settings_folder_is_the_default(organization, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scp-recommender.toml").write_text('[policies]\ndir = "scps"\n', encoding="utf-8")
    run()
    assert (tmp_path / "scps" / "organization.json").exists()


def test_no_organization_is_one_line_and_touches_nothing(offline_aws, tmp_path, capsys) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "mine.json").write_text('{"Version": "2012-10-17"}\n', encoding="utf-8")
    with mock_aws(), pytest.raises(SystemExit, match=r"^1$"):
        main(["sync-policies", "--out", str(folder)])

    error = capsys.readouterr().err
    assert error.startswith("error: AWS describe_organization failed:")
    assert error.count("\n") == 1
    assert read_folder(folder) == {"mine.json": b'{"Version": "2012-10-17"}\n'}
