"""Strings from CloudTrail are data: whatever a denial row holds, the pull request description
keeps its tables (parsed by markdown-it-py, a CommonMark parser with GFM's tables), lets no HTML
but its own through, and shows every hidden character escaped; the terminal table keeps one
line per finding and no control character."""

import re
import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from recommender.catalog import load_catalog
from recommender.classify import Classifier
from recommender.config import Settings
from recommender.models import Denial, Finding
from recommender.propose import plan_edits
from recommender.render.escape import markdown_code, terminal_text, visible
from recommender.render.markdown import RunContext, render_body, render_evidence
from recommender.render.summary import Tally
from recommender.render.table import render_table
from recommender.scp.policyset import PolicySet, load_policy_set
from tests.test_propose import POLICIES

GFM = MarkdownIt("commonmark").enable("table")
# The only HTML the description writes itself.
OWN_HTML = re.compile(r"</?(?:details|summary)>|<br>")
OWN_BLOCK = re.compile(r"(?:<details><summary>[^<>]*</summary>|</details>)\n")
# What the description writes outside code spans in a table cell: words of its own, counts,
# sizes and emphasis; never a value from the row.
OWN_TEXT = re.compile(
    r"(?: |add | to |\+\d+ more|[\d,]+|[\d,]+ \(\d+% used\)|ok|blocked|not proposed|declined|: )?"
)
# Pieces that have broken renderers and reviewers' eyes, mixed into arbitrary text so that
# every example holds a few.
HOSTILE = [
    "|",
    "\\|",
    "\\",
    "`",
    "``",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\u3164",
    "\udc80",
    "<img src=x onerror=alert(1)>",
    "<details>",
    "&lt;",
    "&#124;",
    "<https://evil.example>",
    "www.evil.example",
    "@octocat",
    "#123",
    "[x](javascript:alert(1))",
    " ::error::x",
    "::add-mask::",
    "**",
    "_",
    " ",
    "\t",
]
strings = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE),
        st.text(st.characters(exclude_categories=()), max_size=8),
    ),
    max_size=6,
).map("".join)
optional = st.none() | strings


@st.composite
def denial_rows(draw: st.DrawFn) -> Denial:
    # half the rows name a real service, so that they reach proposals and their cells
    known_source = st.sampled_from(["s3.amazonaws.com", "bedrock.amazonaws.com"])
    return Denial(
        event_source=draw(known_source | strings),
        event_name=draw(strings),
        count=draw(st.integers(0, 10**6)),
        region=draw(st.sampled_from([None, "eu-west-1", "us-west-2"]) | strings),
        account_id=draw(st.sampled_from(["222222222222", "333333333333"]) | optional),
        error_code=draw(optional),
        error_message=draw(optional),
        principals=tuple(draw(st.lists(strings, max_size=4))),
        first_seen=draw(optional),
        last_seen=draw(optional),
        event_ids=tuple(draw(st.lists(strings, max_size=3))),
    )


@pytest.fixture(scope="module")
def policy_set() -> PolicySet:
    return load_policy_set(POLICIES)


def summarize(findings: list[Finding], rows: int, calls: int) -> dict[str, object]:
    tally = Tally()
    tally.add_rows(rows, calls)
    tally.add(findings)
    return tally.summary()


def classified(policy_set: PolicySet, rows: list[Denial]) -> list[Finding]:
    return Classifier(policy_set, load_catalog()).classify_all(rows)


def hidden(char: str) -> bool:
    """Written independently of render/escape.py: what must never reach a reader unescaped."""
    category = unicodedata.category(char)
    return category in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} or (
        category == "Zs" and char != " "
    )


def cells(line: str) -> list[str]:
    """A table row's cells, split as GFM splits them: at every `|` not escaped by `\\`."""
    return re.split(r"(?<!\\)\|", line.strip().removeprefix("|").removesuffix("|"))


def tables(tokens: list[Token]) -> Iterator[tuple[int, int, list[Token]]]:
    """Each table's first and last source line and its tokens."""
    start = None
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            start = index
        elif token.type == "table_close" and start is not None:
            first, last = tokens[start].map or (0, 0)
            yield first, last, tokens[start : index + 1]


