"""The documents in CloudFormation: placeholders become `Fn::Sub` variables and `Fn::If`s on
the template's Conditions, and each document replaces the lines between its markers
(`# generated: NAME ...` and `# end generated`) in a hand-written template."""

import re
from collections.abc import Callable
from typing import Any

import yaml

from recommender.deploy.documents import CHOICES, PLACEHOLDER

PSEUDO = {"partition": "AWS::Partition", "region": "AWS::Region", "account": "AWS::AccountId"}
# Each placeholder's parameter or resource, or an expression of them.
LEAVES: dict[str, Any] = {
    **PSEUDO,
    "workgroup": "WorkGroupName",
    "database": "DatabaseName",
    "table": "TableName",
    "trail_bucket": "TrailBucket",
    "trail_prefix": "TrailPrefix",
    "organization_id": "OrganizationId",
    "results_bucket": "ResultsBucket",
    "kms_key": "KmsKeyArn",
    "owner": {"Fn::Select": [0, {"Fn::Split": ["/", {"Ref": "Repository"}]}]},
    "name": {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "Repository"}]}]},
    "owner_id": "OwnerId",
    "repository_id": "RepositoryId",
    "branch": "Branch",
    "environment": "Environment",
    "apply_environment": "ApplyEnvironment",
    "created_oidc_provider": "GitHubOidcProvider",
    "workflow_role_arn": "WorkflowRoleArn",
    "oidc_provider_arn": "OidcProviderArn",
}

MARKER = re.compile(r"^(?P<indent> *)# generated: (?P<name>[\w-]+)\b.*$")
END_MARKER = re.compile(r"^ *# end generated$")


def camel(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("_"))


def expression(name: str) -> Any:
    """The value of one placeholder: a reference, or the choice between two texts."""
    if name in CHOICES:
        choice = CHOICES[name]
        return {"Fn::If": [camel(choice.condition), text(choice.then), text(choice.otherwise)]}
    leaf = LEAVES[name]
    return {"Ref": leaf} if isinstance(leaf, str) else leaf


def text(value: str) -> Any:
    """A string with placeholders: as it is without any, a `Ref` or `Fn::If` when it is one,
    else `Fn::Sub` (CloudTrail's own `${...}` kept literal as `${!...}`)."""
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return expression(whole.group(1))
    if not PLACEHOLDER.search(value):
        return value
    variables: dict[str, Any] = {}

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        leaf = LEAVES.get(name)
        if isinstance(leaf, str):
            return "${" + leaf + "}"
        variables[camel(name)] = expression(name)
        return "${" + camel(name) + "}"

    body = PLACEHOLDER.sub(variable, value.replace("${", "${!"))
    return {"Fn::Sub": [body, variables] if variables else body}


def render(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: render(value) for key, value in document.items()}
    if isinstance(document, list):
        return [render(item) for item in document]
    if isinstance(document, str):
        return text(document)
    return document


def conditional_list(parts: list[tuple[str | None, list[Any]]]) -> list[Any]:
    """Items of the parts in order; those of a conditional part as `Fn::If` items, dropped by
    `AWS::NoValue` when the condition is false."""
    items: list[Any] = []
    for condition, part in parts:
        for item in part:
            rendered = render(item)
            if condition is not None:
                rendered = {"Fn::If": [camel(condition), rendered, {"Ref": "AWS::NoValue"}]}
            items.append(rendered)
    return items


class _Dumper(yaml.SafeDumper):
    """Block style with indented sequences, as the hand-written parts; a value used twice is
    written twice (no YAML anchors)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(value: Any, indent: str) -> str:
    lines = yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
    return "".join(f"{indent}{line}" for line in lines.splitlines(keepends=True))


def splice(template: str, fragments: dict[str, Callable[[], Any]], source: str) -> str:
    """The template with each marked block replaced by its fragment, rendered as YAML at the
    marker's indentation. Every fragment must be marked exactly once."""
    out: list[str] = []
    seen: list[str] = []
    lines = iter(template.splitlines(keepends=True))
    for line in lines:
        out.append(line)
        marker = MARKER.match(line)
        if not marker:
            continue
        name = marker.group("name")
        if name not in fragments or name in seen:
            raise ValueError(f"{source}: marker {name!r} is unknown or repeated")
        seen.append(name)
        for skipped in lines:
            if END_MARKER.match(skipped):
                out.append(dump(fragments[name](), marker.group("indent")))
                out.append(skipped)
                break
        else:
            raise ValueError(f"{source}: marker {name!r} has no '# end generated'")
    missing = sorted(set(fragments) - set(seen))
    if missing:
        raise ValueError(f"{source}: no marker for {', '.join(missing)}")
    return "".join(out)
