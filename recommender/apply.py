"""Apply `policies/` to AWS Organizations: a plan, a drift guard, then one change at a time.

The plan compares the folder with AWS: policies to create, to update (with the diff against the
live text) and targets to attach or detach. It never deletes a policy and never moves an account;
what it leaves alone it says. The guard compares AWS with the folder as the previous commit held
it: a difference means someone changed AWS by hand since, and applying would revert that change
without anyone reviewing it, so nothing is applied.

Order: creations, updates, attachments, then detachments, so that no target is ever left without
a policy it had (AWS refuses to detach a target's last SCP). A policy's text is sent as the file
holds it: the size `validate` checked is the size AWS counts.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recommender.drift import (
    LIVE,
    OrgState,
    PolicyState,
    document_diff,
    pair_policies,
    policy_differences,
    tree_differences,
)
from recommender.errors import PolicyError, RecommenderError
from recommender.orgs import aws_call

DESCRIPTION = "Managed by scp-recommender from policies/{file}"
# The apply role may write SCPs only (`iam-policy --apply`): RCPs are compared, never applied.
APPLIED_TYPE = "SERVICE_CONTROL_POLICY"


class ApplyError(RecommenderError):
    """AWS refused a change: what was applied before it stays applied."""

    exit_code = 1


class DriftError(RecommenderError):
    """AWS differs from the previous commit's policies/: applying would revert a hand change."""

    exit_code = 1


@dataclass(frozen=True)
class Change:
    """One call to AWS Organizations. `policy_id` is empty for a policy created in this run."""

    verb: str  # create, update, attach, detach
    policy: PolicyState
    policy_id: str = ""
    target: str = ""
    target_name: str = ""
    diff: str = ""

    def describe(self) -> str:
        name = f"{self.policy.file} ({self.policy_id})" if self.policy_id else self.policy.file
        if self.verb == "create":
            return f"create {name} as a {self.policy.type}"
        if self.verb == "update":
            return f"update {name}"
        preposition = "to" if self.verb == "attach" else "from"
        return f"{self.verb} {name} {preposition} {self.target} ({self.target_name})"

    def sign(self) -> str:
        return {"create": "+", "attach": "+", "update": "~"}.get(self.verb, "-")


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines: list[str] = []
        for change in self.changes:
            lines.append(f"  {change.sign()} {change.describe()}")
            lines += [f"      {line}" for line in change.diff.splitlines()]
        lines += [f"  ! {reason}" for reason in self.left_alone]
        counts = {verb: 0 for verb in ("create", "update", "attach", "detach")}
        for change in self.changes:
            counts[change.verb] += 1
        summary = ", ".join(f"{count} to {verb}" for verb, count in counts.items())
        if not self.changes:
            lines.append("No changes: AWS Organizations matches policies/.")
        lines.append(f"Plan: {summary}.")
        return "\n".join(lines) + "\n"


def plan_changes(local: OrgState, live: OrgState) -> Plan:
    """What applying `local` to `live` calls, in the order it calls it."""
    plan = Plan()
    changes: list[Change] = []
    for pair in pair_policies(local, live):
        policy, current = pair.local, pair.live
        if policy is None:
            plan.left_alone.append(
                f"{pair.file} ({pair.id}) is in {LIVE}, not in policies/: left as is "
                "(apply never deletes a policy)"
            )
        elif policy.type != APPLIED_TYPE and (current is None or current.type == policy.type):
            if current is None or _differs(policy, current):
                plan.left_alone.append(
                    f"{policy.file} is a resource control policy: left as is "
                    "(apply changes SCPs only)"
                )
        else:
            changes += _policy_changes(policy, current, local, live)
    order = ("create", "update", "attach", "detach")
    plan.changes = sorted(changes, key=lambda change: order.index(change.verb))  # stable
    plan.left_alone += [
        f"{difference.headline}: left as is (apply changes policies only)"
        for difference in tree_differences(local, live)
    ]
    return plan


def _differs(policy: PolicyState, current: PolicyState) -> bool:
    return current.document != policy.document or current.targets != policy.targets


def _policy_changes(
    policy: PolicyState, current: PolicyState | None, local: OrgState, live: OrgState
) -> list[Change]:
    """The calls that make `current` (None: no such policy yet) what `policy` says."""
    if current is None:
        attach = [
            Change("attach", policy, "", target, local.name_of(target))
            for target in sorted(policy.targets)
        ]
        return [Change("create", policy), *attach]
    if current.type != policy.type:
        raise PolicyError(
            f"{policy.file}: a {policy.type} in policies/, a {current.type} in {LIVE} "
            "(a policy's type cannot change: create a new file instead)"
        )
    changes = []
    if current.document != policy.document:
        if current.aws_managed:
            raise PolicyError(
                f"{policy.file}: {current.id} is managed by AWS and cannot be changed "
                "(restore the file as sync-policies wrote it)"
            )
        diff = document_diff(current, policy, LIVE, "policies/")
        changes.append(Change("update", policy, current.id, diff=diff))
    changes += [
        Change("attach", policy, current.id, target, local.name_of(target))
        for target in sorted(policy.targets - current.targets)
    ]
    changes += [
        Change("detach", policy, current.id, target, live.name_of(target))
        for target in sorted(current.targets - policy.targets)
    ]
    return changes


def check_no_drift(previous: OrgState, live: OrgState) -> None:
    """Raise on the first policy whose text, type or attachments AWS changed since `previous`."""
    for difference in policy_differences(previous, live):
        raise DriftError(
            f"refusing to apply: {difference.headline} "
            f"(changed in {LIVE} since {previous.where}; `sync-policies --check` shows it)"
        )


def apply_plan(organizations: Any, plan: Plan, report: Callable[[str], None]) -> list[Change]:
    """Make each change in order; on the first failure say what was and was not applied."""
    applied: list[Change] = []
    created: dict[str, str] = {}
    for index, change in enumerate(plan.changes):
        try:
            new_id = _make(organizations, change, created)
        except RecommenderError as error:
            pending = plan.changes[index:]
            report(f"applied: {len(applied)} of {len(plan.changes)} changes")
            report(f"failed: {change.describe()}")
            for rest in pending[1:]:
                report(f"not applied: {rest.describe()}")
            raise ApplyError(
                f"apply stopped at {change.describe()}: {error}; "
                f"{len(applied)} applied before it, {len(pending)} not applied"
            ) from None
        if new_id:
            created[change.policy.file] = new_id
        applied.append(change)
        report(f"applied: {change.describe()}{f' -> {new_id}' if new_id else ''}")
    return applied


def _make(organizations: Any, change: Change, created: dict[str, str]) -> str:
    """One call; returns the id of a created policy, else an empty string."""
    policy = change.policy
    policy_id = change.policy_id or created.get(policy.file, "")
    if change.verb == "create":
        response = aws_call(
            organizations,
            "create_policy",
            Content=policy.text,
            Description=DESCRIPTION.format(file=policy.file),
            Name=policy.file.removesuffix(".json"),
            Type=policy.type,
        )
        return str(response["Policy"]["PolicySummary"]["Id"])
    if change.verb == "update":
        aws_call(organizations, "update_policy", PolicyId=policy_id, Content=policy.text)
    elif change.verb == "attach":
        aws_call(organizations, "attach_policy", PolicyId=policy_id, TargetId=change.target)
    else:
        aws_call(organizations, "detach_policy", PolicyId=policy_id, TargetId=change.target)
    return ""
