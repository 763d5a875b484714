"""Drift (`sync-policies --check`) and `apply` against moto's Organizations in server mode.

An organization of three custom SCPs is synced into a git repository; the tests then change AWS
by hand (drift), or commit edits to policies/ (a merge) and apply them, over HTTP as in
production.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.motoserver import failing_call, moto_server
from tests.test_cli_query import run_cli
from tests.test_propose import DEMO_LOGS, DEMO_WINDOW, copy_policies
from tests.test_workflows import _git as git

NAMES = ("deny-leaving", "region-guard", "sandbox-allow")


def scp(*actions: str, effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Action": list(actions), "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


DOCUMENTS = {
    "deny-leaving": scp("organizations:LeaveOrganization", effect="Deny"),
    "region-guard": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegionGuard",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
            }
        ],
    },
    "sandbox-allow": scp("ec2:*", "s3:*"),
}


@dataclass
class Org:
    client: Any
    repo: Path
    ids: dict[str, str]

    @property
    def policies(self) -> Path:
        return self.repo / "policies"

    def live(self, name: str) -> Any:
        policy = self.client.describe_policy(PolicyId=self.ids[name])
        return json.loads(policy["Policy"]["Content"])

    def targets(self, name: str) -> set[str]:
        listed = self.client.list_targets_for_policy(PolicyId=self.ids[name])
        return {target["TargetId"] for target in listed["Targets"]}

    def write(self, name: str, document: dict[str, Any]) -> None:
        (self.policies / f"{name}.json").write_text(json.dumps(document, indent=4) + "\n")

    def commit(self, message: str) -> None:
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "-m", message)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    return run_cli(list(args), capsys)


def build_organization(client) -> dict[str, str]:
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]

    def ou(parent: str, name: str) -> Any:
        created = client.create_organizational_unit(ParentId=parent, Name=name)
        return created["OrganizationalUnit"]["Id"]

    def account(name: str, parent: str) -> Any:
        status = client.create_account(AccountName=name, Email=f"{name}@example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    ids = {"root": root, "workloads": ou(root, "Workloads"), "sandbox_ou": ou(root, "Sandbox")}
    ids["prod"] = account("prod", ids["workloads"])
    ids["sandbox"] = account("sandbox-1", ids["sandbox_ou"])
    targets = {
        "deny-leaving": [root],
        "region-guard": [ids["workloads"]],
        "sandbox-allow": [ids["sandbox_ou"]],
    }
    for name in NAMES:
        created = client.create_policy(
            Content=json.dumps(DOCUMENTS[name], separators=(",", ":")),
            Description=name,
            Name=name,
            Type="SERVICE_CONTROL_POLICY",
        )
        ids[name] = created["Policy"]["PolicySummary"]["Id"]
        for target in targets[name]:
            client.attach_policy(PolicyId=ids[name], TargetId=target)
    return ids


@pytest.fixture
def org(offline_aws, monkeypatch, tmp_path, capsys, request) -> Iterator[Org]:
    """The organization in moto (server mode) and a repository synced from it, committed."""
    middleware = getattr(request, "param", None)
    with moto_server(monkeypatch, middleware):
        client = boto3.client("organizations", region_name="us-east-1")
        ids = build_organization(client)
        repo = tmp_path / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        code, out, _ = cli(capsys, "sync-policies", "--out", str(repo / "policies"))
        assert code == 0, out
        (repo / "scp-recommender.toml").write_text("[apply]\nenabled = true\n")
        state = Org(client, repo, ids)
        state.commit("sync")
        yield state


def settings(org: Org) -> list[str]:
    return ["--config", str(org.repo / "scp-recommender.toml")]


# --- sync-policies --check ------------------------------------------------------------------


def test_check_exits_0_when_aws_and_the_folder_agree(org, capsys) -> None:
    code, out, _ = cli(capsys, "sync-policies", "--check", "--out", str(org.policies))
    assert (code, out) == (0, f"AWS Organizations and {org.policies.as_posix()}/ agree\n")


def test_whitespace_and_key_order_in_aws_are_not_drift(org, capsys) -> None:
    reordered = {"Statement": DOCUMENTS["sandbox-allow"]["Statement"], "Version": "2012-10-17"}
    org.client.update_policy(
        PolicyId=org.ids["sandbox-allow"], Content=json.dumps(reordered, indent=1)
    )
    code, _, _ = cli(capsys, "sync-policies", "--check", "--out", str(org.policies))
    assert code == 0


def drift_by_hand(org: Org) -> None:
    """The three kinds of drift of the acceptance: a policy text, an attachment, a moved account."""
    changed = scp("ec2:*", "s3:*", "lambda:*")
    org.client.update_policy(PolicyId=org.ids["sandbox-allow"], Content=json.dumps(changed))
    org.client.attach_policy(PolicyId=org.ids["region-guard"], TargetId=org.ids["sandbox_ou"])
    org.client.move_account(
        AccountId=org.ids["prod"],
        SourceParentId=org.ids["workloads"],
        DestinationParentId=org.ids["sandbox_ou"],
    )


def test_check_reports_a_changed_policy_a_new_attachment_and_a_moved_account(
    org, capsys, tmp_path
) -> None:
    drift_by_hand(org)
    notes = tmp_path / "notes.txt"

    code, out, err = cli(
        capsys, "sync-policies", "--check", "--out", str(org.policies), "--notes", str(notes)
    )

    assert (code, err) == (1, "")
    where = f"{org.policies.as_posix()}/"
    ids = org.ids
    assert f"~ sandbox-allow.json ({ids['sandbox-allow']}): the policy differs\n" in out
    assert f"--- sandbox-allow.json (AWS)\n+++ sandbox-allow.json ({where})\n" in out
    assert '-        "s3:*",\n-        "lambda:*"\n+        "s3:*"\n' in out, "AWS's extra action"
    assert (
        f"~ region-guard.json ({ids['region-guard']}): attached in AWS to {ids['sandbox_ou']} "
        f"(Sandbox), not in {where}\n"
    ) in out
    assert (
        f"~ account {ids['prod']} (prod) moved: under {ids['sandbox_ou']} (Sandbox) in AWS, "
        f"under {ids['workloads']} (Workloads) in {where}\n"
    ) in out
    assert out.endswith(f"3 differences between AWS and {where}\n")
    lines = notes.read_text().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("live `region-guard.json` is attached to ")
    assert lines[1].startswith(f"live `sandbox-allow.json` differs from {where}: merging this PR")


@pytest.mark.parametrize(
    ("on_drift", "fail_pull_requests", "code"),
    [("warn", True, 0), ("pull-request", False, 0), ("pull-request", True, 1), ("fail", False, 1)],
)
def test_on_drift_decides_the_exit_code(org, capsys, on_drift, fail_pull_requests, code) -> None:
    drift_by_hand(org)
    config = org.repo / "drift.toml"
    config.write_text(f"[drift]\nfail_pull_requests = {str(fail_pull_requests).lower()}\n")
    args = ["--config", str(config), "sync-policies", "--check", "--on-drift", on_drift]
    exit_code, out, _ = cli(capsys, *args, "--out", str(org.policies))
    assert exit_code == code
    assert "3 differences" in out


def test_check_without_organization_json_is_bad_input(org, capsys) -> None:
    (org.policies / "organization.json").unlink()
    code, _, err = cli(capsys, "sync-policies", "--check", "--out", str(org.policies))
    assert code == 2
    assert err.startswith(f"error: {org.policies / 'organization.json'}: missing")
    assert err.count("\n") == 1


# --- apply --plan and apply -----------------------------------------------------------------


def merge_edits(org: Org, *names: str) -> dict[str, dict[str, Any]]:
    """Commit a change to each named policy, as a merged pull request would; returns the texts."""
    edited = {}
    for name in names:
        document = json.loads(json.dumps(DOCUMENTS[name]))
        statement = document["Statement"][0]
        element = "NotAction" if "NotAction" in statement else "Action"
        statement[element] = [*statement[element], "support:*"]
        org.write(name, document)
        edited[name] = document
    org.commit(f"edit {', '.join(names)}")
    return edited


def apply(org: Org, capsys, *args: str) -> tuple[int, str, str]:
    return cli(capsys, *settings(org), "apply", "--policies", str(org.policies), *args)


def test_plan_shows_exactly_the_changed_policies_and_changes_nothing(org, capsys) -> None:
    merge_edits(org, "deny-leaving", "region-guard")

    code, out, err = apply(org, capsys, "--plan")

    assert (code, err) == (0, "")
    updates = [line for line in out.splitlines() if line.startswith("  ~ ")]
    assert updates == [
        f"  ~ update deny-leaving.json ({org.ids['deny-leaving']})",
        f"  ~ update region-guard.json ({org.ids['region-guard']})",
    ]
    assert '+        "support:*"\n' in out.replace("      +", "+")
    assert out.endswith("Plan: 0 to create, 2 to update, 0 to attach, 0 to detach.\n")
    assert all(org.live(name) == DOCUMENTS[name] for name in NAMES), "a plan changes nothing"


def test_apply_updates_exactly_the_changed_policies(org, capsys) -> None:
    edited = merge_edits(org, "deny-leaving", "sandbox-allow")
    text = (org.policies / "sandbox-allow.json").read_text()

    code, out, err = apply(org, capsys)

    assert (code, err) == (0, ""), out
    assert org.live("deny-leaving") == edited["deny-leaving"]
    assert org.live("sandbox-allow") == edited["sandbox-allow"]
    assert org.live("region-guard") == DOCUMENTS["region-guard"]
    described = org.client.describe_policy(PolicyId=org.ids["sandbox-allow"])
    assert described["Policy"]["Content"] == text, "sent as the file holds it"
    assert out.endswith("Applied 2 changes.\n")
    code, _, _ = cli(capsys, "sync-policies", "--check", "--out", str(org.policies))
    assert code == 0, "AWS now matches policies/"


def test_apply_creates_attaches_and_detaches(org, capsys) -> None:
    tree_file = org.policies / "organization.json"
    tree = json.loads(tree_file.read_text())
    tree["policies"]["sandbox-allow.json"]["targets"] = [org.ids["sandbox"]]
    tree["policies"]["deny-ai.json"] = {"targets": [org.ids["workloads"]]}
    tree_file.write_text(json.dumps(tree, indent=2) + "\n")
    org.write("deny-ai", scp("bedrock:*", effect="Deny"))
    org.commit("new policy, sandbox policy moved to the account")

    code, out, _ = apply(org, capsys)

    assert code == 0, out
    assert "Plan: 1 to create, 0 to update, 2 to attach, 1 to detach.\n" in out
    assert org.targets("sandbox-allow") == {org.ids["sandbox"]}
    (created,) = [
        p
        for p in org.client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == "deny-ai"
    ]
    listed = org.client.list_targets_for_policy(PolicyId=created["Id"])["Targets"]
    assert [target["TargetId"] for target in listed] == [org.ids["workloads"]]
    order = [line.split()[1] for line in out.splitlines() if line.startswith("applied: ")]
    assert order == ["create", "attach", "attach", "detach"], "detach last"


@pytest.mark.parametrize("plan", [True, False], ids=["plan", "apply"])
def test_drift_since_the_previous_commit_refuses_everything(org, capsys, plan) -> None:
    merge_edits(org, "deny-leaving")
    by_hand = scp("ec2:*", "s3:*", "lambda:*")
    org.client.update_policy(PolicyId=org.ids["sandbox-allow"], Content=json.dumps(by_hand))

    code, out, err = apply(org, capsys, *(["--plan"] if plan else []))

    assert code == 1
    assert err.startswith(
        f"error: refusing to apply: sandbox-allow.json ({org.ids['sandbox-allow']}): "
        "the policy differs (changed in AWS since policies/ at HEAD~1"
    )
    assert err.count("\n") == 1
    assert out == ""
    assert org.live("deny-leaving") == DOCUMENTS["deny-leaving"]
    assert org.live("sandbox-allow") == by_hand


def test_a_new_attachment_by_hand_is_drift_too(org, capsys) -> None:
    merge_edits(org, "deny-leaving")
    org.client.attach_policy(PolicyId=org.ids["region-guard"], TargetId=org.ids["sandbox"])
    code, _, err = apply(org, capsys)
    assert code == 1
    assert "refusing to apply: region-guard.json" in err
    assert org.live("deny-leaving") == DOCUMENTS["deny-leaving"]


@pytest.mark.parametrize("org", [failing_call("UpdatePolicy", nth=2)], indirect=True)
def test_a_failure_on_the_second_of_three_updates_stops_there_and_says_so(org, capsys) -> None:
    edited = merge_edits(org, *NAMES)

    code, out, err = apply(org, capsys)

    assert code == 1
    first, second, third = NAMES
    assert org.live(first) == edited[first]
    assert org.live(second) == DOCUMENTS[second]
    assert org.live(third) == DOCUMENTS[third]
    assert f"applied: update {first}.json ({org.ids[first]})\n" in out
    assert "applied: 1 of 3 changes\n" in out
    assert f"failed: update {second}.json ({org.ids[second]})\n" in out
    assert f"not applied: update {third}.json ({org.ids[third]})\n" in out
    assert err.startswith(f"error: apply stopped at update {second}.json ({org.ids[second]}): ")
    assert "ConcurrentModificationException" in err
    assert err.endswith("1 applied before it, 2 not applied\n")
    assert err.count("\n") == 1


def test_apply_is_off_unless_the_settings_enable_it(org, capsys) -> None:
    merge_edits(org, "deny-leaving")
    (org.repo / "scp-recommender.toml").write_text("")
    code, _, err = apply(org, capsys)
    assert code == 2
    assert err == (
        "error: apply is off: set `[apply] enabled = true` in scp-recommender.toml "
        "(apply --plan works without it)\n"
    )
    assert org.live("deny-leaving") == DOCUMENTS["deny-leaving"]


def test_an_invalid_policy_stops_apply_before_any_change(org, capsys) -> None:
    merge_edits(org, "deny-leaving")
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*"}]}
    org.write("sandbox-allow", broken)
    org.commit("broken")

    code, _, err = apply(org, capsys, "--previous", "HEAD~2")

    assert code == 2
    assert "sandbox-allow.json" in err
    assert err.splitlines()[-1].startswith("error: ")
    assert org.live("deny-leaving") == DOCUMENTS["deny-leaving"]


def test_a_previous_revision_that_is_no_commit_is_one_line(org, capsys) -> None:
    code, _, err = apply(org, capsys, "--plan", "--previous", "--output=/tmp/x")
    assert code == 2
    assert err.startswith("error: --previous: '--output=/tmp/x' is not a commit")
    assert err.count("\n") == 1


def test_the_weekly_run_quotes_the_drift_at_the_top_of_the_description(
    org, capsys, tmp_path, monkeypatch
) -> None:
    drift_by_hand(org)
    notes = tmp_path / "drift.txt"
    cli(
        capsys,
        "sync-policies",
        "--check",
        "--on-drift",
        "warn",
        "--out",
        str(org.policies),
        "--notes",
        str(notes),
    )
    checkout = tmp_path / "checkout"
    copy_policies(checkout / "policies")
    monkeypatch.chdir(checkout)
    start, end = DEMO_WINDOW
    run = ["run", "--engine", "local", "--logs", str(DEMO_LOGS), "--start", start, "--end", end]

    code, _, err = cli(
        capsys, *run, "--dry-run", "--quiet", "--out-dir", "out", "--notes", str(notes)
    )

    assert code == 0, err
    body = (checkout / "out" / "pr-body.md").read_text()
    quoted = [f"> {line}" for line in notes.read_text().splitlines()]
    assert len(quoted) == 3
    assert "> live `sandbox-allow.json` differs from " in body
    first_section = body.index("\n### ")
    assert all(0 < body.index(line) < first_section for line in quoted), "at the top"


def test_rcps_are_synced_and_compared_but_never_applied(org, capsys) -> None:
    rcp_type = "RESOURCE_CONTROL_POLICY"
    org.client.enable_policy_type(RootId=org.ids["root"], PolicyType=rcp_type)
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    created = org.client.create_policy(
        Content=json.dumps(document), Description="r", Name="tls-only", Type=rcp_type
    )
    rcp = created["Policy"]["PolicySummary"]["Id"]
    org.client.attach_policy(PolicyId=rcp, TargetId=org.ids["root"])

    code, out, _ = cli(capsys, "sync-policies", "--check", "--out", str(org.policies))
    assert code == 1
    assert f"- tls-only.json ({rcp}): in AWS, not in {org.policies.as_posix()}/\n" in out

    cli(capsys, "sync-policies", "--out", str(org.policies))
    tree = json.loads((org.policies / "organization.json").read_text())
    assert tree["policies"]["tls-only.json"] == {
        "id": rcp,
        "targets": [org.ids["root"]],
        "type": rcp_type,
    }
    assert "type" not in tree["policies"]["deny-leaving.json"], "absent means an SCP"
    org.commit("sync the RCPs")
    statement["Action"] = ["s3:*", "sqs:*"]
    org.write("tls-only", document)
    org.commit("edit the RCP")

    code, out, _ = apply(org, capsys)

    assert code == 0, out
    assert "  ! tls-only.json is a resource control policy: left as is" in out
    assert "Plan: 0 to create, 0 to update, 0 to attach, 0 to detach.\n" in out
    live = org.client.describe_policy(PolicyId=rcp)["Policy"]["Content"]
    assert json.loads(live)["Statement"][0]["Action"] == "s3:*"


@pytest.mark.parametrize(
    "args",
    [["--notes", "notes.txt"], ["--on-drift", "warn"], ["--check", "--prune"]],
    ids=["notes", "on-drift", "prune"],
)
def test_check_options_go_with_check_only(offline_aws, tmp_path, capsys, args) -> None:
    code, out, err = cli(capsys, "sync-policies", "--out", str(tmp_path), *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "--check" in err
    assert list(tmp_path.iterdir()) == [], "nothing read, nothing written"


def test_apply_leaves_the_tree_alone_and_says_so(org, capsys) -> None:
    org.client.move_account(
        AccountId=org.ids["prod"],
        SourceParentId=org.ids["workloads"],
        DestinationParentId=org.ids["sandbox_ou"],
    )
    edited = merge_edits(org, "region-guard")

    code, out, _ = apply(org, capsys)

    assert code == 0, out
    assert f"  ! account {org.ids['prod']} (prod) moved: under {org.ids['sandbox_ou']}" in out
    assert out.count("left as is (apply changes policies only)") == 1
    assert org.live("region-guard") == edited["region-guard"]
    parents = org.client.list_parents(ChildId=org.ids["prod"])["Parents"]
    assert [parent["Id"] for parent in parents] == [org.ids["sandbox_ou"]]
