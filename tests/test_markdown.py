"""The pull request description: summary, evidence tables, sizes, collapsed sections, the
65,536-character limit, the evidence file and redaction."""

import re
import textwrap
from dataclasses import replace
from datetime import date, timedelta

import pytest

from recommender.config import Settings, load_settings
from recommender.models import Category, Denial, Finding, Proposal, Verdict, replace_row
from recommender.pipeline import classify_denials
from recommender.propose import EditPlan, NotProposed, mark_declined, plan_edits
from recommender.render.markdown import (
    ACTIONABLE_TITLES,
    GITHUB_BODY_LIMIT,
    RunContext,
    redact,
    render_body,
    render_evidence,
)
from tests.test_propose import copy_policies, demo_denials, run_cli, write_jsonl

HEADER = "| IAM action | event | calls | accounts | regions | sample principals | seen | change |"
EVIDENCE = "docs/scp-evidence.md"
DEMO_CONTEXT = RunContext(
    start=date(2026, 11, 16),
    end=date(2026, 11, 23),
    accounts=("222222222222", "333333333333"),
    regions=("eu-west-1", "us-east-1"),
    engine="athena",
    bytes_scanned=1_500_000_000,
    cost_usd=0.0075,
    denied_calls=354,
    evidence_path=EVIDENCE,
)


@pytest.fixture(scope="module")
def denials() -> list[Denial]:
    return demo_denials()


@pytest.fixture(scope="module")
def demo(denials, tmp_path_factory) -> tuple[str, EditPlan]:
    """The demo's description, with the Bedrock proposal declined."""
    policies = copy_policies(tmp_path_factory.mktemp("demo") / "policies")
    settings = Settings.model_validate(
        {"declined": [{"category": "new-service", "value": "bedrock:*", "reason": "SEC-142"}]}
    )
    classified = classify_denials(denials, policies, settings)
    plan = plan_edits(classified.findings, classified.policy_set, settings)
    return render_body(classified.findings, plan, DEMO_CONTEXT), plan


def section(body: str, heading: str) -> str:
    """The text from `heading` to the next heading or collapsed block."""
    start = body.index(heading)
    ends = [body.find(mark, start + 1) for mark in ("\n### ", "\n<details>")]
    return body[start : min([end for end in ends if end > 0] or [len(body)])]


