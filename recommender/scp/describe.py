"""A decision as plain lines of text: each level, each deciding statement, and why."""

from recommender.scp.evaluate import Call, ConditionResult, Decision, LevelDecision, StatementMatch

_OUTCOME = {True: "true", False: "false", None: "not known from CloudTrail"}


def describe_call(call: Call) -> str:
    parts = [call.action]
    parts.append(f"in {call.region}" if call.region else "in an unknown region")
    parts.append(f"by account {call.account}" if call.account else "by an unknown account")
    if call.principal_arn:
        parts.append(f"as {call.principal_arn}")
    return " ".join(parts)


def describe_decision(decision: Decision, action: str) -> list[str]:
    lines = [_verdict(decision)]
    for level in decision.levels:
        lines.append("")
        lines.extend(_level(level, action))
    if decision.notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in decision.notes)
    return lines


def _verdict(decision: Decision) -> str:
    if not decision.scp_applies:
        return "ALLOWED by SCPs: they do not apply here"
    hedge = "" if decision.certain else " (not certain: see the 'maybe' statements)"
    if decision.deny_type == "explicit":
        names = ", ".join(f"{m.policy} {m.label}" for m in decision.explicit_denies)
        return f"DENIED explicitly by {names}{hedge}"
    if decision.deny_type == "implicit":
        where = ", ".join(_target(level) for level in decision.levels_without_allow)
        return f"DENIED implicitly: no SCP allows it at {where}{hedge}"
    return f"ALLOWED{hedge}"


def _target(level: LevelDecision) -> str:
    target = level.level
    if target.kind == "all":
        return "the policy set (no organization.json)"
    if target.kind == "root":
        return f"root {target.target_id}"
    kind = "OU" if target.kind == "ou" else "account"
    return f"{kind} {target.name} ({target.target_id})"


def _level(level: LevelDecision, action: str) -> list[str]:
    names = ", ".join(policy.name for policy in level.level.policies) or "no SCPs attached"
    lines = [f"{_target(level)}: {names}"]
    for match in level.denies:
        lines.extend(_statement("deny", match, action))
    for match in level.allows:
        lines.extend(_statement("allow", match, action))
    for match in level.maybe_denies:
        lines.extend(_statement("maybe deny", match, action))
    for match in level.maybe_allows:
        lines.extend(_statement("maybe allow", match, action))
    if not level.allowed:
        lines.append("  no Allow statement matches: implicit deny at this level")
    return lines


def _statement(verdict: str, match: StatementMatch, action: str) -> list[str]:
    if match.via == "NotAction":
        how = "NotAction does not exempt the action"
    else:
        how = "Action " + ", ".join(f'"{pattern}"' for pattern in match.patterns_for(action))
    lines = [f"  {verdict}: {match.policy} {match.label} ({how})"]
    lines.extend(f"    {_condition(result)}" for result in match.conditions)
    if match.match == "maybe":
        lines.append(f"    maybe because {match.why_maybe()}")
    return lines


def _condition(result: ConditionResult) -> str:
    condition = result.condition
    values = ", ".join(condition.values)
    seen = f" (call: {', '.join(result.request_values)})" if result.request_values else ""
    outcome = _OUTCOME[result.outcome]
    return f"{condition.operator} {condition.key} [{values}]: {outcome}{seen}"
