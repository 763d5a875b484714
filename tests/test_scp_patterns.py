"""Action patterns: the indexed matcher agrees with plain wildcard matching, pattern by pattern."""

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.scp.patterns import ActionMatcher, action_matches

WORDS = st.sampled_from(["ec2", "s3", "Describe", "get", "Object", "*", "?", "-", ".", "["])
NAME = st.lists(WORDS, min_size=1, max_size=4).map("".join)
PREFIX = st.sampled_from(["ec2", "s3", "EC2", "e?2", "*", "s*", "pipes"])
PATTERN = st.one_of(st.just("*"), st.builds(lambda p, n: f"{p}:{n}", PREFIX, NAME))
ACTION = st.builds(
    lambda p, n: f"{p}:{n}",
    st.sampled_from(["ec2", "s3", "pipes", "events"]),
    st.lists(
        st.sampled_from(["Describe", "Get", "Object", "s", "-", ".", "["]), min_size=1, max_size=4
    ).map("".join),
)


def reference(pattern: str, action: str) -> bool:
    """`*` and `?` as fnmatch reads them, with fnmatch's `[` sets escaped, case folded."""
    escaped = pattern.lower().replace("[", "[[]")
    return fnmatch.fnmatchcase(action.lower(), escaped)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERN, min_size=1, max_size=6), ACTION)
def test_matcher_agrees_with_each_pattern(patterns: list[str], action: str) -> None:
    expected = any(reference(pattern, action) for pattern in patterns)
    assert ActionMatcher(tuple(patterns)).matches(action.lower()) is expected
    assert any(action_matches(pattern, action) for pattern in patterns) is expected
    matched = ActionMatcher(tuple(patterns)).matching_patterns(action)
    assert matched == tuple(pattern for pattern in patterns if reference(pattern, action))


def test_literal_prefixes_and_wildcards() -> None:
    matcher = ActionMatcher(("ec2:Describe*", "s3:GetObject", "*:List*"))
    assert matcher.literal_prefixes == {"ec2", "s3"}
    assert matcher.needs_every_action  # `*:List*` covers actions of any prefix
    assert matcher.matches("iam:listroles")
    assert not matcher.matches("iam:getrole")
    assert not ActionMatcher(("ec2:*",)).needs_every_action
    assert ActionMatcher(("*",)).any_action
