"""Accounts, regions and the organization tree from AWS Organizations (moto)."""

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.organizations.models import organizations_backends

from recommender.errors import OutputError, SourceError
from recommender.orgs import (
    Organization,
    ServiceControlPolicy,
    active_accounts,
    enabled_regions,
    policy_file_names,
    read_organization,
    render_files,
    write_files,
)

REGION = "us-east-1"


@pytest.fixture
def aws(offline_aws):
    with mock_aws():
        yield boto3.client("organizations", region_name=REGION)


def create_accounts(organizations, count: int) -> list[str]:
    return [
        organizations.create_account(AccountName=f"acct-{n}", Email=f"a{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(count)
    ]


def count_calls(client, operation: str) -> list[int]:
    calls: list[int] = []
    client.meta.events.register(
        f"before-call.organizations.{operation}", lambda **_: calls.append(1)
    )
    return calls


def test_active_accounts_follow_every_page_and_skip_closed(aws) -> None:
    aws.create_organization(FeatureSet="ALL")
    created = create_accounts(aws, 120)
    aws.close_account(AccountId=created[5])
    calls = count_calls(aws, "ListAccounts")

    accounts = active_accounts(aws)

    assert len(calls) == 2  # moto pages by 100, as Organizations pages by 20
    assert created[5] not in accounts
    assert accounts == sorted({DEFAULT_ACCOUNT_ID, *created} - {created[5]})


def test_state_wins_over_the_deprecated_status(aws) -> None:
    aws.create_organization(FeatureSet="ALL")
    closing, active = create_accounts(aws, 2)
    backend = organizations_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.get_account_by_id(closing).state = "PENDING_CLOSURE"

    assert active_accounts(aws) == sorted([DEFAULT_ACCOUNT_ID, active])


def test_status_alone_is_enough(aws) -> None:
    """Responses from before `State` existed carry only `Status`."""
    aws.create_organization(FeatureSet="ALL")
    suspended, active = create_accounts(aws, 2)
    aws.close_account(AccountId=suspended)

    def drop_state(parsed, **_):
        for account in parsed["Accounts"]:
            del account["State"]

    aws.meta.events.register("after-call.organizations.ListAccounts", drop_state)
    assert active_accounts(aws) == sorted([DEFAULT_ACCOUNT_ID, active])


def test_no_organization_is_a_source_error(aws) -> None:
    with pytest.raises(SourceError, match=r"AWS describe_organization failed: .*NotInUse"):
        read_organization(aws)


def test_enabled_regions_from_account_list_regions() -> None:
    account = boto3.client("account", region_name=REGION)
    stubber = Stubber(account)
    expected = {"RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"]}
    stubber.add_response(
        "list_regions",
        {
            "Regions": [{"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}],
            "NextToken": "page-2",
        },
        expected,
    )
    stubber.add_response(
        "list_regions",
        {"Regions": [{"RegionName": "eu-south-2", "RegionOptStatus": "ENABLED"}]},
        {**expected, "NextToken": "page-2"},
    )
    with stubber:
        assert enabled_regions(account, ec2=None) == ["eu-south-2", "us-east-1"]
    stubber.assert_no_pending_responses()


def test_enabled_regions_fall_back_to_ec2(aws) -> None:
    # moto has no account:ListRegions (it answers 404), as when the role may not call it.
    regions = enabled_regions(boto3.client("account"), boto3.client("ec2"))
    assert {"us-east-1", "eu-west-1"} <= set(regions)
    assert regions == sorted(regions)


def test_read_organization_walks_the_tree(aws) -> None:
    aws.create_organization(FeatureSet="ALL")
    root = aws.list_roots()["Roots"][0]["Id"]
    workloads = aws.create_organizational_unit(ParentId=root, Name="Workloads")
    prod_ou = aws.create_organizational_unit(
        ParentId=workloads["OrganizationalUnit"]["Id"], Name="Prod"
    )["OrganizationalUnit"]["Id"]
    (prod,) = create_accounts(aws, 1)
    aws.move_account(AccountId=prod, SourceParentId=root, DestinationParentId=prod_ou)
    policy = aws.create_policy(
        Content=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Description="d",
        Name="Deny Things",
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    aws.attach_policy(PolicyId=policy, TargetId=prod_ou)
    aws.attach_policy(PolicyId=policy, TargetId=prod)

    organization = read_organization(aws)

    assert organization.management_account == DEFAULT_ACCOUNT_ID
    assert organization.root == root
    assert organization.ous[prod_ou].name == "Prod"
    assert organization.ous[prod_ou].parent == workloads["OrganizationalUnit"]["Id"]
    assert organization.accounts[prod].parent == prod_ou
    assert organization.accounts[DEFAULT_ACCOUNT_ID].parent == root
    (deny,) = [p for p in organization.policies if p.name == "Deny Things"]
    assert deny.targets == tuple(sorted([prod_ou, prod]))


def scp(policy_id: str, name: str) -> ServiceControlPolicy:
    return ServiceControlPolicy(policy_id, name, '{"Version": "2012-10-17"}', ())


def test_file_names_are_safe_and_never_collide() -> None:
    policies = [
        scp("p-1", "Deny All"),
        scp("p-2", "allow_list.v2"),
        scp("p-3", "../../etc/passwd"),
        scp("p-4", "organization"),
        scp("p-5", "région guard"),
        scp("p-6", "..."),
    ]
    assert policy_file_names(policies) == {
        "p-1": "Deny-All.json",
        "p-2": "allow_list.v2.json",
        "p-3": "etc-passwd.json",
        "p-4": "organization-p-4.json",
        "p-5": "r-gion-guard.json",
        "p-6": "policy.json",
    }
    # Case-insensitive file systems would make these one file.
    clashing = [scp("p-1", "Deny All"), scp("p-2", "deny-all")]
    assert policy_file_names(clashing) == {"p-1": "Deny-All-p-1.json", "p-2": "deny-all-p-2.json"}


def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path) -> None:
    (tmp_path / "keep.json").write_text('{"old": true}\n', encoding="utf-8")
    (tmp_path / "organization.json").write_text("{}\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    organization = Organization("111111111111", "r-ab12", policies=[scp("p-1", "keep")])
    files = render_files(organization)
    # A name the file system refuses (too long) fails after other files were staged.
    files["z" * 300 + ".json"] = "{}\n"

    with pytest.raises(OutputError, match=f"cannot write {tmp_path}/z+.json: File name too long"):
        write_files(tmp_path, files)

    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
