"""Fuzz target: the access-denied message readers (recommender/messages.py).

Neither reader may raise on any text, and the fast reader (`read_denial`, one regex for the
forms AWS writes most) must read what the full parse (`parse_message`) reads, whatever the
message holds. The messages are drawn from AWS's own shapes with arbitrary text in every
variable part, so that the fast reader's regex is reached, and from arbitrary text.
"""

from hypothesis import given
from hypothesis import strategies as st

from recommender.messages import PolicyType, parse_message, read_denial

# What AWS writes around the variable parts, and near-misses of it.
TYPES = [policy_type.value for policy_type in PolicyType] + ["Service Control Policy", "scp", ""]
pieces = st.text(max_size=12) | st.sampled_from(
    ["arn:aws:iam::222222222222:role/dev", "s3:GetObject", "ec2:*", " ", "", ".", "]", ":", "\n"]
)


@st.composite
def aws_messages(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(["", "You are not authorized to perform this operation. "]))
    text += f"User: {draw(pieces)} is not authorized to perform: {draw(pieces)}"
    if draw(st.booleans()):
        text += f" on resource: {draw(pieces)}"
    article = draw(st.sampled_from(["a", "an", "the", ""]))
    explicit = f" with an explicit deny in {article} {draw(st.sampled_from(TYPES))}"
    if draw(st.booleans()):
        explicit += f": arn:{draw(pieces)}"
    implicit = f" because no {draw(st.sampled_from(TYPES))} allows the {draw(pieces)} action"
    text += draw(st.sampled_from([explicit, implicit, draw(pieces)]))
    text += draw(st.sampled_from(["", ".", ". ", ".."]))
    if draw(st.booleans()):
        text += f"Encoded authorization failure message: {draw(pieces)}"
    return text


messages = st.none() | st.text() | aws_messages()
codes = st.none() | st.sampled_from(["AccessDenied", "VpceAccessDenied", "vpceaccessdenied"])


@given(messages, codes)
def test_the_readers_never_raise_and_agree(message, error_code):
    parsed = parse_message(message, error_code)
    fast = read_denial(message, error_code)
    assert fast == (parsed.policy_type, parsed.explicit, parsed.action, parsed.principal_arn)
