"""The templates against `iam-policy` and `athena-setup` for drawn parameters: the
CloudFormation template as moto's template evaluator resolves it, the Terraform module's
generated locals as tests/test_deploy.py resolves them. Names, prefixes and every option are
drawn (tests/test_deploy.py deploys eight fixed combinations to moto's server)."""

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.config import Settings
from recommender.iam_policy import TrustScope, permissions_policy, trust_policy
from recommender.sources.athena import table_ddl
from tests.test_deploy import (
    MOTO_ACCOUNT,
    PROVIDER,
    REGION,
    TEMPLATE,
    TERRAFORM,
    cloudformation_table,
    ddl_parts,
    evaluated,
    generated_locals,
    load_template,
    resolve,
    table_parts,
    with_choices,
)

LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
buckets = st.text(LOWER + "-", min_size=1, max_size=20).map(lambda text: f"b{text}0")
segments = st.text(LOWER + "_=-", min_size=1, max_size=8)
glue_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20)
ids = st.integers(1, 10**12).map(str)
TEMPLATE_BODY = load_template(TEMPLATE)
TERRAFORM_LOCALS = generated_locals(TERRAFORM)


@st.composite
def options(draw: st.DrawFn) -> dict[str, Any]:
    """The template's parameters, and the [query] lists that go with them."""
    owner_and_repository = draw(st.tuples(ids, ids)) if draw(st.booleans()) else ("", "")
    return {
        "TrailBucket": draw(buckets),
        "TrailPrefix": "".join(f"{s}/" for s in draw(st.lists(segments, max_size=2))),
        "OrganizationId": draw(st.sampled_from(["", "o-a1b2c3d4e5", "o-" + "z" * 32])),
        "KmsKeyArn": draw(st.sampled_from(["", f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:key/k-1"])),
        "Repository": draw(st.sampled_from(["acme/aws-scps", "A-1/x.y_z"])),
        "Branch": draw(st.sampled_from(["main", "release/2026.1"])),
        "Environment": draw(st.sampled_from(["", "scp recommender"])),
        "OwnerId": owner_and_repository[0],
        "RepositoryId": owner_and_repository[1],
        "OidcProviderArn": PROVIDER,
        "QueryAccounts": draw(st.sampled_from(["", "222222222222,333333333333"])),
        "QueryRegions": draw(st.sampled_from(["", "eu-west-1"])),
        "WorkGroupName": draw(st.text(LOWER + "._-", min_size=1, max_size=20)),
        "DatabaseName": draw(glue_names),
        "TableName": draw(glue_names),
    }


def query_toml(parameters: dict[str, str]) -> str:
    def listed(value: str) -> str:
        return "[" + ", ".join(f'"{item}"' for item in value.split(",") if item) + "]"

    accounts, regions = listed(parameters["QueryAccounts"]), listed(parameters["QueryRegions"])
    return f"[query]\naccounts = {accounts}\nregions = {regions}\n"


def scope(parameters: dict[str, str]) -> TrustScope:
    return TrustScope(
        repository=parameters["Repository"],
        branch=parameters["Branch"],
        environment=parameters["Environment"] or None,
        owner_id=parameters["OwnerId"] or None,
        repository_id=parameters["RepositoryId"] or None,
    )


@settings(deadline=None)  # the first example imports moto's models
@given(options())
def test_the_cloudformation_template_is_iam_policy_and_athena_setup(parameters):
    resources = TEMPLATE_BODY["Resources"]
    made = evaluated(
        TEMPLATE_BODY,
        parameters,
        {
            "settings": TEMPLATE_BODY["Outputs"]["Settings"]["Value"],
            "role": resources["WorkflowRole"]["Properties"],
            "table": resources["CloudTrailTable"]["Properties"]["TableInput"],
        },
    )
    configured = Settings.model_validate(tomllib.loads(made["settings"] + query_toml(parameters)))
    (policy,) = made["role"]["Policies"]
    statements = [item for item in policy["PolicyDocument"]["Statement"] if item is not None]
    assert statements == permissions_policy(configured, MOTO_ACCOUNT, REGION)["Statement"]
    trust = made["role"]["AssumeRolePolicyDocument"]
    assert trust == trust_policy(MOTO_ACCOUNT, REGION, scope(parameters))
    assert cloudformation_table(made["table"]) == ddl_parts(table_ddl(configured.athena))


@settings(deadline=None)  # the first example imports moto's models
@given(options())
def test_the_terraform_module_is_iam_policy_and_athena_setup(parameters):
    configured = Settings.model_validate(
        tomllib.loads(
            query_toml(parameters)
            + "[athena]\n"
            + f'region = "{REGION}"\n'
            + f'workgroup = "{parameters["WorkGroupName"]}"\n'
            + f'database = "{parameters["DatabaseName"]}"\n'
            + f'table = "{parameters["TableName"]}"\n'
            + f'trail_location = "s3://{parameters["TrailBucket"]}/{parameters["TrailPrefix"]}"\n'
            + 'output_location = "s3://results"\n'
            + (f'organization_id = "{o}"\n' if (o := parameters["OrganizationId"]) else "")
            + (f'kms_key_arn = "{k}"\n' if (k := parameters["KmsKeyArn"]) else "")
        )
    )
    owner, name = parameters["Repository"].split("/")
    variables = {
        "trail_bucket": "TrailBucket",
        "trail_prefix": "TrailPrefix",
        "organization_id": "OrganizationId",
        "kms_key_arn": "KmsKeyArn",
        "branch": "Branch",
        "environment": "Environment",
        "owner_id": "OwnerId",
        "repository_id": "RepositoryId",
        "workgroup_name": "WorkGroupName",
        "database_name": "DatabaseName",
        "table_name": "TableName",
    }
    known: dict[str, Any] = {f"var.{v}": parameters[p] for v, p in variables.items()}
    known |= {
        "local.partition": "aws",
        "local.region": REGION,
        "local.account_id": MOTO_ACCOUNT,
        "local.repository_owner": owner,
        "local.repository_name": name,
        "aws_s3_bucket.results.bucket": "results",
        "one(aws_iam_openid_connect_provider.github[*].arn)": PROVIDER,
        # main.tf's conditions, as written there
        "local.has_organization_id": parameters["OrganizationId"] != "",
        "local.has_kms_key": parameters["KmsKeyArn"] != "",
        "local.uses_environment": parameters["Environment"] != "",
        "local.has_immutable_ids": parameters["RepositoryId"] != "",
        "local.creates_oidc_provider": True,
        "local.is_china": False,
        "local.reads_organizations": parameters["OrganizationId"] != ""
        or parameters["QueryAccounts"] == "",
        "local.lists_regions": parameters["QueryRegions"] == "",
    }
    known = with_choices(TERRAFORM_LOCALS, known)
    parts = resolve(TERRAFORM_LOCALS["workflow_permission_parts"], known)
    statements = [statement for part in parts if part["when"] for statement in part["statements"]]
    assert statements == permissions_policy(configured, MOTO_ACCOUNT, REGION)["Statement"]
    trust = resolve(TERRAFORM_LOCALS["workflow_trust"], known)
    assert trust == trust_policy(MOTO_ACCOUNT, REGION, scope(parameters))
    table = resolve(TERRAFORM_LOCALS["cloudtrail_table"], known)
    assert table_parts(table) == ddl_parts(table_ddl(configured.athena))
