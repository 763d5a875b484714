"""Strings from CloudTrail, shown as data: one escaping function per output kind.

Callers write part of what CloudTrail records (resource and session names, and through them
messages; event names and sources arrive as sent when a call is malformed), and the report shows
those strings to the people who approve SCP changes. Every value that did not come from the
project itself goes through `terminal_text` (the terminal table, lines on standard error) or
`markdown_code` (every table cell and inline value of the pull request description and the
evidence file) before it is shown.

Both start from `visible`: a character that is not seen, or that moves or hides other text, is
written as its escape (`\\u202e`), so that a reviewer sees that it is there and where.
"""

import re
import unicodedata
from functools import lru_cache

# Unicode categories nobody should receive unseen: controls (NUL, ESC that starts terminal
# escape sequences, newlines that would end a table row), format characters (the bidi controls
# of "Trojan Source" that reorder what is displayed, zero-width spaces and joiners, the BOM),
# line and paragraph separators, surrogates, private use, and unassigned code points (which a
# newer Unicode than Python's may make a control).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Default-ignorable code points (Unicode's DerivedCoreProperties.txt) outside those categories:
# fillers and selectors that render as nothing.
_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_BACKTICKS = re.compile(r"`+")
# GitHub Actions reads a log line that starts with `::` (after its leading spaces) as a workflow
# command (`::error::`, `::add-mask::`, `::stop-commands::`); a wrapped line starts with a word.
_WORKFLOW_COMMAND = re.compile(r"(?<!\S)::")


@lru_cache(maxsize=4096)
def _escape_char(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    point = ord(char)
    category = unicodedata.category(char)
    hidden = (
        category in _HIDDEN_CATEGORIES
        # spaces other than the ASCII one look like it, or like nothing
        or (category == "Zs" and char != " ")
        or any(low <= point <= high for low, high in _IGNORABLE)
    )
    if not hidden:
        return char
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def visible(text: str) -> str:
    """`text` with every hidden or layout-changing character escaped as Python writes it
    (`\\n`, `\\u202e`, `\\U000e0041`), and `\\` doubled so that an escape in the text itself
    cannot pass for one of these."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape_char(char) for char in text)


def terminal_text(text: str) -> str:
    """A value for the terminal (and the job log, where the workflow prints it). Plain text on a
    terminal has no markup, so `|`, backticks and HTML are harmless there; what a terminal acts
    on is control characters (ESC sequences move the cursor, rewrite lines, set the window
    title) and what bidi and zero-width characters hide, which `visible` escapes. The table's
    columns are fixed widths, not separators: no character in a value can shift them, and no
    newline survives. The job log's one markup, a line that starts with `::`, is defused by
    escaping the first colon of any word that starts with two."""
    return _WORKFLOW_COMMAND.sub(lambda _: "\\u003a:", visible(text))


def markdown_code(text: str) -> str:
    """A value for GitHub Markdown, as an inline code span that shows it literally, inside a
    table cell or outside one.

    Inside a code span CommonMark reads no markup: no HTML (`<img>`, `<details>`), no entities,
    links, autolinks or emphasis; and GitHub's reference filters skip code, so `@name` pings
    nobody and `#123` or a commit-like hex string links nothing. Around that:
    - `visible` leaves no newline (which would end the table row) and no hidden character;
    - `|` is written `\\|`: GFM splits a table row at every unescaped `|`, code spans included,
      and removes the backslash again inside the cell (outside a table the backslash shows);
    - backticks in the value are fenced by a longer run of backticks, with a space inside each
      fence where the value starts or ends with a backtick or a space (CommonMark strips one).
    The empty string stays empty: an empty code span would show its backticks.
    """
    if not text:
        return ""
    shown = visible(text).replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    padded = shown[0] in "` " or shown[-1] in "` "
    if padded and not shown.strip(" "):
        padded = False  # a span of spaces only is kept as it is
    pad = " " if padded else ""
    return f"{fence}{pad}{shown}{pad}{fence}"
