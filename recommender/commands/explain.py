"""`scp-recommender explain`: how the SCPs in `policies/` decide one call, level by level."""

import re
from pathlib import Path

import click

from recommender import validation
from recommender.commands import AppContext
from recommender.commands.options import policies_option
from recommender.errors import InputError
from recommender.scp.describe import describe_call, describe_decision
from recommender.scp.evaluate import Call, evaluate
from recommender.scp.policyset import load_policy_set

ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_.-]+$")
ARN = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:\S+$")
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


@click.command("explain")
@click.option("--action", required=True, help="The IAM action, e.g. pipes:CreatePipe.")
@click.option("--region", default=None, help="The region of the call, e.g. eu-west-1.")
@click.option("--account", default=None, help="The 12-digit account that made the call.")
@click.option(
    "--principal",
    default=None,
    help="The caller's role or user ARN (aws:PrincipalArn), not an assumed-role session ARN.",
)
@click.option("--org-id", default=None, help="The organization ID (aws:PrincipalOrgID).")
@policies_option
@click.pass_obj
def explain(
    app: AppContext,
    action: str,
    region: str | None,
    account: str | None,
    principal: str | None,
    org_id: str | None,
    policies: Path | None,
) -> None:
    """Print how the SCPs decide one call: each level from the root to the account, each
    statement that decided, explicit or implicit, and what could not be known.

    \b
    Example:
      scp-recommender explain --action pipes:CreatePipe --region eu-west-1 \\
          --account 222222222222 --policies policies/
    """
    call = Call(
        action=_action(action),
        region=validation.region(region, "--region") if region else None,
        account=validation.account_id(account, "--account") if account else None,
        principal_arn=_principal(principal),
        org_id=_checked(org_id, ORG_ID, "--org-id", "an organization ID like o-a1b2c3d4e5"),
    )
    policy_set = load_policy_set(policies or Path(app.settings.policies.dir))
    click.echo(describe_call(call))
    for line in describe_decision(evaluate(policy_set, call), call.action):
        click.echo(line)


def _action(value: str) -> str:
    text = value.strip()
    if not ACTION.match(text):
        raise InputError(
            f"--action: {value!r} is not an IAM action (expected e.g. pipes:CreatePipe)"
        )
    return text


def _principal(value: str | None) -> str | None:
    arn = _checked(value, ARN, "--principal", "an IAM ARN")
    if arn and ":assumed-role/" in arn:
        raise InputError(
            f"--principal: {value!r} is a session; aws:PrincipalArn is the role's ARN "
            "(arn:aws:iam::<account>:role/<path/name>)"
        )
    return arn


def _checked(value: str | None, pattern: re.Pattern[str], field: str, expected: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not pattern.match(text):
        raise InputError(f"{field}: {value!r} is not {expected}")
    return text