def details(body: str, summary_start: str) -> str:
    start = body.index(f"<details><summary>{summary_start}")
    return body[start : body.index("</details>", start)]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every data row of the Markdown tables in `text`."""
    return [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| IAM action", "| policy"))
    ]


def test_summary_line_names_window_scope_calls_and_cost(demo):
    body, _ = demo
    assert body.splitlines()[2] == (
        "**Window** 2026-11-16 to 2026-11-23 (end excluded) · "
        "**accounts** 222222222222, 333333333333 · **regions** eu-west-1, us-east-1 · "
        "**denied calls** 354 · **data scanned** 1.50 GB ($0.0075)"
    )
    # The declined Bedrock proposal is not counted among the proposals.
    assert body.splitlines()[4] == (
        "Proposes 1 new-service, 2 new-prefix, 1 renamed-action, 1 new-action, 2 new-region, "
        "2 global-service, changing 3 policy files."
    )


def test_one_evidence_section_per_actionable_category(demo):
    body, _ = demo
    headings = re.findall(r"^### (.*)$", body, flags=re.MULTILINE)
    assert headings == [
        "New services (`new-service`): 1 row, 9 calls",
        "New prefixes of services already allowed (`new-prefix`): 2 rows, 59 calls",
        "Actions AWS renamed (`renamed-action`): 1 row, 23 calls",
        "New actions of partly allowed services (`new-action`): 1 row, 61 calls",
        "New regions (`new-region`): 2 rows, 17 calls",
        "Global services missing from a region guard (`global-service`): 2 rows, 54 calls",
        "Policy sizes",
    ]
    for title in ACTIONABLE_TITLES.values():
        assert HEADER in section(body, f"### {title}")
    (row,) = table_rows(section(body, "### New actions"))
    assert row == [
        "`ssm:StartSession`",
        "`ssm:StartSession`",
        "61",
        "`222222222222`",
        "`eu-west-1`",
        "`role/oncall-engineer`",
        "`2026-11-16` to `2026-11-22`",
        "add `ssm:StartSession` to `workloads-allow.json` `ApprovedServices` `Action`",
    ]
    regions = table_rows(section(body, "### New regions"))
    assert [(row[0], row[4], row[7]) for row in regions] == [
        (
            "`ec2:RunInstances`",
            "`ap-southeast-2`",
            "add `ap-southeast-2` to `region-guard.json` `DenyOutsideApprovedRegions` "
            "`Condition/StringNotEquals/aws:RequestedRegion`",
        ),
        (
            "`lambda:ListFunctions`",
            "`us-west-2`",
            "add `us-west-2` to `region-guard.json` `DenyOutsideApprovedRegions` "
            "`Condition/StringNotEquals/aws:RequestedRegion`",
        ),
    ]


def test_policy_sizes_before_after_and_limit(demo):
    body, plan = demo
    rows = table_rows(section(body, "### Policy sizes"))
    assert [row[0] for row in rows] == [f"`{c.policy}`" for c in plan.changes]
    for row, change in zip(rows, plan.changes, strict=True):
        share = f"{change.size_after / 10_240:.0%}"
        assert row == [
            f"`{change.policy}`",
            f"{change.size_before:,}",
            f"{change.size_after:,}",
            f"10,240 ({share} used)",
            "ok",
        ]
        assert change.size_before < change.size_after


def test_guardrail_not_scp_and_declined_rows_are_collapsed(demo):
    body, _ = demo
    guardrails = details(body, "Guardrail hits")
    assert {row[0] for row in table_rows(guardrails)} == {
        "`cloudtrail:StopLogging`",
        "`organizations:LeaveOrganization`",
    }
    not_scp = details(body, "Not caused by an SCP")
    assert {row[0] for row in table_rows(not_scp)} == {"`s3:GetObject`", "`logs:CreateLogGroup`"}
    declined = details(body, "Declined")
    (row,) = table_rows(declined)
    assert row[0] == "`bedrock:InvokeModel`"
    assert row[7].endswith("<br>**declined**: `SEC-142`")
    # Outside the collapsed blocks none of them shows.
    open_text = re.sub(r"<details>.*?</details>", "", body, flags=re.DOTALL)
    for action in ("cloudtrail:StopLogging", "s3:GetObject", "bedrock:InvokeModel"):
        assert action not in open_text
    assert "[[declined]]" in details(body, "How to review")


def test_blocked_edits_are_reported_with_sizes(denials, tmp_path):
    policies = copy_policies(tmp_path / "policies")
    settings = Settings.model_validate({"policies": {"size_limit": 850}})
    classified = classify_denials(denials, policies, settings)
    plan = plan_edits(classified.findings, classified.policy_set, settings)
    body = render_body(classified.findings, plan, DEMO_CONTEXT)
    sizes = {row[0]: row for row in table_rows(section(body, "### Policy sizes"))}
    workloads = sizes["`workloads-allow.json`"]
    after = int(workloads[2].replace(",", ""))
    assert workloads[1] == "835" and after > 850
    assert workloads[3] == f"850 ({after / 850:.0%} used)"
    assert workloads[4].startswith("**blocked**: ") and "over the limit of 850" in workloads[4]
    assert sizes["`sandbox-allow-list.json`"][4] == "ok"
    blocked = section(body, "### Blocked edits")
    assert "- `workloads-allow.json`: " in blocked and "not written" in blocked


# --- 5,000 findings -------------------------------------------------------------------------


def make_finding(
    category: Category,
    action: str,
    count: int = 1,
    principals: tuple[str, ...] = ("arn:aws:iam::222222222222:role/platform-ci",),
    declined: str | None = None,
) -> Finding:
    service = action.split(":")[0]
    proposal = None
    if category.actionable:
        proposal = Proposal(
            policy="workloads-allow.json",
            statement="ApprovedServices",
            statement_index=0,
            element="Action",
            add=action,
        )
    row = Denial(
        event_source=f"{service}.amazonaws.com",
        event_name=action.split(":")[1],
        count=count,
        region="eu-west-1",
        account_id="222222222222",
        principals=principals,
        first_seen="2026-11-16T08:00:00Z",
        last_seen="2026-11-20T17:00:00Z",
    )
    verdict = Verdict(
        category,
        "workloads-allow.json",
        "ApprovedServices",
        f"no SCP allows {action}",
        proposal,
    )
    return Finding(row, verdict, action, ("222222222222",), declined)


def many_findings() -> list[Finding]:
    """5,000 distinct actions: most new actions, some of every collapsed kind."""
    findings = [
        make_finding(Category.NEW_ACTION, f"svc{n // 100}:Action{n:04d}", count=n + 1)
        for n in range(4_000)
    ]
    findings += [make_finding(Category.NEW_SERVICE, f"new{n:03d}:Call") for n in range(400)]
    findings += [make_finding(Category.GUARDRAIL, f"guard:Call{n:03d}") for n in range(300)]
    findings += [make_finding(Category.NOT_SCP, f"other:Call{n:03d}") for n in range(200)]
    findings += [
        make_finding(Category.NEW_REGION, f"region:Call{n:03d}", declined="EU only")
        for n in range(100)
    ]
    assert len({f.action for f in findings}) == 5_000
    return findings


def test_5000_findings_fit_githubs_limit_and_point_to_the_evidence():
    findings = many_findings()
    body = render_body(findings, EditPlan(), DEMO_CONTEXT)
    assert len(body) <= GITHUB_BODY_LIMIT
    assert HEADER in section(body, "### New actions")
    shown = table_rows(section(body, "### New actions"))
    assert 5 <= len(shown) < 4_000
    # Most denied calls first: the rows kept are the biggest.
    assert [int(row[2]) for row in shown] == list(range(4_000, 4_000 - len(shown), -1))
    assert f"*{4_000 - len(shown)} more rows in `{EVIDENCE}`.*" in body
    assert "more rows in" in details(body, "Guardrail hits")
    assert body.rstrip().endswith("</details>")  # nothing cut in the middle


def test_thousands_of_refused_values_are_cut_like_the_other_tables():
    """Forged values are as many as callers care to send: their table is cut too."""
    refused = [
        NotProposed(
            Category.NEW_SERVICE,
            Proposal("workloads-allow.json", "ApprovedServices", 0, "Action", f"x{n}\u202e:*"),
            "not an IAM action",
        )
        for n in range(3_000)
    ]
    plan = EditPlan(not_proposed=refused)
    body = render_body(many_findings(), plan, DEMO_CONTEXT)
    assert len(body) <= GITHUB_BODY_LIMIT
    shown = section(body, "### Not proposed")
    assert 5 <= len(table_rows(shown)) < 3_000
    assert f"more rows in `{EVIDENCE}`.*" in shown
    assert body.rstrip().endswith("</details>")
    evidence = render_evidence(many_findings(), plan, DEMO_CONTEXT)
    assert "`x2999\\u202e:*`" in evidence


def test_the_evidence_keeps_every_row():
    findings = many_findings()
    evidence = render_evidence(findings, EditPlan(), DEMO_CONTEXT)
    assert len(evidence) > GITHUB_BODY_LIMIT
    assert "more rows" not in evidence
    actions = {row[0].strip("`") for row in table_rows(evidence)}
    assert actions == {f.action for f in findings}


def test_a_short_description_is_not_cut():
    findings = many_findings()[:20]
    body = render_body(findings, EditPlan(), DEMO_CONTEXT)
    assert "more rows" not in body
    assert len(table_rows(section(body, "### New actions"))) == 20


# --- Redaction ------------------------------------------------------------------------------

PRINCIPALS = (
    "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123/alice.smith@example.com",
    "arn:aws:sts::222222222222:assumed-role/ci-runner/10.20.30.40",
    "arn:aws:iam::222222222222:role/platform-ci",
)


def test_redact_replaces_emails_and_ip_addresses():
    assert redact("assumed-role/Admin/alice.smith@example.com") == "assumed-role/Admin/<email>"
    assert redact("assumed-role/ci/10.20.30.40") == "assumed-role/ci/<ip>"
    assert redact("host-2001:db8:0:0:0:0:0:1") == "host-<ip>"
    assert redact("role/platform-ci") == "role/platform-ci"


@pytest.mark.parametrize("redacting", [True, False], ids=["on", "off"])
def test_principal_names_are_redacted_only_when_asked(redacting):
    findings = [make_finding(Category.NEW_ACTION, "ssm:StartSession", principals=PRINCIPALS)]
    context = RunContext(redact=redacting, evidence_path=EVIDENCE)
    for text in (
        render_body(findings, EditPlan(), context),
        render_evidence(findings, EditPlan(), context),
    ):
        (row,) = table_rows(text)
        names = row[5].split("<br>")
        if redacting:
            assert names == [
                "`assumed-role/AWSReservedSSO_Admin_0123/<email>`",
                "`assumed-role/ci-runner/<ip>`",
                "`role/platform-ci`",
            ]
            assert "example.com" not in text and "10.20.30.40" not in text
        else:
            assert names == [f"`{p.rpartition(':')[2]}`" for p in PRINCIPALS]


REPORTS = {
    "propose": (["propose", "--out-dir", "out"], "out/pr-body.md"),
    "classify": (["classify", "--format", "markdown", "--output", "report.md"], "report.md"),
}


@pytest.mark.parametrize("command", sorted(REPORTS))
@pytest.mark.parametrize("redacting", [True, False], ids=["on", "off"])
def test_the_redaction_setting_reaches_the_written_description(
    command, redacting, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scp-recommender.toml").write_text(
        f"[redaction]\nprincipals = {'true' if redacting else 'false'}\n", encoding="utf-8"
    )
    copy_policies(tmp_path / "policies")
    write_jsonl([demo_denials_with_principals()], tmp_path / "denials.jsonl")
    args, written = REPORTS[command]
    code, _, err = run_cli([*args, "--denials", "denials.jsonl", "--policies", "policies"], capsys)
    assert code == 0, err
    body = (tmp_path / written).read_text(encoding="utf-8")
    assert "ssm:StartSession" in body
    assert ("alice.smith@example.com" in body) is not redacting
    assert ("10.20.30.40" in body) is not redacting
    assert ("<email>" in body) is redacting


def demo_denials_with_principals() -> Denial:
    """An SSM denial of the demo, called by an SSO user whose session name is an e-mail."""
    (ssm,) = [d for d in demo_denials() if d.event_name == "StartSession"]
    return replace_row(ssm, principals=tuple(PRINCIPALS))


def test_the_decline_instructions_work_as_written(demo, denials, tmp_path):
    """The TOML the description shows, pasted into scp-recommender.toml, declines the Bedrock
    proposal until the date it names, and from that date on it is proposed again."""
    body, _ = demo
    how_to = details(body, "How to review")
    snippet = how_to.split("```toml\n")[1].split("```")[0]
    settings_file = tmp_path / "scp-recommender.toml"
    settings_file.write_text(textwrap.dedent(snippet), encoding="utf-8")
    (entry,) = load_settings(settings_file).declined
    assert entry.expires is not None
    policies = copy_policies(tmp_path / "policies")
    classified = classify_denials(denials, policies, Settings())
    for day, declined in ((entry.expires - timedelta(days=1), True), (entry.expires, False)):
        findings = [replace(f) for f in classified.findings]
        mark_declined(findings, [entry], day)
        (bedrock,) = [f for f in findings if f.action == "bedrock:InvokeModel"]
        assert (bedrock.declined == entry.reason) is declined