def check_markdown(body: str) -> None:
    lines = body.split("\n")
    assert not [char for char in body if char != "\n" and hidden(char)]
    tokens = GFM.parse(body)
    in_tables: set[int] = set()
    for first, last, table in tables(tokens):
        width = len(cells(lines[first]))
        assert len(cells(lines[first + 1])) == width  # the delimiter row
        rows = [token for token in table if token.type == "tr_open"]
        assert len(rows) == last - first - 1, "every source line of the table is one row"
        for line in lines[first + 2 : last]:
            assert len(cells(line)) == width, line
        in_tables.update(range(first, last))
        body_start = next(n for n, token in enumerate(table) if token.type == "tbody_open")
        for inline in (token for token in table[body_start:] if token.type == "inline"):
            for child in inline.children or []:
                if child.type == "text":
                    assert OWN_TEXT.fullmatch(child.content), child.content
                elif child.type == "html_inline":
                    assert OWN_HTML.fullmatch(child.content), child.content
                else:
                    assert child.type in {"code_inline", "strong_open", "strong_close"}
    stray = [n for n, line in enumerate(lines) if line.startswith("|") and n not in in_tables]
    assert not stray, [lines[n] for n in stray]
    for token in tokens:
        if token.type == "html_block":
            assert OWN_BLOCK.fullmatch(token.content), token.content
        for child in token.children or []:
            assert child.type not in {"link_open", "image", "em_open"}, child
            if child.type == "html_inline":
                assert OWN_HTML.fullmatch(child.content), child.content


def event_cells(body: str) -> set[str]:
    """What a reader sees in the evidence tables' event column."""
    seen: set[str] = set()
    for _, _, table in tables(GFM.parse(body)):
        inlines = [t for t in table if t.type == "inline"]
        if inlines[0].content != "IAM action":
            continue
        seen.update(
            "".join(c.content for c in inline.children or [])
            for inline in inlines[9::8]  # the event column of each data row
        )
    return seen


@settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(denial_rows(), min_size=1, max_size=6), st.booleans())
def test_the_description_keeps_its_tables_and_lets_no_markup_through(policy_set, rows, allow):
    findings = classified(policy_set, rows)
    config = Settings.model_validate({"proposals": {"allow_unknown_actions": allow}})
    plan = plan_edits(findings, policy_set, config)
    context = RunContext(evidence_path="docs/scp-evidence.md")
    evidence = render_evidence(findings, plan, context)
    for body in (render_body(findings, plan, context), evidence):
        check_markdown(body)
    # every event is shown whole and exactly, however many backticks and pipes it holds (rows
    # of the same action and change share one table row)
    expected = {
        visible(f"{row.event_source.removesuffix('.amazonaws.com')}:{row.event_name}")
        for row in rows
    }
    assert event_cells(evidence) <= expected
    for change in plan.changes:
        for proposal in change.proposals:
            assert not [char for char in proposal.add if hidden(char)]
            assert proposal.add.isascii() and proposal.add.isprintable()


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(denial_rows(), min_size=1, max_size=6))
def test_the_terminal_table_keeps_one_line_per_finding_and_no_control_character(policy_set, rows):
    findings = classified(policy_set, rows)
    report = render_table(findings, summarize(findings, len(rows), 0))
    assert not [char for char in report if char != "\n" and hidden(char)]
    # a finding's line: the count right-aligned in six columns; wrapped text is indented past
    # them, so no value can start a line that passes for one
    finding_lines = [line for line in report.splitlines() if re.match(r"  [ \d]{5}\d+  ", line)]
    assert len(finding_lines) == len(findings)
    # no line passes for a GitHub Actions workflow command
    assert not [line for line in report.splitlines() if line.lstrip().startswith("::")]


@given(strings)
def test_a_code_span_shows_the_value_exactly(value):
    """Inside and outside a table, markdown-it reads back what `visible` shows."""
    span = markdown_code(value)
    if not value:
        assert span == ""
        return
    row = GFM.parse(f"| a |\n|---|\n| {span} |\n")
    (cell,) = [t for t in row if t.type == "inline"][1:]
    assert [c.type for c in cell.children or []] == ["code_inline"]
    assert [c.content for c in cell.children or []] == [visible(value)]
    if "|" not in value:
        (paragraph,) = [t for t in GFM.parse(f"x {span} y") if t.type == "inline"]
        assert [c.type for c in paragraph.children or []] == ["text", "code_inline", "text"]


def test_no_wrapped_line_of_a_long_word_passes_for_a_workflow_command(policy_set):
    for length in range(60, 90):
        row = Denial(
            event_source="bedrock.amazonaws.com",
            event_name="x" * length + "::error::x",
            count=1,
            region="eu-west-1",
            account_id="222222222222",
        )
        report = render_table(classified(policy_set, [row]), summarize([], 1, 1))
        assert "::error::x" in report  # the reason quotes the action
        assert not [line for line in report.splitlines() if line.lstrip().startswith("::")]


def test_hidden_characters_are_shown_as_escapes():
    assert terminal_text("evi\u202el\x00\n\\u202e") == "evi\\u202el\\u0000\\n\\\\u202e"
    assert terminal_text("::error::x arn:aws:iam::1") == "\\u003a:error::x arn:aws:iam::1"
    assert markdown_code("a|`b`") == "`` a\\|`b` ``"
    assert markdown_code("\U000e0041") == "`\\U000e0041`"
