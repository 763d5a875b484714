"""Reading AWS access-denied messages (CloudTrail `errorMessage`).

AWS names the policy type that denied a call, whether the deny was explicit ("with an explicit
deny in a service control policy") or implicit ("because no service control policy allows the
... action"), the action and principal, and since 2026 the denying policy's ARN
("...service control policy: arn:aws:organizations::<mgmt>:policy/o-xxx/service_control_policy/
p-xxx"). EC2 wraps the same text between "You are not authorized to perform this operation." and
"Encoded authorization failure message: ...". Older and other services say less ("Access
Denied"); every field is then None rather than guessed.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class PolicyType(StrEnum):
    SCP = "service control policy"
    RCP = "resource control policy"
    IDENTITY = "identity-based policy"
    PERMISSIONS_BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    VPC_ENDPOINT = "VPC endpoint policy"
    RESOURCE = "resource-based policy"


@dataclass(frozen=True, slots=True)
class DenialMessage:
    policy_type: PolicyType | None = None
    explicit: bool | None = None
    policy_arn: str | None = None
    action: str | None = None
    principal_arn: str | None = None
    resource: str | None = None
    encoded: bool = False

    @property
    def is_scp(self) -> bool:
        return self.policy_type is PolicyType.SCP


_POLICY_TYPES = {policy_type.value.lower(): policy_type for policy_type in PolicyType}
_TYPE_NAMES = "|".join(re.escape(name) for name in _POLICY_TYPES)
_ENCODED_MARKER = "Encoded authorization failure message:"
_VPC_ENDPOINT_ERROR_CODE = "vpceaccessdenied"

# AWS writes these phrases in lowercase; `str.find` locates them and the regexes are anchored
# there, which keeps a 2 KB EC2 message cheap to read.
_EXPLICIT_PHRASE = "with an explicit deny"
_IMPLICIT_PHRASE = "because no "
_PERFORM_PHRASE = "not authorized to perform: "
_RESOURCE_PHRASE = " on resource: "
_RESOURCE_ENDS = (" with an explicit deny", " because no ", ". Encoded")
_EXPLICIT = re.compile(
    rf"with an explicit deny(?: in an? (?P<type>{_TYPE_NAMES})(?::\s*(?P<arn>arn:\S+))?)?",
    re.IGNORECASE,
)
_IMPLICIT = re.compile(
    rf"because no (?P<type>{_TYPE_NAMES}) allows(?: the (?P<action>\S+) action)?", re.IGNORECASE
)
_VPC_ENDPOINT = re.compile(r"denied due to an? VPC endpoint policy", re.IGNORECASE)
_BRACKETED = re.compile(r"is not allowed to execute \[(?P<action>[^\]\s]+)\]")
_PRINCIPAL = re.compile(r"(?:User: |Principal \[)(?P<arn>arn:[^\s\]]+)")
# prefix:Name as IAM spells actions; "xxxx" or "this" are redactions or prose, not actions
_ACTION = re.compile(r"^[a-z0-9][a-z0-9-]*:[A-Za-z0-9_*?-]+$", re.IGNORECASE)
# The whole text of the common forms, in one match. Its variable parts hold no whitespace, so
# the phrases `parse_message` looks for first can only be the ones this places: where it
# matches, it reads what `parse_message` reads; anything else goes to `parse_message`. The
# policy types are matched as AWS writes them (matching them in any case costs a third more);
# other spellings go to `parse_message`, which reads them in any case. A space follows every
# possessive run (`++`): giving back part of one could never make the match, so the regex
# engine is told not to keep the places to try it from.
_COMMON = re.compile(
    r"(?:You are not authorized to perform this operation\. )?"
    r"User: (?P<principal>arn:[^\s\]]++) is not authorized to perform: (?P<word>\S++)"
    r"(?: on resource: \S++)? "
    rf"(?:with an explicit deny in an? (?P<explicit>{_TYPE_NAMES})(?::\s*arn:\S+)?"
    rf"|because no (?P<implicit>{_TYPE_NAMES}) allows the (?P<named>\S+) action)"
    r"\.? ?"
)


@lru_cache(maxsize=8192)
def _action(text: str | None) -> str | None:
    if text is None:
        return None
    candidate = text.rstrip(".,;")
    return candidate if _ACTION.match(candidate) else None


def _word_after(text: str, phrase: str) -> str | None:
    start = text.find(phrase)
    if start < 0:
        return None
    start += len(phrase)
    end = text.find(" ", start)
    return text[start:] if end < 0 else text[start:end]


def _resource(text: str) -> str | None:
    start = text.find(_RESOURCE_PHRASE)
    if start < 0:
        return None
    start += len(_RESOURCE_PHRASE)
    ends = [end for marker in _RESOURCE_ENDS if (end := text.find(marker, start)) >= 0]
    resource = text[start : min(ends)] if ends else text[start:].rstrip().removesuffix(".")
    return resource or None


def _performed_action(text: str) -> str | None:
    word = _word_after(text, _PERFORM_PHRASE)
    if word is None and (bracketed := _BRACKETED.search(text)) is not None:
        word = bracketed["action"]
    return _action(word)


@lru_cache(maxsize=8192)
def parse_message(message: str | None, error_code: str | None = None) -> DenialMessage:
    """The facts an access-denied message states; fields it does not state are None."""
    is_vpce_code = (error_code or "").lower() == _VPC_ENDPOINT_ERROR_CODE
    if not message:
        return DenialMessage(policy_type=PolicyType.VPC_ENDPOINT if is_vpce_code else None)
    marker = message.find(_ENCODED_MARKER)
    encoded = marker >= 0
    # the encoded blob is long and opaque: read only the text before it
    text = message[:marker] if encoded else message

    policy_type: PolicyType | None = None
    explicit: bool | None = None
    policy_arn: str | None = None
    named_action: str | None = None
    if (at := text.find(_EXPLICIT_PHRASE)) >= 0 and (found := _EXPLICIT.match(text, at)):
        explicit = True
        if found["type"]:
            policy_type = _POLICY_TYPES[found["type"].lower()]
        if found["arn"]:
            policy_arn = found["arn"].rstrip(".,;")
    elif (at := text.find(_IMPLICIT_PHRASE)) >= 0 and (found := _IMPLICIT.match(text, at)):
        explicit = False
        policy_type = _POLICY_TYPES[found["type"].lower()]
        named_action = found["action"]
    elif is_vpce_code or _VPC_ENDPOINT.search(text):
        policy_type = PolicyType.VPC_ENDPOINT

    principal = _PRINCIPAL.search(text)
    return DenialMessage(
        policy_type=policy_type,
        explicit=explicit,
        policy_arn=policy_arn,
        action=_performed_action(text) or _action(named_action),
        principal_arn=principal["arn"] if principal else None,
        resource=_resource(text),
        encoded=encoded,
    )


def read_denial(
    message: str | None, error_code: str | None = None
) -> tuple[PolicyType | None, bool | None, str | None, str | None]:
    """`parse_message`'s policy type, explicit, action and principal ARN: what the classifier
    reads of every row, at a fraction of the cost for the forms AWS writes most."""
    if message:
        marker = message.find(_ENCODED_MARKER)
        found = _COMMON.fullmatch(message, 0, marker if marker >= 0 else len(message))
        if found is not None:
            explicit_type, word, principal = found.group("explicit", "word", "principal")
            if explicit_type is not None:
                return _POLICY_TYPES[explicit_type], True, _action(word), principal
            return (
                _POLICY_TYPES[found["implicit"]],
                False,
                _action(word) or _action(found["named"]),
                principal,
            )
    parsed = parse_message(message, error_code)
    return parsed.policy_type, parsed.explicit, parsed.action, parsed.principal_arn
