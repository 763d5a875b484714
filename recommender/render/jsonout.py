"""`{"findings": [...], "summary": {...}}`: the machine-readable report."""

import json
from collections.abc import Sequence

from recommender.models import Finding


def render_json(findings: Sequence[Finding], summary: dict[str, object]) -> str:
    document = {
        "findings": [finding.to_json() for finding in findings],
        "summary": summary,
    }
    return json.dumps(document, indent=2) + "\n"
