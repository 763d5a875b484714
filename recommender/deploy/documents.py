"""The documents of the templates, in no tool's language: policies and the table definition as
`iam-policy` and `athena-setup` make them, with `{{name}}` placeholders for the parameters.

A placeholder is a leaf (a parameter, a pseudo-parameter or a resource of the template, bound by
each tool) or a `Choice` between two texts on a condition of the parameters; conditions are
named in snake case and defined by hand in each template (CloudFormation's Conditions, the
Terraform module's locals).
"""

import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from recommender.config import AthenaSettings
from recommender.iam_policy import (
    Grant,
    RoleResources,
    S3Location,
    audience_of,
    oidc_subject,
    repository_path,
    statement_groups,
    subject_ref,
    trust_document,
)
from recommender.sources.athena import table_ddl

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Choice:
    """A text that depends on a condition of the template's parameters."""

    condition: str
    then: str
    otherwise: str


# The values a template computes from its parameters, each made by the code that makes it for
# `iam-policy` and `athena-setup` (the trail's layout: recommender.sources.athena.trail_prefix).
CHOICES = {
    "trail_folder": Choice(
        "has_organization_id",
        "{{trail_prefix}}AWSLogs/{{organization_id}}/",
        "{{trail_prefix}}AWSLogs/",
    ),
    "repository_path": Choice(
        "has_immutable_ids",
        repository_path("{{owner}}", "{{name}}", ("{{owner_id}}", "{{repository_id}}")),
        repository_path("{{owner}}", "{{name}}", None),
    ),
    "subject_ref": Choice(
        "uses_environment",
        subject_ref("", "{{environment}}"),
        subject_ref("{{branch}}", None),
    ),
    "audience": Choice("is_china", audience_of("aws-cn"), audience_of("aws")),
    "oidc_provider": Choice(
        "creates_oidc_provider", "{{created_oidc_provider}}", "{{oidc_provider_arn}}"
    ),
}

# The condition of each optional part of the workflow role's permissions (None: always there).
# The template creates the results bucket, so the results part is always there.
GRANT_CONDITIONS: dict[Grant, str | None] = {
    Grant.QUERIES: None,
    Grant.QUERY_RESULTS: None,
    Grant.KMS_KEY: "has_kms_key",
    Grant.ORGANIZATIONS: "reads_organizations",
    Grant.ENABLED_REGIONS: "lists_regions",
}

WORKFLOW_ROLE = RoleResources(
    partition="{{partition}}",
    region="{{region}}",
    account="{{account}}",
    workgroup="{{workgroup}}",
    database="{{database}}",
    table="{{table}}",
    trail=S3Location("{{trail_bucket}}", "{{trail_folder}}"),
    results=S3Location("{{results_bucket}}", ""),
    kms_key="{{kms_key}}",
)


def permission_parts() -> list[tuple[str | None, list[dict[str, Any]]]]:
    """The workflow role's statements, in `iam-policy`'s order, by the condition they need."""
    groups = statement_groups(WORKFLOW_ROLE)
    return [(GRANT_CONDITIONS[grant], part) for grant, part in groups.items()]


def trust(ref: str = "{{subject_ref}}") -> dict[str, Any]:
    """The OIDC trust of a role: the repository, on the branch or in the environment given."""
    return trust_document(
        "{{oidc_provider}}", "{{audience}}", oidc_subject("{{repository_path}}", ref)
    )


# The apply role is used by one job, in its GitHub environment (where approvals are required).
APPLY_SUBJECT_REF = subject_ref("", "{{apply_environment}}")


# The table is read from the DDL `athena-setup` runs, made for a stand-in trail location that
# the placeholders then replace (the DDL's values pass the settings' checks; placeholders do not).
STAND_IN_BUCKET = "scp-recommender-stand-in"
STAND_IN_LOCATION = f"s3://{STAND_IN_BUCKET}/AWSLogs/"


@dataclass(frozen=True)
class TableDefinition:
    """A Glue table as the CloudTrail DDL defines it; types in Glue's spelling."""

    description: str
    columns: list[tuple[str, str]]
    partition_keys: list[tuple[str, str]]
    serde: str
    input_format: str
    output_format: str
    location: str
    parameters: dict[str, str]


def glue_type(kind: exp.DataType) -> str:
    """`STRUCT<a: STRING, b: MAP<STRING, STRING>>` as Glue stores it: `struct<a:string,...>`."""
    return kind.sql(dialect="hive").lower().replace(" ", "")


def _columns(schema: exp.Schema) -> list[tuple[str, str]]:
    return [(column.name, glue_type(column.args["kind"])) for column in schema.expressions]


def parse_table(ddl: str) -> TableDefinition:
    """The parts of a `CREATE EXTERNAL TABLE` statement that a Glue table is made of."""
    create = sqlglot.parse_one(ddl, read="hive")
    found: dict[str, Any] = {"parameters": {}}
    for prop in create.args["properties"].expressions:
        if isinstance(prop, exp.ExternalProperty):
            continue  # the templates make an EXTERNAL_TABLE
        if isinstance(prop, exp.SchemaCommentProperty):
            found["description"] = prop.this.name
        elif isinstance(prop, exp.PartitionedByProperty):
            found["partition_keys"] = _columns(prop.this)
        elif isinstance(prop, exp.RowFormatSerdeProperty) and not prop.args.get("serde_properties"):
            found["serde"] = prop.this.name
        elif isinstance(prop, exp.FileFormatProperty):
            found["input_format"] = prop.this.args["input_format"].name
            found["output_format"] = prop.this.args["output_format"].name
        elif isinstance(prop, exp.LocationProperty):
            found["location"] = prop.this.name
        elif type(prop) is exp.Property:
            found["parameters"][prop.this.name] = prop.args["value"].name
        else:
            unknown = prop.sql(dialect="hive")
            raise ValueError(f"the table DDL has {unknown!r}, which the templates do not make")
    return TableDefinition(columns=_columns(create.this), **found)


def table() -> TableDefinition:
    """The CloudTrail table of `athena-setup`, its trail location as placeholders."""
    ddl = table_ddl(AthenaSettings(trail_location=f"s3://{STAND_IN_BUCKET}"))
    symbolic = ddl.replace(STAND_IN_LOCATION, "s3://{{trail_bucket}}/{{trail_folder}}")
    if STAND_IN_BUCKET in symbolic:
        raise AssertionError("the table DDL names the trail in a way the templates do not know")
    return parse_table(symbolic)
