"""Stage 1, read the row: the IAM action, what the message says, and who called.

The message names the policy type, whether the deny was explicit, the action and the caller
(`recommender.messages`); the row names the event and its principals. The account is the row's,
or else the caller's (rows of the original query have no account column).
"""

from collections.abc import Sequence
from typing import NamedTuple

from recommender.catalog import Catalog
from recommender.messages import PolicyType, read_denial
from recommender.models import Denial, replace_row
from recommender.scp.evaluate import SERVICE_LINKED_ROLE, arn_account
from recommender.validation import ACCOUNT_ID

SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleFor"


class Reading(NamedTuple):
    """What the classifier reads of one row."""

    # the row, with the account taken from the caller's ARN where the row had none
    row: Denial
    action: str
    policy_type: PolicyType | None
    explicit: bool | None
    # the caller as `aws:PrincipalArn` sees it
    principal: str | None
    service_linked: bool


class Reader:
    """Reads rows against one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # A batch names a few thousand actions, each in many rows: the catalog is asked once
        # for each way a row names one.
        self._actions: dict[tuple[str | None, str, str], str] = {}
        # and a few hundred callers
        self._callers: dict[tuple[str | None, tuple[str, ...]], tuple[str | None, bool]] = {}

    def read(self, row: Denial) -> Reading:
        policy_type, explicit, named, message_arn = read_denial(row.error_message, row.error_code)
        event = (named, row.event_source, row.event_name)
        action = self._actions.get(event)
        if action is None:
            action = self._actions[event] = self._action(*event)
        if message_arn is not None:
            # A session's name changes nothing: `.../assumed-role/<role>/<session>` is its role.
            head, marker, rest = message_arn.partition(":assumed-role/")
            if marker and "/" in rest:
                message_arn = head + marker + rest.partition("/")[0]
        caller = (message_arn, row.principals)
        found = self._callers.get(caller)
        if found is None:
            found = self._callers[caller] = principal_of(*caller)
        principal, service_linked = found
        if not row.account_id:
            account = account_of(principal)
            if account is not None:
                row = replace_row(row, account_id=account)
        return Reading(row, action, policy_type, explicit, principal, service_linked)

    def _action(self, named: str | None, event_source: str, event_name: str) -> str:
        """The action the message names where the catalog knows it, else the event's."""
        catalog = self.catalog
        if named and catalog.action_exists(named):
            return catalog.canonical_action(named) or named
        mapped = catalog.iam_action_for_event(event_source, event_name)
        return catalog.canonical_action(mapped) or mapped


def principal_of(message_arn: str | None, principals: Sequence[str]) -> tuple[str | None, bool]:
    """The principal to evaluate, and whether the row names a service-linked role."""
    principal = principal_arn(message_arn, principals)
    linked = any(service_linked(arn) for arn in (principal, *principals, message_arn) if arn)
    return principal, linked


def principal_arn(message_arn: str | None, principals: Sequence[str]) -> str | None:
    """The caller as `aws:PrincipalArn` sees it: for an assumed role, the role's ARN, not the
    session's (IAM User Guide, aws:PrincipalArn). The row's role ARN with the same name keeps the
    role's path, which the session ARN does not carry."""
    if message_arn is None:
        return principals[0] if principals else None
    head, _, resource = message_arn.partition(":assumed-role/")
    if not resource or ":sts::" not in head:
        return message_arn
    role = resource.split("/", 1)[0]
    for candidate in principals:
        if candidate.endswith(f"/{role}") and ":role/" in candidate:
            return candidate
    partition, _, account = head.removeprefix("arn:").partition(":sts::")
    return f"arn:{partition}:iam::{account}:role/{role}"


def service_linked(arn: str) -> bool:
    """Role ARNs carry the `aws-service-role/` path; assumed-role ARNs only the role's name."""
    if SERVICE_LINKED_ROLE in arn:
        return True
    if SERVICE_LINKED_ROLE_NAME not in arn:
        return False
    resource = arn.rpartition(":")[2].split("/")
    return (
        resource[0] == "assumed-role"
        and len(resource) > 1
        and resource[1].startswith(SERVICE_LINKED_ROLE_NAME)
    )


def account_of(arn: str | None) -> str | None:
    """The ARN's account, where it is a real one (public messages are often redacted)."""
    account = arn_account(arn)
    return account if account and ACCOUNT_ID.match(account) else None
