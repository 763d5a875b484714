"""SCPs: the policy model, validation, the policy set of `policies/` and the evaluation engine."""

from recommender.scp.catalog_protocol import ActionCatalog
from recommender.scp.conditions import Context, evaluate_condition
from recommender.scp.evaluate import (
    KNOWN_KEYS,
    Call,
    ConditionResult,
    Decision,
    LevelDecision,
    StatementMatch,
    evaluate,
    match_statement,
    statement_matches_action,
)
from recommender.scp.model import Condition, Policy, Statement, policy_size
from recommender.scp.operators import Operator, parse_operator
from recommender.scp.parse import ParsedPolicy, parse_policy, read_policy
from recommender.scp.patterns import action_matches
from recommender.scp.policyset import Governance, Level, PolicySet, load_policy_set
from recommender.scp.problems import Problem
from recommender.scp.validate import check_policy, validate_paths, validate_policy

__all__ = [
    "KNOWN_KEYS",
    "ActionCatalog",
    "Call",
    "Condition",
    "ConditionResult",
    "Context",
    "Decision",
    "Governance",
    "Level",
    "LevelDecision",
    "Operator",
    "ParsedPolicy",
    "Policy",
    "PolicySet",
    "Problem",
    "Statement",
    "StatementMatch",
    "action_matches",
    "check_policy",
    "evaluate",
    "evaluate_condition",
    "load_policy_set",
    "match_statement",
    "parse_operator",
    "parse_policy",
    "policy_size",
    "read_policy",
    "statement_matches_action",
    "validate_paths",
    "validate_policy",
]
