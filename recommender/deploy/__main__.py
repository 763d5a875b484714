"""`python -m recommender.deploy [--check]`: write the generated parts of the templates in
deploy/, or exit 1 naming those that differ from what the code makes now."""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recommender.deploy import cloudformation, terraform
from recommender.deploy.documents import APPLY_SUBJECT_REF, permission_parts, table, trust
from recommender.iam_policy import apply_policy, delegation_policy, organizations_read_policy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
WORKFLOW_ROLE_ARN = "{{workflow_role_arn}}"
TRUST_CHOICES = ["repository_path", "subject_ref", "audience", "oidc_provider"]


def cloudformation_table() -> Any:
    made = table()
    return cloudformation.render(
        {
            "Name": "{{table}}",
            "Description": made.description,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": made.parameters,
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in made.partition_keys],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in made.columns],
                "Location": made.location,
                "InputFormat": made.input_format,
                "OutputFormat": made.output_format,
                "SerdeInfo": {"SerializationLibrary": made.serde},
            },
        }
    )


def terraform_table() -> dict[str, Any]:
    made = table()
    return {
        "description": made.description,
        "columns": [{"name": n, "type": t} for n, t in made.columns],
        "partition_keys": [{"name": n, "type": t} for n, t in made.partition_keys],
        "location": made.location,
        "input_format": made.input_format,
        "output_format": made.output_format,
        "serde": made.serde,
        "parameters": made.parameters,
    }


def workflow_permissions_cloudformation() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": cloudformation.conditional_list(permission_parts()),
    }


CLOUDFORMATION: dict[str, dict[str, Callable[[], Any]]] = {
    "cloudformation/scp-recommender.yaml": {
        "workflow-trust": lambda: cloudformation.render(trust()),
        "workflow-permissions": workflow_permissions_cloudformation,
        "table-input": cloudformation_table,
    },
    "cloudformation/scp-recommender-organizations.yaml": {
        "read-trust": lambda: cloudformation.render(trust()),
        "read-permissions": organizations_read_policy,
        "apply-trust": lambda: cloudformation.render(trust(APPLY_SUBJECT_REF)),
        "apply-permissions": apply_policy,
        "delegation-policy": lambda: cloudformation.render(delegation_policy(WORKFLOW_ROLE_ARN)),
    },
}


def terraform_files() -> dict[str, str]:
    return {
        "terraform/generated.tf": terraform.generated_file(
            ["trail_folder", *TRUST_CHOICES],
            {
                "workflow_trust": trust(),
                "workflow_permission_parts": terraform.conditional_parts(permission_parts()),
                "cloudtrail_table": terraform_table(),
            },
        ),
        "terraform/modules/organizations/generated.tf": terraform.generated_file(
            TRUST_CHOICES,
            {
                "read_trust": trust(),
                "read_permissions": organizations_read_policy(),
                "apply_trust": trust(APPLY_SUBJECT_REF),
                "apply_permissions": apply_policy(),
                "delegation_policy": delegation_policy(WORKFLOW_ROLE_ARN),
            },
        ),
    }


def generated(root: Path = DEPLOY) -> dict[Path, str]:
    """Each generated file's path and the content the code makes now."""
    files = {
        root / name: cloudformation.splice((root / name).read_text(), fragments, name)
        for name, fragments in CLOUDFORMATION.items()
    }
    files.update({root / name: content for name, content in terraform_files().items()})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.deploy", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--root", type=Path, default=DEPLOY, help="the deploy/ folder")
    args = parser.parse_args(argv)
    stale = []
    for path, content in generated(args.root).items():
        if path.is_file() and path.read_text() == content:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(content)
    for path in stale:
        print(f"{path}: {'out of date' if args.check else 'written'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
