"""Format-preserving additions to SCP text: exact outputs for real-shaped policies, properties
over generated policies and formats, and minimal diffs on the public example SCPs."""

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.errors import PolicyError
from recommender.scp.edit import add_many, add_values
from recommender.scp.jsonpos import JsonSyntaxError, parse, to_python


def lines_of(text: str) -> list[str]:
    """Lines split at "\n" only: `str.splitlines` also splits at U+0085 and U+2028 inside
    strings."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    old, new = lines_of(before), lines_of(after)
    removed: list[str] = []
    added: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag != "equal":
            removed += old[old_start:old_end]
            added += new[new_start:new_end]
    return removed, added


def assert_minimal_diff(before: str, after: str) -> None:
    """Only added lines, plus at most one line that gained a trailing comma."""
    removed, added = changed_lines(before, after)
    assert len(removed) <= 1, removed
    for line in removed:
        body = line.rstrip(" \t\r\n")
        assert body + "," + line[len(body) :] in added


# --- examples with their exact output --------------------------------------------------------

ALLOW_LIST = dedent("""\
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:*",
                    "s3:*"
                ],
                "Resource": "*"
            }
        ]
    }
    """)

REGION_GUARD = dedent("""\
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "DenyOutsideApprovedRegions",
          "Effect": "Deny",
          "NotAction": [
            "iam:*",
            "organizations:*",
            "sts:*"
          ],
          "Resource": "*",
          "Condition": {
            "StringNotEquals": {
              "aws:RequestedRegion": [
                "eu-central-1",
                "eu-west-1"
              ]
            },
            "ArnNotLike": {
              "aws:PrincipalARN": "arn:aws:iam::*:role/Admin"
            }
          }
        }
      ]
    }
    """)


def test_sorted_allow_list_gets_the_action_at_its_sorted_place() -> None:
    assert add_values(ALLOW_LIST, 0, "Action", ["lambda:*"]) == ALLOW_LIST.replace(
        '"ec2:*",\n', '"ec2:*",\n                "lambda:*",\n'
    )


def test_region_is_appended_to_a_sorted_condition_list_with_a_comma_on_the_last_line() -> None:
    edited = add_values(
        REGION_GUARD, 0, "Condition/StringNotEquals/aws:requestedregion", ["us-east-1"]
    )
    assert edited == REGION_GUARD.replace(
        '"eu-west-1"\n', '"eu-west-1",\n            "us-east-1"\n'
    )


def test_region_between_existing_ones_adds_one_line_and_changes_none() -> None:
    edited = add_values(
        REGION_GUARD, 0, "Condition/StringNotEquals/aws:RequestedRegion", ["eu-north-1"]
    )
    assert changed_lines(REGION_GUARD, edited) == ([], ['            "eu-north-1",\n'])


def test_not_action_allow_list_unsorted_gets_new_actions_appended_in_the_given_order() -> None:
    policy = dedent("""\
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowListedServices",
                    "Effect": "Deny",
                    "NotAction": [
                        "s3:*",
                        "ec2:*",
                        "iam:*"
                    ],
                    "Resource": "*"
                }
            ]
        }
        """)
    edited = add_values(policy, 0, "NotAction", ["sqs:*", "kms:*", "S3:*"])
    assert edited == policy.replace(
        '"iam:*"\n', '"iam:*",\n                "sqs:*",\n                "kms:*"\n'
    )


def test_string_action_becomes_a_multiline_list_in_a_multiline_document() -> None:
    policy = dedent("""\
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Action": "s3:*",
              "Resource": "*"
            }
          ]
        }""")
    assert add_values(policy, 0, "Action", ["ec2:*"]) == policy.replace(
        '"Action": "s3:*",', '"Action": [\n        "ec2:*",\n        "s3:*"\n      ],'
    )


def test_single_object_statement_with_tabs() -> None:
    policy = (
        '{\n\t"Version": "2012-10-17",\n\t"Statement": {\n'
        '\t\t"Effect": "Deny",\n\t\t"NotAction": "iam:*",\n\t\t"Resource": "*"\n\t}\n}\n'
    )
    expected = (
        '{\n\t"Version": "2012-10-17",\n\t"Statement": {\n\t\t"Effect": "Deny",\n'
        '\t\t"NotAction": [\n\t\t\t"iam:*",\n\t\t\t"sts:*"\n\t\t],\n'
        '\t\t"Resource": "*"\n\t}\n}\n'
    )
    assert add_values(policy, 0, "NotAction", ["sts:*"]) == expected


def test_crlf_file_keeps_crlf() -> None:
    policy = ALLOW_LIST.replace("\n", "\r\n")
    edited = add_values(policy, 0, "Action", ["sqs:*"])
    assert edited == policy.replace('"s3:*"\r\n', '"s3:*",\r\n                "sqs:*"\r\n')
    string_action = policy.replace(
        '"Action": [\r\n                "ec2:*",\r\n                "s3:*"\r\n            ]',
        '"Action": "ec2:*"',
    )
    converted = add_values(string_action, 0, "Action", ["s3:*"])
    assert converted == policy
    assert converted.count("\n") == converted.count("\r\n")


def test_inline_lists_stay_inline() -> None:
    policy = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["ec2:*", "s3:*"], "Resource": "*"}]}'
    )
    assert add_values(policy, 0, "Action", ["iam:*", "sqs:*"]) == policy.replace(
        '["ec2:*", "s3:*"]', '["ec2:*", "iam:*", "s3:*", "sqs:*"]'
    )
    assert add_values(policy, 0, "Resource", ["arn:aws:s3:::b"]) == policy.replace(
        '"Resource": "*"', '"Resource": ["*", "arn:aws:s3:::b"]'
    )


def test_compact_document_gets_compact_lists() -> None:
    policy = '{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}'
    assert add_values(policy, 0, "Action", ["ec2:*"]) == policy.replace(
        '"s3:*"', '["ec2:*","s3:*"]'
    )


def test_inline_list_in_a_multiline_document_stays_inline_while_it_fits() -> None:
    policy = dedent("""\
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["s3:PutObject"],
                    "Resource": [
                        "arn:aws:s3:::a",
                        "arn:aws:s3:::b"
                    ],
                    "Condition": {
                        "StringNotEquals": {
                            "aws:RequestedRegion": [
                                "eu-west-1"
                            ]
                        }
                    }
                }
            ]
        }
        """)
    short = add_values(policy, 0, "Action", ["s3:GetObject"])
    assert short == policy.replace('["s3:PutObject"]', '["s3:GetObject", "s3:PutObject"]')
    added = ["s3:GetObjectVersion", "s3:ListBucketVersions", "s3:DeleteObjectVersion"]
    long = add_values(policy, 0, "Action", added * 2)
    assert long == policy.replace(
        '["s3:PutObject"]',
        '[\n                "s3:DeleteObjectVersion",\n                "s3:GetObjectVersion",\n'
        '                "s3:ListBucketVersions",\n                "s3:PutObject"\n            ]',
    )


def test_last_item_followed_by_spaces_gets_its_comma_right_after_it() -> None:
    policy = '{\n  "Statement": [\n    {\n      "Action": [\n        "a:b", \n        "c:d" \n'
    policy += "      ]\n    }\n  ]\n}\n"
    edited = add_values(policy, 0, "Action", ["e:f"])
    assert edited == policy.replace('"c:d" \n', '"c:d", \n        "e:f"\n')


def test_items_sharing_a_line_get_the_new_item_on_its_own_line() -> None:
    policy = '{\n  "Statement": [\n    {\n      "Action": [\n        "a:1", "c:3",\n'
    policy += '        "e:5"\n      ]\n    }\n  ]\n}\n'
    edited = add_values(policy, 0, "Action", ["b:2"])
    assert edited == policy.replace('"c:3"', '"b:2",\n        "c:3"')


def test_statement_written_on_one_line_gets_an_inline_list() -> None:
    policy = dedent("""\
        {
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
              "Effect": "Deny",
              "Action": [
                "iam:*"
              ],
              "Resource": "*"
            }
          ]
        }
        """)
    assert add_values(policy, 0, "Action", ["ec2:*"]) == policy.replace(
        '"Action": "s3:*"', '"Action": ["ec2:*", "s3:*"]'
    )
    assert add_values(policy, 1, "Resource", ["arn:aws:iam::*:role/x"]) == policy.replace(
        '"Resource": "*"\n',
        '"Resource": [\n        "*",\n        "arn:aws:iam::*:role/x"\n      ]\n',
    )


def test_string_becomes_an_inline_list_where_the_document_writes_lists_inline() -> None:
    policy = dedent("""\
        {
          "Statement": [
            {
              "Effect": "Deny",
              "NotAction": ["iam:*", "sts:*"],
              "Resource": "*",
              "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
            }
          ]
        }
        """)
    assert add_values(policy, 0, "Resource", ["arn:aws:s3:::b"]) == policy.replace(
        '"Resource": "*"', '"Resource": ["*", "arn:aws:s3:::b"]'
    )


def test_trailing_newline_presence_is_kept() -> None:
    assert add_values(ALLOW_LIST, 0, "Action", ["sqs:*"]).endswith("}\n")
    assert add_values(ALLOW_LIST.rstrip(), 0, "Action", ["sqs:*"]).endswith("]\n}")


def test_nothing_new_returns_the_text_unchanged() -> None:
    assert add_values(ALLOW_LIST, 0, "Action", ["EC2:*", "s3:*"]) is ALLOW_LIST
    assert add_values(ALLOW_LIST, 0, "Action", []) is ALLOW_LIST
    assert (
        add_values(
            REGION_GUARD, 0, "Condition/ArnNotLike/aws:PrincipalArn", ["arn:aws:iam::*:role/Admin"]
        )
        is REGION_GUARD
    )


def test_values_are_compared_exactly_except_actions() -> None:
    edited = add_values(ALLOW_LIST, 0, "Resource", ["*", "ARN:AWS:S3:::X", "ARN:AWS:S3:::X"])
    assert json.loads(edited)["Statement"][0]["Resource"] == ["*", "ARN:AWS:S3:::X"]
    edited = add_values(ALLOW_LIST, 0, "Action", ["sqs:SendMessage", "SQS:sendmessage"])
    assert json.loads(edited)["Statement"][0]["Action"] == ["ec2:*", "s3:*", "sqs:SendMessage"]


def test_unicode_and_escapes_are_kept_and_new_values_are_json_encoded() -> None:
    policy = (
        '{"Statement": [{"Effect": "Deny", "Action": "s3:*", '
        '"Resource": ["arn:aws:s3:::caf\\u00e9", "arn:aws:s3:::π"]}]}\n'
    )
    edited = add_values(
        policy, 0, "Resource", ['arn:aws:s3:::"quoted"\\back', "arn:aws:s3:::ü\n\u2028"]
    )
    assert edited == policy.replace(
        '["arn:aws:s3:::caf\\u00e9", "arn:aws:s3:::π"]',
        '["arn:aws:s3:::\\"quoted\\"\\\\back", "arn:aws:s3:::caf\\u00e9", '
        '"arn:aws:s3:::ü\\n\\u2028", "arn:aws:s3:::π"]',
    )
    assert json.loads(edited)["Statement"][0]["Resource"] == [
        'arn:aws:s3:::"quoted"\\back',
        "arn:aws:s3:::café",
        "arn:aws:s3:::ü\n\u2028",
        "arn:aws:s3:::π",
    ]


def test_empty_list_gets_the_values() -> None:
    policy = (
        '{\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
        '      "Action": [],\n      "Resource": "*"\n    }\n  ]\n}\n'
    )
    edited = add_values(policy, 0, "Action", ["s3:*", "ec2:*"])
    assert edited == policy.replace(
        '"Action": [],', '"Action": [\n        "ec2:*",\n        "s3:*"\n      ],'
    )


def test_add_many_merges_additions_to_one_element_and_applies_the_others() -> None:
    edited = add_many(
        REGION_GUARD,
        [
            (0, "NotAction", ["sqs:*"]),
            (0, "Condition/StringNotEquals/aws:RequestedRegion", ["us-east-1"]),
            (0, "NotAction", ["kms:*", "sqs:*"]),
        ],
        source="region.json",
    )
    statement = json.loads(edited)["Statement"][0]
    assert statement["NotAction"] == ["iam:*", "kms:*", "organizations:*", "sqs:*", "sts:*"]
    assert statement["Condition"]["StringNotEquals"]["aws:RequestedRegion"][-1] == "us-east-1"
    assert_minimal_diff(REGION_GUARD, edited)


@pytest.mark.parametrize(
    ("text", "index", "element", "message"),
    [
        (
            ALLOW_LIST,
            1,
            "Action",
            "p.json: statement 1 is out of range (the policy has 1); cannot add to Action",
        ),
        (ALLOW_LIST, -1, "Action", "p.json: statement -1 is out of range"),
        (ALLOW_LIST, 0, "NotAction", "p.json: statement 0: NotAction is missing"),
        (
            REGION_GUARD,
            0,
            "Condition/StringEquals/aws:RequestedRegion",
            'p.json: statement 0 ("DenyOutsideApprovedRegions"): '
            "Condition/StringEquals/aws:RequestedRegion is missing",
        ),
        (
            REGION_GUARD,
            0,
            "Condition/StringNotEquals/aws:SourceVpc",
            "Condition/StringNotEquals/aws:SourceVpc is missing",
        ),
        (
            REGION_GUARD,
            0,
            "Condition/StringNotEquals",
            "expected Action, NotAction, NotResource, Resource or Condition/<Operator>/<key>",
        ),
        (ALLOW_LIST, 0, "Effect", "p.json: statement 0: Effect: expected Action"),
        (
            '{"Statement": [{"Action": {"a": 1}}]}',
            0,
            "Action",
            "p.json: statement 0: Action is not a string or a list of strings",
        ),
        (
            '{"Statement": [{"Action": ["s3:*", 1]}]}',
            0,
            "Action",
            "Action is not a string or a list of strings",
        ),
        (
            '{"Statement": ["s3:*"]}',
            0,
            "Action",
            "p.json: statement 0 is not an object; cannot add to Action",
        ),
        (
            '{"Version": "2012-10-17"}',
            0,
            "Action",
            'p.json: no "Statement" to add Action to (statement 0)',
        ),
        (
            '{\n  "Statement": [,]\n}',
            0,
            "Action",
            "p.json: cannot add to statement 0 Action: not valid JSON at line 2 column 17",
        ),
        ("[]", 0, "Action", 'p.json: no "Statement"'),
    ],
)
def test_errors_are_one_line_naming_source_statement_and_element(
    text: str, index: int, element: str, message: str
) -> None:
    with pytest.raises(PolicyError, match=f"^[^\n]*{re.escape(message)}[^\n]*$"):
        add_values(text, index, element, ["x:y"], source="p.json")


def test_positions_parser_matches_json_loads_and_reports_line_and_column() -> None:
    document = '\ufeff{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}, "a": []}'
    assert to_python(parse(document)) == json.loads(document[1:])
    for bad, line, column in [('{"a": 1,\n "b"}', 2, 5), ("[1] x", 1, 5), ('{"a": "\x01"}', 1, 8)]:
        with pytest.raises(JsonSyntaxError, match=f"^line {line} column {column}: "):
            parse(bad)


# --- properties over generated policies and formats -------------------------------------------

ACTIONS = st.from_regex(r"[a-z][a-z0-9-]{0,8}:[A-Za-z*]{1,10}", fullmatch=True)
TEXTS = st.text(st.characters(codec="utf-8"), max_size=8)
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "ArnNotLike",
    "ForAnyValue:StringLike",
]
CONDITION_KEYS = [
    "aws:RequestedRegion",
    "aws:PrincipalArn",
    "aws:SourceVpc",
    "aws:RequestTag/Owner",
]


def lists_or_strings(values: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    lists = st.tuples(st.lists(values, max_size=5), st.booleans()).map(
        lambda drawn: sorted(drawn[0], key=str.casefold) if drawn[1] else drawn[0]
    )
    return st.one_of(values, lists)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True))
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = draw(lists_or_strings(ACTIONS))
    statement["Resource"] = draw(lists_or_strings(TEXTS))
    if draw(st.booleans()):
        operators = draw(st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=2, unique=True))
        statement["Condition"] = {
            operator: {
                key: draw(lists_or_strings(TEXTS))
                for key in draw(
                    st.lists(st.sampled_from(CONDITION_KEYS), min_size=1, max_size=2, unique=True)
                )
            }
            for operator in operators
        }
    order = draw(st.permutations(list(statement)))
    return {key: statement[key] for key in order}


@dataclass(frozen=True)
class Format:
    indent: str
    newline: str
    inline_lists: tuple[bool, ...]  # taken in turn by the lists, so a document may mix both
    compact: bool
    ensure_ascii: bool
    trailing_newline: bool


FORMATS = st.builds(
    Format,
    indent=st.sampled_from(["  ", "    ", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    inline_lists=st.one_of(
        st.booleans().map(lambda inline: (inline,)),
        st.lists(st.booleans(), min_size=2, max_size=6).map(tuple),
    ),
    compact=st.booleans(),
    ensure_ascii=st.booleans(),
    trailing_newline=st.booleans(),
)


@dataclass
class Writer:
    """Writes a document in a given format and records the span of every value by its path."""

    form: Format
    parts: list[str] = field(default_factory=list)
    size: int = 0
    spans: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    lists_written: int = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def write(self, value: Any, path: tuple[Any, ...] = (), level: int = 0) -> None:
        start = self.size
        if isinstance(value, dict):
            self.container("{", "}", [(key, value[key]) for key in value], path, level)
        elif isinstance(value, list):
            self.container("[", "]", list(enumerate(value)), path, level)
        else:
            self.emit(json.dumps(value, ensure_ascii=self.form.ensure_ascii))
        self.spans[path] = (start, self.size)

    def container(
        self,
        open_: str,
        close: str,
        entries: list[tuple[Any, Any]],
        path: tuple[Any, ...],
        level: int,
    ) -> None:
        is_list = open_ == "["
        inline = self.form.compact or not entries
        if is_list:
            styles = self.form.inline_lists
            inline = inline or styles[self.lists_written % len(styles)]
            self.lists_written += 1
        self.emit(open_)
        for position, (key, value) in enumerate(entries):
            if position:
                self.emit("," if self.form.compact else ", " if inline else ",")
            if not inline:
                self.emit(self.form.newline + self.form.indent * (level + 1))
            if not is_list:
                self.emit(json.dumps(key, ensure_ascii=self.form.ensure_ascii))
                self.emit(":" if self.form.compact else ": ")
            self.write(value, (*path, key), level + 1)
        if not inline:
            self.emit(self.form.newline + self.form.indent * level)
        self.emit(close)

    def text(self) -> str:
        return "".join(self.parts) + (self.form.newline if self.form.trailing_newline else "")


@dataclass(frozen=True)
class Case:
    text: str
    form: Format
    document: dict[str, Any]
    index: int
    element: str
    path: tuple[Any, ...]
    values: list[str]
    span: tuple[int, int]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    listed = draw(st.lists(statements(), min_size=1, max_size=3))
    single = len(listed) == 1 and draw(st.booleans())
    document = {"Version": "2012-10-17", "Statement": listed[0] if single else listed}
    form = draw(FORMATS)
    writer = Writer(form)
    writer.write(document)
    index = draw(st.integers(0, len(listed) - 1))
    statement = listed[index]
    base: tuple[Any, ...] = ("Statement",) if single else ("Statement", index)
    choices: list[tuple[str, tuple[Any, ...]]] = [
        (key, (*base, key)) for key in ("Action", "NotAction", "Resource") if key in statement
    ]
    for operator, block in statement.get("Condition", {}).items():
        for key in block:
            choices.append((f"Condition/{operator}/{key}", (*base, "Condition", operator, key)))
    element, path = draw(st.sampled_from(choices))
    if element.startswith("Condition/"):
        operator, key = path[-2], path[-1]
        element = f"Condition/{operator}/{draw(st.sampled_from([key, key.upper(), key.lower()]))}"
    current = (
        statement[path[-1]]
        if len(path) == len(base) + 1
        else statement["Condition"][path[-2]][path[-1]]
    )
    existing = [current] if isinstance(current, str) else current
    fresh = ACTIONS if element in ("Action", "NotAction") else TEXTS
    candidates = st.one_of(fresh, st.sampled_from(existing).map(str.upper)) if existing else fresh
    values = draw(st.lists(candidates, min_size=1, max_size=4))
    return Case(writer.text(), form, document, index, element, path, values, writer.spans[path])


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def expected_new(case: Case, existing: list[str]) -> list[str]:
    fold: Callable[[str], str] = str.casefold if case.element in ("Action", "NotAction") else str
    seen = {fold(value) for value in existing}
    new = []
    for value in case.values:
        if fold(value) not in seen:
            seen.add(fold(value))
            new.append(value)
    return new


def is_sorted(values: list[str]) -> bool:
    return all(a.casefold() <= b.casefold() for a, b in pairwise(values))


@settings(max_examples=200, deadline=None)
@given(cases())
def test_generated_additions_change_only_the_element_and_only_by_the_additions(case: Case) -> None:
    text = case.text
    assert to_python(parse(text)) == json.loads(text)
    edited = add_values(text, case.index, case.element, case.values, source="gen.json")
    before = json.loads(text)
    current = value_at(before, case.path)
    existing = [current] if isinstance(current, str) else current
    new = expected_new(case, existing)
    if not new:
        assert edited == text
        return
    after = json.loads(edited)
    grown = value_at(after, case.path)
    assert isinstance(grown, list)
    # the existing values keep their order, and the rest are exactly the new ones
    remaining = iter(grown)
    assert all(any(value == item for item in remaining) for value in existing)
    extras = list(grown)
    for value in existing:
        extras.remove(value)
    assert extras == (sorted(new, key=str.casefold) if is_sorted(existing) else new)
    if is_sorted(existing):
        assert is_sorted(grown)
    value_at(before, case.path[:-1])[case.path[-1]] = grown
    assert after == before
    # the text around the element is untouched, and the edit speaks the file's dialect
    start, end = case.span
    assert edited[:start] == text[:start]
    assert edited[len(edited) - (len(text) - end) :] == text[end:]
    if case.form.newline == "\r\n":
        assert edited.count("\n") == edited.count("\r\n")
    else:
        assert "\r" not in edited
    if case.form.compact:
        assert edited.count("\n") == text.count("\n")
    for line in changed_lines(text, edited)[1]:
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        assert indent.replace(case.form.indent, "") == ""
    if isinstance(current, list) and "\n" in text[start:end]:
        assert_minimal_diff(text, edited)
    assert add_values(edited, case.index, case.element, case.values) == edited


# --- the public example SCPs ---------------------------------------------------------------

REGION_FILE = (
    "service-control-policy-examples/Region-controls/"
    "Deny-access-to-AWS-based-on-the-requested-AWS-region.json"
)
HIPAA_FILE = (
    "landing-zone-accelerator-on-aws/reference/sample-configurations/"
    "lza-sample-config-us-slg-central-it/service-control-policies/scp-hlc-hipaa-service.json"
)


def test_region_guard_of_the_examples_gets_a_global_service_and_a_region(shared_data: Path) -> None:
    text = (shared_data / REGION_FILE).read_text(encoding="utf-8")
    edited = add_many(
        text,
        [
            (0, "NotAction", ["bedrock:*"]),
            (0, "Condition/StringNotEquals/aws:RequestedRegion", ["us-east-1"]),
        ],
        source=REGION_FILE,
    )
    removed, added = changed_lines(text, edited)
    assert removed == [
        '                "wellarchitected:*"\n',
        '                        "eu-west-1"\n',
    ]
    assert added == [
        '                "wellarchitected:*",\n',
        '                "bedrock:*"\n',
        '                        "eu-west-1",\n',
        '                        "us-east-1"\n',
    ]
    statement = json.loads(edited)["Statement"][0]
    assert statement["NotAction"][-1] == "bedrock:*"
    assert "\t\t \t" in edited  # the trailing whitespace after "Version" stays


def test_hipaa_allow_list_of_157_actions_grows_by_one_line(shared_data: Path) -> None:
    text = (shared_data / HIPAA_FILE).read_text(encoding="utf-8")
    assert len(json.loads(text)["Statement"][0]["NotAction"]) == 157
    edited = add_values(text, 0, "NotAction", ["bedrock:InvokeModel"], source=HIPAA_FILE)
    assert len(json.loads(edited)["Statement"][0]["NotAction"]) == 158
    assert changed_lines(text, edited) == (
        ['                "xray:*"\n'],
        ['                "xray:*",\n', '                "bedrock:InvokeModel"\n'],
    )


EXAMPLE_FOLDERS = [
    "service-control-policy-examples",
    "data-perimeter-policy-examples",
    "landing-zone-accelerator-on-aws",
    "aws-service-control-policies-primeharbor",
]


def statement_list(document: dict[str, Any]) -> list[Any]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def test_every_example_policy_takes_an_addition_to_each_list_with_a_minimal_diff(
    shared_data: Path,
) -> None:
    edits = 0
    for path in sorted(
        p for folder in EXAMPLE_FOLDERS for p in (shared_data / folder).rglob("*.json")
    ):
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if not isinstance(document, dict) or "Statement" not in document:
            continue
        for index, statement in enumerate(statement_list(document)):
            for element in ("Action", "NotAction", "Resource"):
                current = statement.get(element)
                if not isinstance(current, list) or not current:
                    continue
                edited = add_values(text, index, element, ["zzztest:Action"], source=str(path))
                removed, added = changed_lines(text, edited)
                if removed and "[" in removed[0]:  # an inline list: its one line grows
                    assert len(removed) == 1
                    assert added[0].startswith(removed[0][: removed[0].index("[") + 1])
                else:
                    assert_minimal_diff(text, edited)
                grown = [*current, "zzztest:Action"]
                expected = sorted(grown, key=str.casefold) if is_sorted(current) else grown
                assert statement_list(json.loads(edited))[index][element] == expected
                edits += 1
    assert edits == 186


def test_positions_parser_agrees_with_json_loads_on_every_example_file(shared_data: Path) -> None:
    checked = 0
    for path in sorted(
        p for folder in EXAMPLE_FOLDERS for p in (shared_data / folder).rglob("*.json")
    ):
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        try:
            expected = json.loads(text)
        except ValueError:
            with pytest.raises(JsonSyntaxError, match=r"^line \d+ column \d+: "):
                parse(text)
            continue
        assert to_python(parse(text)) == expected, path
        checked += 1
    assert checked == 112
