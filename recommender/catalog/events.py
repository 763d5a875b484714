"""CloudTrail naming rules that differ from IAM: host names and versioned event names."""

import re

# Lambda and CloudFront record the API version in the event name: ListFunctions20150331,
# GetFunctionConfiguration20150331v2, UpdateDistribution2020_05_31.
_VERSIONED_NAME = re.compile(r"^(?P<name>.*[A-Za-z])(?:\d{8}(?:v\d+)?|\d{4}_\d{2}_\d{2})$")


def prefix_from_host(event_source: str) -> str:
    """The first label of the host: `ec2.amazonaws.com` -> `ec2`."""
    return event_source.strip().lower().split(".", 1)[0]


def unversioned_event_name(event_name: str) -> str | None:
    """The event name without its API-version suffix, or None when it has none."""
    match = _VERSIONED_NAME.match(event_name)
    return match["name"] if match else None
