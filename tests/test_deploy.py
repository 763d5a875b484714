"""The templates in deploy/: generated parts up to date, cfn-lint clean, Terraform parsed, and
what each creates equal to what `iam-policy` prints and `athena-setup` runs.

The CloudFormation templates are deployed to moto's server; what moto's CloudFormation cannot
create (AWS::Athena::WorkGroup, AWS::Glue::*, AWS::IAM::OIDCProvider, AWS::S3::BucketPolicy in
moto 5.2) is resolved by moto's own template evaluator under the same parameters and checked
as properties. No terraform binary is at hand (and `terraform validate` needs the AWS provider
from the Terraform registry), so the Terraform module is parsed with python-hcl2 and its
generated locals are resolved here with the same values.
"""

import ast
import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
from click.testing import CliRunner
from hcl2 import SerializationOptions

from recommender.commands import cli
from recommender.config import Settings
from recommender.deploy.__main__ import generated
from recommender.deploy.__main__ import main as generate
from recommender.iam_policy import (
    TrustScope,
    apply_policy,
    delegation_policy,
    organizations_read_policy,
    permissions_policy,
    trust_policy,
)
from recommender.sources.athena import table_ddl

# moto says so for each resource type its CloudFormation cannot create; those are checked below.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "cloudformation" / "scp-recommender.yaml"
ORGANIZATIONS_TEMPLATE = DEPLOY / "cloudformation" / "scp-recommender-organizations.yaml"
TERRAFORM = DEPLOY / "terraform"
MOTO_ACCOUNT = "123456789012"
REGION = "eu-west-1"
PROVIDER = f"arn:aws:iam::{MOTO_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
KEY = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# L8, the orthogonal array of seven two-level factors: eight deployments in which every pair of
# options (organization trail, KMS key, accounts named, regions named, trail prefix, environment,
# immutable ids) occurs in all four combinations.
L8 = ["0000000", "0001111", "0110011", "0111100", "1010101", "1011010", "1100110", "1101001"]


@dataclass(frozen=True)
class Case:
    """One deployment's options, as the template's parameters and as the CLI's settings."""

    number: int
    organization: bool
    kms: bool
    accounts: bool
    regions: bool
    prefix: bool
    environment: bool
    ids: bool

    @classmethod
    def from_row(cls, number: int, row: str) -> "Case":
        return cls(number, *(flag == "1" for flag in row))

    @property
    def role_name(self) -> str:
        return f"scp-recommender-{self.number}"

    def parameters(self) -> dict[str, str]:
        values = {
            "TrailBucket": f"acme-trail-{self.number}",
            "TrailPrefix": "org/trail/" if self.prefix else "",
            "OrganizationId": f"o-abcdefghi{self.number}" if self.organization else "",
            "KmsKeyArn": KEY if self.kms else "",
            "Repository": f"acme-{self.number}/aws.scps",
            "Branch": f"release/{self.number}",
            "Environment": f"scp recommender {self.number}" if self.environment else "",
            "OwnerId": "4711" if self.ids else "",
            "RepositoryId": f"9{self.number}" if self.ids else "",
            "OidcProviderArn": PROVIDER,
            "QueryAccounts": "222222222222,333333333333" if self.accounts else "",
            "QueryRegions": "eu-west-1,us-east-1" if self.regions else "",
            "RoleName": self.role_name,
            "WorkGroupName": f"wg.{self.number}",
            "DatabaseName": f"audit_{self.number}",
            "TableName": f"trail_{self.number}",
            "BytesScannedCutoffPerQuery": str(10**9 * (self.number + 1)),
        }
        return values

    def query_toml(self) -> str:
        accounts = '["222222222222", "333333333333"]' if self.accounts else "[]"
        regions = '["eu-west-1", "us-east-1"]' if self.regions else "[]"
        return f"[query]\naccounts = {accounts}\nregions = {regions}\n"

    def trust_arguments(self) -> list[str]:
        values = self.parameters()
        arguments = ["--repository", values["Repository"], "--branch", values["Branch"]]
        if self.environment:
            arguments += ["--environment", values["Environment"]]
        if self.ids:
            arguments += [
                "--owner-id",
                values["OwnerId"],
                "--repository-id",
                values["RepositoryId"],
            ]
        return arguments

    def trust_scope(self) -> TrustScope:
        values = self.parameters()
        return TrustScope(
            repository=values["Repository"],
            branch=values["Branch"],
            environment=values["Environment"] or None,
            owner_id=values["OwnerId"] or None,
            repository_id=values["RepositoryId"] or None,
        )


