"""The whole job on a trail whose callers wrote markup, separators and invisible characters into
what CloudTrail records (event names and sources of malformed calls, regions, role names,
messages): `run --dry-run --out-dir` proposes none of it, and the description keeps its tables
and lets no HTML through."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recommender.catalog import load_catalog
from recommender.models import Proposal
from recommender.propose import refusal
from tests.scenarios import record, scp_explicit, session_arn
from tests.test_hostile_strings import check_markdown, hidden
from tests.test_local_engine import delivery
from tests.test_propose import copy_policies

WINDOW = ("2026-11-16", "2026-11-17")
COMMAND = [sys.executable, "-m", "recommender", "run", "--engine", "local", "--logs", "logs"]
COMMAND += ["--policies", "policies"]
DAY = "2026/11/16"
# One of each kind of piece that broke the description or became policy text.
PIECES = [
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "|",
    "`",
    "``|``",
    "\n",
    "\r\n",
    "\x1b[2J",
    "<img src=x onerror=alert(1)>",
    "<details>",
    "&lt;b&gt;",
    "@octocat",
    "#1",
]


def hostile_records() -> list[dict[str, Any]]:
    """Denied calls that the policies/ folder would otherwise answer with an edit, each with one
    piece in one field, and one clean call that does call for an edit."""
    clean = scp_explicit(session_arn("222222222222", "ml"), "bedrock:*")
    records = [
        record("bedrock:InvokeModel", region="eu-west-1", account="222222222222", message=clean)
    ]
    for n, piece in enumerate(PIECES):
        account = "222222222222"
        principal = session_arn(account, f"dev{piece}")
        fields: list[dict[str, Any]] = [
            {"event_source": f"evi{piece}l.amazonaws.com", "event_name": "DoIt"},
            {"event_source": "bedrock.amazonaws.com", "event_name": f"Invoke{piece}Model"},
            {"region": f"us-west-2{piece}", "event_source": "ec2.amazonaws.com"},
            {"role": f"dev{piece}"},
            {"message": f"{scp_explicit(principal, f'ec2:Run{piece}')} {piece}"},
        ]
        for change in fields:
            options: dict[str, Any] = {
                "region": "eu-west-1",
                "account": account,
                "message": scp_explicit(principal, "x:Y"),
                **change,
            }
            made = record("ec2:RunInstances", **options)
            made["eventTime"] = f"2026-11-16T10:{n:02d}:00Z"
            records.append(made)
    return records


def string_values(document: Any) -> set[str]:
    if isinstance(document, str):
        return {document}
    if isinstance(document, list):
        return {value for item in document for value in string_values(item)}
    if isinstance(document, dict):
        return {value for item in document.values() for value in string_values(item)}
    return set()


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("hostile")
    delivery(root / "logs", DAY, hostile_records())
    copy_policies(root / "policies")
    result = subprocess.run(
        [*COMMAND, "--start", WINDOW[0], "--end", WINDOW[1], "--dry-run", "--out-dir", "out"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return root, result


def test_the_run_succeeds_and_names_what_it_did_not_propose(ran):
    _, result = ran
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    refused = [line for line in result.stderr.splitlines() if line.startswith("not proposed: ")]
    # a forged prefix is unknown-action (never planned without the setting); the forged region
    # reaches propose.py's last gate, which refuses it
    assert "evi\\u202el" in result.stdout
    assert not any("evi\\u202el" in line for line in refused)
    assert any(line.startswith("not proposed: us-west-2\\u202e (new-region,") for line in refused)
    for output in (result.stdout, result.stderr):
        assert not [char for char in output if char != "\n" and hidden(char)]


def test_no_policy_file_gains_a_value_that_is_not_known_iam_syntax(ran):
    root, _ = ran
    catalog = load_catalog()
    added: set[str] = set()
    for after in sorted((root / "out" / "policies").glob("*.json")):
        before = root / "policies" / after.name
        new = string_values(json.loads(after.read_text(encoding="utf-8"))) - string_values(
            json.loads(before.read_text(encoding="utf-8"))
        )
        added |= new
    assert "bedrock:*" in added, "the clean call is proposed"
    for value in added:
        assert not any(piece in value for piece in PIECES), value
        element = "Action" if ":" in value else "Condition/StringNotEquals/aws:RequestedRegion"
        assert refusal(Proposal("p", "s", 0, element, value), catalog) is None, value
    diff = (root / "out" / "changes.diff").read_text(encoding="utf-8")
    assert not any(piece in diff for piece in PIECES if piece not in ("\n", "|"))


def test_the_description_keeps_its_tables_and_lets_no_html_through(ran):
    root, _ = ran
    for name in ("pr-body.md", "evidence.md"):
        body = (root / "out" / name).read_text(encoding="utf-8")
        check_markdown(body)
        assert "evi\\u202el" in body and "us-west-2\\u202e" in body
        assert "Not proposed" in body