CASES = [Case.from_row(number, row) for number, row in enumerate(L8)]


def load_template(path: Path) -> dict[str, Any]:
    from cfnlint.decode import decode

    template, matches = decode(path)
    assert not matches and template is not None, matches
    plain: dict[str, Any] = json.loads(json.dumps(template))  # as a JSON template body
    return plain


def iam_policy_cli(tmp_path: Path, settings: str, *arguments: str) -> dict[str, Any]:
    """`scp-recommender iam-policy` as a user runs it, with this scp-recommender.toml."""
    config = tmp_path / "scp-recommender.toml"
    config.write_text(settings)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "iam-policy", "--account", MOTO_ACCOUNT, *arguments]
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


# --- Generated, linted, parsed ---------------------------------------------------------------


def test_the_generated_parts_are_up_to_date():
    for path, content in generated().items():
        assert path.read_text() == content, f"{path} is stale: run python -m recommender.deploy"


def test_check_names_a_stale_file_and_writing_mends_it(tmp_path, capsys):
    copy = tmp_path / "deploy"
    for path in generated():
        target = copy / path.relative_to(DEPLOY)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    table = copy / "terraform" / "generated.tf"
    table.write_text(table.read_text().replace('"projection.enabled" = "true"', ""))
    template = copy / "cloudformation" / "scp-recommender.yaml"
    template.write_text(template.read_text().replace("kms:Decrypt", "kms:*"))
    assert generate(["--check", "--root", str(copy)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{template}: out of date",
        f"{table}: out of date",
    ]
    assert generate(["--root", str(copy)]) == 0
    assert generate(["--check", "--root", str(copy)]) == 0


def test_cfn_lint_reports_nothing_on_the_templates():
    """The installed command, once for both templates (its library loads the rules anew for
    each file, several times slower)."""
    command = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(command), "--", str(TEMPLATE), str(ORGANIZATIONS_TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def terraform_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


def parse_terraform(path: Path) -> dict[str, Any]:
    options = SerializationOptions(strip_string_quotes=True, with_comments=False)
    parsed: dict[str, Any] = hcl2.loads(path.read_text(), serialization_options=options)
    return parsed


def test_every_terraform_file_parses():
    files = terraform_files()
    assert {path.name for path in files} >= {
        "main.tf",
        "variables.tf",
        "outputs.tf",
        "versions.tf",
        "generated.tf",
    }
    for path in files:
        assert parse_terraform(path), path


def variables_of(module: Path) -> set[str]:
    blocks = parse_terraform(module / "variables.tf")["variable"]
    return {name for block in blocks for name in block}


def test_the_terraform_readme_lists_every_input_and_output():
    readme = (TERRAFORM / "README.md").read_text()
    for module in (TERRAFORM, TERRAFORM / "modules" / "organizations"):
        outputs = {
            name for block in parse_terraform(module / "outputs.tf")["output"] for name in block
        }
        for name in variables_of(module) | outputs:
            assert f"`{name}`" in readme, (module, name)


def test_the_modules_take_the_templates_parameters():
    """Each CloudFormation parameter has its Terraform variable (snake case)."""
    pairs = [(TEMPLATE, TERRAFORM), (ORGANIZATIONS_TEMPLATE, TERRAFORM / "modules/organizations")]
    for template, module in pairs:
        parameters = load_template(template)["Parameters"]
        snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in parameters}
        snake = {name.replace("work_group", "workgroup") for name in snake}
        assert snake <= variables_of(module), snake - variables_of(module)


# --- CloudFormation on moto ------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def deploy(endpoint: str, template: Path, name: str, parameters: dict[str, str]) -> dict[str, str]:
    """Create the stack on moto; its outputs."""
    cloudformation = client(endpoint, "cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(load_template(template)),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def role_documents(endpoint: str, role: str, policy: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trust and the inline policy of a role that moto's CloudFormation created. moto keeps
    such an inline policy as Python's repr of the document, and an `AWS::NoValue` item of a
    list as None where AWS drops it: both are undone here."""
    iam = client(endpoint, "iam")
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    stored = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    document = ast.literal_eval(stored) if isinstance(stored, str) else stored
    document["Statement"] = [item for item in document["Statement"] if item is not None]
    return trust, document


def evaluated(template: dict[str, Any], parameters: dict[str, str], value: Any) -> Any:
    """A part of the template as moto's CloudFormation evaluates it under these parameters
    (conditions, Ref, Fn::Sub, Fn::If ...), for resources its server cannot create."""
    from moto import mock_aws
    from moto.cloudformation.parsing import ResourceMap, clean_json

    with mock_aws():
        resources = ResourceMap(
            stack_id="stack",
            stack_name="stack",
            parameters=parameters,
            tags={},
            region_name=REGION,
            account_id=MOTO_ACCOUNT,
            template=template,
            cross_stack_resources={},
        )
        resources.load()
        return clean_json(value, resources)


@pytest.mark.parametrize("case", CASES, ids=[f"L8-{row}" for row in L8])
def test_the_workflow_stack_grants_what_iam_policy_prints(moto_endpoint, tmp_path, case):
    outputs = deploy(moto_endpoint, TEMPLATE, f"scp-recommender-{case.number}", case.parameters())
    assert outputs["RoleArn"] == f"arn:aws:iam::{MOTO_ACCOUNT}:role/{case.role_name}"
    assert outputs["Region"] == REGION
    # The newcomer's path: the Settings output pasted into scp-recommender.toml, then iam-policy.
    settings = outputs["Settings"] + "\n\n" + case.query_toml()
    trust, permissions = role_documents(moto_endpoint, case.role_name, "scp-recommender")
    assert permissions == iam_policy_cli(tmp_path, settings)
    assert trust == iam_policy_cli(tmp_path, settings, "--trust", *case.trust_arguments())

    athena = Settings.model_validate(tomllib.loads(settings)).athena
    assert athena.organization_id == (case.parameters()["OrganizationId"] or None)
    assert athena.kms_key_arn == (KEY if case.kms else None)
    bucket = athena.output_location.removeprefix("s3://") if athena.output_location else ""
    encryption = client(moto_endpoint, "s3").get_bucket_encryption(Bucket=bucket)
    rules = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def ddl_parts(ddl: str) -> dict[str, Any]:
    """The table of a CREATE EXTERNAL TABLE statement, read with regular expressions (not with
    the generator's parser): columns and partition keys as `name:type`, types without spaces."""

    def fields(block: str) -> list[str]:
        depth, field, found = 0, "", []
        for char in block + ",":
            depth += (char == "<") - (char == ">")
            if char == "," and depth == 0:
                name, kind = field.split(None, 1)
                compact = "".join(kind.split()).lower()
                found.append(f"{name.strip('`')}:{compact}")
                field = ""
            else:
                field += char
        return found

    columns = re.search(r"\((.*)\)\s*COMMENT", ddl, re.S)
    partitions = re.search(r"PARTITIONED BY \((.*?)\)\s*ROW FORMAT", ddl, re.S)
    assert columns and partitions
    return {
        "columns": fields(columns.group(1)),
        "partition_keys": fields(partitions.group(1)),
        "serde": re.findall(r"SERDE '([^']+)'", ddl),
        "formats": re.findall(r"(?:INPUT|OUTPUT)FORMAT '([^']+)'", ddl),
        "location": re.findall(r"LOCATION '([^']+)'", ddl),
        "parameters": dict(re.findall(r"'([^']+)' = '([^']*)'", ddl.split("TBLPROPERTIES")[1])),
    }


def table_parts(table: dict[str, Any]) -> dict[str, Any]:
    """The same parts of a Glue table given as the Terraform module's `cloudtrail_table`."""

    def fields(columns: list[dict[str, str]]) -> list[str]:
        return [f"{column['name']}:{column['type']}" for column in columns]

    return {
        "columns": fields(table["columns"]),
        "partition_keys": fields(table["partition_keys"]),
        "serde": [table["serde"]],
        "formats": [table["input_format"], table["output_format"]],
        "location": [table["location"]],
        "parameters": table["parameters"],
    }


def cloudformation_table(table_input: dict[str, Any]) -> dict[str, Any]:
    storage = table_input["StorageDescriptor"]

    def columns(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{"name": item["Name"], "type": item["Type"]} for item in items]

    return table_parts(
        {
            "columns": columns(storage["Columns"]),
            "partition_keys": columns(table_input["PartitionKeys"]),
            "serde": storage["SerdeInfo"]["SerializationLibrary"],
            "input_format": storage["InputFormat"],
            "output_format": storage["OutputFormat"],
            "location": storage["Location"],
            "parameters": table_input["Parameters"],
        }
    )


def case_settings(case: Case, output_location: str) -> Settings:
    values = case.parameters()
    return Settings.model_validate(
        tomllib.loads(
            case.query_toml()
            + "[athena]\n"
            + f'region = "{REGION}"\n'
            + f'workgroup = "{values["WorkGroupName"]}"\n'
            + f'database = "{values["DatabaseName"]}"\n'
            + f'table = "{values["TableName"]}"\n'
            + f'trail_location = "s3://{values["TrailBucket"]}/{values["TrailPrefix"]}"\n'
            + f'output_location = "{output_location}"\n'
            + (f'organization_id = "{values["OrganizationId"]}"\n' if case.organization else "")
            + (f'kms_key_arn = "{KEY}"\n' if case.kms else "")
        )
    )


@pytest.mark.parametrize("case", CASES, ids=[f"L8-{row}" for row in L8])
def test_the_stacks_table_and_workgroup_are_athena_setups(case):
    template = load_template(TEMPLATE)
    parameters = case.parameters()
    resources = evaluated(template, parameters, template["Resources"])
    settings = case_settings(case, "s3://results")
    table = resources["CloudTrailTable"]["Properties"]["TableInput"]
    assert table["Name"] == settings.athena.table
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert cloudformation_table(table) == ddl_parts(table_ddl(settings.athena))

    workgroup = resources["WorkGroup"]["Properties"]
    configuration = workgroup["WorkGroupConfiguration"]
    assert workgroup["Name"] == settings.athena.workgroup
    assert (
        str(configuration["BytesScannedCutoffPerQuery"]) == parameters["BytesScannedCutoffPerQuery"]
    )
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert re.fullmatch(r"s3://stack-resultsbucket-\w+/", results["OutputLocation"])
    expected = (
        {"EncryptionOption": "SSE_KMS", "KmsKey": KEY}
        if case.kms
        else {"EncryptionOption": "SSE_S3"}
    )
    assert results["EncryptionConfiguration"] == expected


def test_the_results_bucket_is_private_tls_only_and_expires():
    """Checked on the template: moto's CloudFormation applies only a bucket's encryption and
    tags, and cannot create a bucket policy."""
    resources = load_template(TEMPLATE)["Resources"]
    bucket = resources["ResultsBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {
        "Ref": "ResultsRetentionDays"
    }
    (statement,) = resources["ResultsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_stack_creates_the_oidc_provider_only_when_none_is_given():
    """moto's CloudFormation has no AWS::IAM::OIDCProvider: the choice is evaluated."""
    template = load_template(TEMPLATE)
    parameters = {**CASES[0].parameters(), "OidcProviderArn": ""}
    trust = template["Resources"]["WorkflowRole"]["Properties"]["AssumeRolePolicyDocument"]
    principal = trust["Statement"][0]["Principal"]["Federated"]
    assert principal == {
        "Fn::If": ["CreatesOidcProvider", {"Ref": "GitHubOidcProvider"}, {"Ref": "OidcProviderArn"}]
    }
    assert template["Resources"]["GitHubOidcProvider"]["Condition"] == "CreatesOidcProvider"
    assert evaluated(template, parameters, {"Fn::If": ["CreatesOidcProvider", 1, 2]}) == 1
    assert (
        evaluated(template, CASES[0].parameters(), {"Fn::If": ["CreatesOidcProvider", 1, 2]}) == 2
    )


def test_the_organizations_stack_grants_what_iam_policy_prints(moto_endpoint, tmp_path):
    case = CASES[3]  # environment-less read role, no immutable ids
    values = case.parameters()
    parameters = {
        name: values[name]
        for name in ("Repository", "Branch", "Environment", "OwnerId", "RepositoryId")
    }
    parameters |= {
        "OidcProviderArn": PROVIDER,
        "CreateApplyRole": "true",
        "ApplyEnvironment": "scp approvals",
        "ReadRoleName": "org-read",
        "ApplyRoleName": "org-apply",
        "WorkflowRoleArn": f"arn:aws:iam::{MOTO_ACCOUNT}:role/{case.role_name}",
    }
    outputs = deploy(moto_endpoint, ORGANIZATIONS_TEMPLATE, "scp-recommender-org", parameters)
    assert outputs == {
        "ReadRoleArn": f"arn:aws:iam::{MOTO_ACCOUNT}:role/org-read",
        "ApplyRoleArn": f"arn:aws:iam::{MOTO_ACCOUNT}:role/org-apply",
    }
    settings = f'[athena]\nregion = "{REGION}"\n'
    read_trust, read = role_documents(
        moto_endpoint, "org-read", "scp-recommender-organizations-read"
    )
    assert read == iam_policy_cli(tmp_path, settings, "--read-organizations")
    assert read_trust == iam_policy_cli(tmp_path, settings, "--trust", *case.trust_arguments())
    apply_trust, apply = role_documents(moto_endpoint, "org-apply", "scp-recommender-apply")
    assert apply == iam_policy_cli(tmp_path, settings, "--apply")
    apply_scope = ["--repository", values["Repository"], "--environment", "scp approvals"]
    assert apply_trust == iam_policy_cli(tmp_path, settings, "--trust", *apply_scope)
    # moto's CloudFormation cannot create the organization's resource policy: evaluated.
    template = load_template(ORGANIZATIONS_TEMPLATE)
    delegation = evaluated(template, parameters, template["Resources"]["DelegationPolicy"])
    assert delegation["Condition"] == "DelegatesToWorkflowRole"
    assert delegation["Properties"]["Content"] == iam_policy_cli(
        tmp_path, settings, "--delegation", "--role-name", case.role_name
    )
    no_delegation = {**parameters, "WorkflowRoleArn": ""}
    assert evaluated(template, no_delegation, {"Fn::If": ["DelegatesToWorkflowRole", 1, 2]}) == 2


def test_the_organizations_stack_creates_no_role_unless_asked(moto_endpoint):
    parameters = {"Repository": "acme/aws-scps", "CreateReadRole": "false"}
    assert deploy(moto_endpoint, ORGANIZATIONS_TEMPLATE, "scp-recommender-none", parameters) == {}


def documented_commands(program: str) -> list[list[str]]:
    """The commands of docs/setup.md that start with `program` (continuations joined, comments
    dropped), each once."""
    page = (ROOT / "docs" / "setup.md").read_text().replace("\\\n", " ")
    lines = [line for line in page.splitlines() if line.startswith(program)]
    commands = dict.fromkeys(tuple(shlex.split(line, comments=True)) for line in lines)
    return [list(words) for words in commands]


def option_values(words: list[str], option: str) -> list[str]:
    """The words after `option` up to the next option."""
    start = words.index(option) + 1
    end = next((i for i in range(start, len(words)) if words[i].startswith("--")), len(words))
    return words[start:end]


def test_the_guides_cloudformation_commands_deploy(moto_endpoint):
    """Each `aws cloudformation deploy` of docs/setup.md, as written, on moto: its parameters
    are the template's and include every required one; the Settings output has the keys of the
    guide's example and is valid."""
    commands = documented_commands("aws cloudformation deploy")
    assert len(commands) >= 2
    templates = set()
    for number, words in enumerate(commands):
        (template,) = option_values(words, "--template-file")
        templates.add(template)
        parameters = dict(
            word.split("=", 1) for word in option_values(words, "--parameter-overrides")
        )
        declared = load_template(ROOT / template)["Parameters"]
        assert set(parameters) <= set(declared)
        assert {name for name, spec in declared.items() if "Default" not in spec} <= set(parameters)
        outputs = deploy(moto_endpoint, ROOT / template, f"guide-{number}", parameters)
        if "Settings" in outputs:
            page = (ROOT / "docs" / "setup.md").read_text()
            (example,) = [
                b for b in re.findall(r"```toml\n(.*?)```", page, re.S) if "[athena]" in b
            ]
            shown = tomllib.loads(example)["athena"]
            made = tomllib.loads(outputs["Settings"])
            assert set(made["athena"]) == set(shown)
            assert Settings.model_validate(made).athena.trail_location == shown["trail_location"]
    assert templates == {str(path.relative_to(ROOT)) for path in (TEMPLATE, ORGANIZATIONS_TEMPLATE)}


def test_the_guides_terraform_command_sets_module_variables():
    (apply,) = [words for words in documented_commands("terraform") if "apply" in words]
    names = {words.split("=", 1)[0] for words in apply[apply.index("-var") :] if "=" in words}
    assert names and names <= variables_of(TERRAFORM)


# --- Terraform, resolved ---------------------------------------------------------------------


def generated_locals(module: Path) -> dict[str, Any]:
    (block,) = parse_terraform(module / "generated.tf")["locals"]
    return {name: value for name, value in block.items() if not name.startswith("__")}


INTERPOLATION = re.compile(r"(?<!\$)\$\{([^{}]+)\}")
CHOICE = re.compile(r'^\$\{(local\.\w+) \? (".*"|[^"].*) : (".*"|[^"].*)\}$')


def resolve(value: Any, known: dict[str, Any]) -> Any:
    """A parsed HCL value with its references replaced by known values: `${ref}` in strings,
    a whole `${ref}`, and the `${cond ? a : b}` choices of generated.tf."""
    if isinstance(value, dict):
        return {key: resolve(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, known) for item in value]
    if not isinstance(value, str):
        return value
    choice = CHOICE.match(value)
    if choice:
        condition, then, otherwise = choice.groups()
        picked = then if known[condition] else otherwise
        return resolve(picked[1:-1] if picked.startswith('"') else "${" + picked + "}", known)
    whole = INTERPOLATION.fullmatch(value)
    if whole:
        return known[whole.group(1)]
    text = INTERPOLATION.sub(lambda match: str(known[match.group(1)]), value)
    return text.replace("$${", "${").replace("%%{", "%{")


def terraform_known(case: Case, bucket: str) -> dict[str, Any]:
    """What the module's variables, data sources and main.tf's locals are for this case (the
    conditions as main.tf writes them, which no evaluator here checks)."""
    values = case.parameters()
    owner, name = values["Repository"].split("/")
    known: dict[str, Any] = {
        "local.partition": "aws",
        "local.region": REGION,
        "local.account_id": MOTO_ACCOUNT,
        "local.repository_owner": owner,
        "local.repository_name": name,
        "aws_s3_bucket.results.bucket": bucket,
        "one(aws_iam_openid_connect_provider.github[*].arn)": PROVIDER,
        "var.apply_environment": "scp approvals",
        "local.has_organization_id": case.organization,
        "local.has_kms_key": case.kms,
        "local.uses_environment": case.environment,
        "local.has_immutable_ids": case.ids,
        "local.creates_oidc_provider": True,
        "local.is_china": False,
        "local.reads_organizations": case.organization or not case.accounts,
        "local.lists_regions": not case.regions,
    }
    variables = {
        "trail_bucket": "TrailBucket",
        "trail_prefix": "TrailPrefix",
        "organization_id": "OrganizationId",
        "kms_key_arn": "KmsKeyArn",
        "branch": "Branch",
        "environment": "Environment",
        "owner_id": "OwnerId",
        "repository_id": "RepositoryId",
        "oidc_provider_arn": "OidcProviderArn",
        "workgroup_name": "WorkGroupName",
        "database_name": "DatabaseName",
        "table_name": "TableName",
    }
    known |= {f"var.{variable}": values[parameter] for variable, parameter in variables.items()}
    return known


def with_choices(locals_: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """`known` with generated.tf's choices resolved (they refer to each other in order)."""
    known = dict(known)
    for name, value in locals_.items():
        if isinstance(value, str) and CHOICE.match(value):
            known[f"local.{name}"] = resolve(value, known)
    return known


@pytest.mark.parametrize("case", CASES, ids=[f"L8-{row}" for row in L8])
def test_the_terraform_module_grants_what_iam_policy_prints(case):
    locals_ = generated_locals(TERRAFORM)
    known = with_choices(locals_, terraform_known(case, "acme-results"))
    settings = case_settings(case, "s3://acme-results")
    parts = resolve(locals_["workflow_permission_parts"], known)
    statements = [statement for part in parts if part["when"] for statement in part["statements"]]
    assert statements == permissions_policy(settings, MOTO_ACCOUNT, REGION)["Statement"]
    trust = resolve(locals_["workflow_trust"], known)
    assert trust == trust_policy(MOTO_ACCOUNT, REGION, case.trust_scope())
    table = resolve(locals_["cloudtrail_table"], known)
    assert table_parts(table) == ddl_parts(table_ddl(settings.athena))


def test_the_terraform_organizations_module_grants_what_iam_policy_prints():
    case = CASES[5]
    locals_ = generated_locals(TERRAFORM / "modules" / "organizations")
    known = with_choices(locals_, terraform_known(case, "unused"))
    scope = case.trust_scope()
    apply_scope = TrustScope(
        repository=scope.repository,
        environment="scp approvals",
        owner_id=scope.owner_id,
        repository_id=scope.repository_id,
    )
    assert resolve(locals_["read_trust"], known) == trust_policy(MOTO_ACCOUNT, REGION, scope)
    assert resolve(locals_["apply_trust"], known) == trust_policy(MOTO_ACCOUNT, REGION, apply_scope)
    assert resolve(locals_["read_permissions"], known) == organizations_read_policy()
    assert resolve(locals_["apply_permissions"], known) == apply_policy()
    role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/{case.role_name}"
    known["var.workflow_role_arn"] = role
    assert resolve(locals_["delegation_policy"], known) == delegation_policy(role)
