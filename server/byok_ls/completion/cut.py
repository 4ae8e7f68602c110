"""Where an inline completion ends, decided while its tokens arrive.

Single-line mode (text after the cursor on its line) ends at the first newline. Multi-line
mode ends where the cursor's block ends:

* a line that dedents below the cursor's line ends it (the line is not shown);
* a line equal to the next non-blank line after the cursor, indentation included, ends it
  (the model started to repeat the suffix; the line is not shown);
* a later line at the block's indentation that starts with a closing bracket which closes
  what was opened before the cursor ends it, and is shown (``}`` closing the block);
* after a block the cursor's line opened (``def f():``, ``fn f() {``), a line back at the
  opener's indentation ends it (shown only when it is the block's closing bracket);
* at the top level, a new definition after a blank line ends it (not the next function);
* ``max_lines`` lines, or a stop token.

:meth:`Cutter.decide` is called with everything that arrived so far; it answers the text to
show once the end is certain, else None. The caller then closes the upstream stream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Longest multi-line suggestion, in lines.
MAX_LINES = 32
_OPENERS = (":", "{", "(", "[")
_CLOSERS = ")]}"
_PAIRS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
#: Languages whose line comments start with ``#`` (elsewhere ``#`` is code: ``#[derive]``,
#: ``#private``, ``#include``).
_HASH_COMMENTS = frozenset(
    {
        "python",
        "ruby",
        "shellscript",
        "perl",
        "r",
        "yaml",
        "toml",
        "julia",
        "elixir",
        "nim",
        "makefile",
        "dockerfile",
        "coffeescript",
        "powershell",
    }
)
#: Lines that continue the statement the block belongs to (``else:``, ``except E:``).
_CONTINUATION = re.compile(r"(?:else|elif|except|finally|catch|case|default)\b")
_LEADING_SPACE = re.compile(r"[ \t]*")


def hash_comments(language_id: str) -> bool:
    """Whether ``#`` starts a line comment in the language."""
    return language_id in _HASH_COMMENTS


def indent_width(line: str) -> int:
    """Columns of leading whitespace, a tab counting as four."""
    lead = _LEADING_SPACE.match(line)
    assert lead is not None
    return len(lead.group().expandtabs(4))


class Cutter:
    """The cut rules for one cursor position."""

    def __init__(
        self,
        prefix: str,
        suffix: str,
        *,
        multiline: bool,
        stop: Sequence[str] = (),
        language_id: str = "",
        max_lines: int = MAX_LINES,
    ) -> None:
        self.multiline = multiline
        self.stop = tuple(s for s in stop if s)
        self.max_lines = max_lines
        self.hash_comments = hash_comments(language_id)
        self.rust = language_id == "rust"
        #: The cursor's line up to the cursor.
        self.head = prefix[prefix.rfind("\n") + 1 :]
        self.suffix = suffix
        lead = _LEADING_SPACE.match(suffix)
        assert lead is not None
        start = lead.end()
        # Only the start of the suffix matters; slicing keeps huge documents cheap.
        self._suffix_start = suffix[start : start + 4096].lstrip()
        self.next_line = _next_line(suffix)

    # ---- the decision ------------------------------------------------------------------

    def decide(self, raw: str, *, final: bool = False, truncated: bool = False) -> str | None:
        """The text to show, or None while the end is not certain yet.

        ``final``: the stream ended. ``truncated``: it ended at max_tokens, so its last line
        may be cut mid-way and is dropped (in multi-line mode, when other lines exist).
        """
        text, stopped = self._cut_at_stop(raw)
        final = final or stopped
        if not self.multiline:
            newline = text.find("\n")
            if newline < 0 and not final:
                return None
            return self._line(text if newline < 0 else text[:newline])
        lines = text.split("\n")
        partial = None
        if not final:
            if len(lines) == 1:
                return None
            partial = lines.pop()  # still arriving
        elif truncated and not stopped and len(lines) > 1:
            lines.pop()
        end = self._block_end(lines, partial)
        if end is None:
            if not final:
                return None
            end = len(lines)
        return self._block(lines[:end])

    def needs_check(self, raw: str, delta: str) -> bool:
        """Whether ``delta``, just added to ``raw``, can change the decision: a line ended, a
        stop token may have arrived, or a line got its first non-blank character (which
        tells whether it dedents)."""
        if "\n" in delta or self.stop:
            return True
        if not self.multiline or not delta.strip():
            return False
        line_start = raw.rfind("\n") + 1
        return line_start > 0 and not raw[line_start : len(raw) - len(delta)].strip()

    # ---- helpers -----------------------------------------------------------------------

    def _cut_at_stop(self, text: str) -> tuple[str, bool]:
        cut = -1
        for token in self.stop:
            i = text.find(token, 0, cut if cut >= 0 else len(text))
            if i >= 0:
                cut = i
        return (text, False) if cut < 0 else (text[:cut], True)

    def _line(self, text: str) -> str:
        text = text.rstrip()
        if not text.strip():
            return ""
        # A completion that is nothing but the text already after the cursor adds nothing.
        if self._suffix_start.startswith(text.strip()):
            return ""
        return _trim_suffix_overlap(text, self.suffix)

    def _block(self, lines: list[str]) -> str:
        text = "\n".join(lines).rstrip()
        return text if text.strip() else ""

    def _block_end(self, lines: list[str], partial: str | None = None) -> int | None:
        """How many of the complete ``lines`` are shown, or None when the block goes on.

        ``partial`` is the line still arriving: its first non-blank character already says
        whether it dedents out of the block.
        """
        cursor_line = self.head + lines[0]
        if cursor_line.strip() and cursor_line.rstrip() == self.next_line:
            return 0
        depth, _ = self._brackets(lines[0])
        # A closing bracket at the cursor (``}``, ``})``) ends the block the cursor was in;
        # what follows at the same indentation is its parent block's, which goes on.
        closed = depth < 0
        depth = max(depth, 0)
        base = indent_width(cursor_line if cursor_line.strip() else self.head)
        # Only an opener the user typed makes the block the cursor's; one the model wrote
        # opens a statement inside the cursor's block.
        opens = bool(self.head.strip()) and cursor_line.rstrip().endswith(_OPENERS)
        open_depth = depth
        deeper = opens or closed
        blank_before = False
        shown = 1
        for i in range(1, len(lines)):
            line = lines[i]
            if not line.strip():
                blank_before = True
                continue
            width = indent_width(line)
            if line.rstrip() == self.next_line or width < base:
                return i
            change, closes = self._brackets(line)
            body = line.lstrip()
            if width == base and not _CONTINUATION.match(body.lstrip(_CLOSERS + " ")):
                if closes and (depth <= 0 or (opens and depth + change < open_depth)):
                    return i + 1  # the block's own closing bracket
                if opens and not closes:
                    return i  # the next statement after the block the cursor opened
                if deeper and blank_before and base == 0:
                    return i  # a new top-level definition after this one
            depth += change
            deeper = deeper or width > base
            blank_before = False
            shown = i + 1
            if shown >= self.max_lines:
                return shown
        if partial is not None and partial.strip() and indent_width(partial) < base:
            return len(lines)
        return None

    def _brackets(self, line: str) -> tuple[int, bool]:
        return brackets(line, hash_comments=self.hash_comments, rust=self.rust)


def brackets(line: str, *, hash_comments: bool = False, rust: bool = False) -> tuple[int, bool]:
    """Bracket balance of ``line`` outside strings and comments, and whether it starts with
    a closing bracket."""
    body = line.lstrip()
    depth = 0
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c in _PAIRS:
            depth += _PAIRS[c]
        elif c in '"`' or (c == "'" and not (rust and _lifetime(body, i))):
            end = _string_end(body, i)
            if end < 0:
                break
            i = end
        elif (c == "#" and hash_comments) or body.startswith("//", i):
            break
        i += 1
    return depth, body[:1] in tuple(_CLOSERS) and body != ""


def _lifetime(text: str, i: int) -> bool:
    """A Rust lifetime (``'a``) rather than a character literal (``'a'``, ``'\\n'``)."""
    if text.startswith("\\", i + 1):
        return False
    return not text.startswith("'", i + 2)


def _string_end(text: str, start: int) -> int:
    """Index of the quote closing the string that opens at ``start``, or -1."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i
        i += 1
    return -1


def _next_line(suffix: str) -> str | None:
    """The first non-blank line after the cursor's line, without trailing whitespace."""
    start = suffix.find("\n") + 1
    while start > 0:
        end = suffix.find("\n", start)
        line = suffix[start:] if end < 0 else suffix[start:end]
        if line.strip():
            return line.rstrip()
        start = end + 1
    return None


def _trim_suffix_overlap(text: str, suffix: str) -> str:
    """Drop the longest end of ``text`` that the text after the cursor already starts with.

    ``foo()`` before ``)`` becomes ``foo(``: accepting it must not double the bracket.
    """
    for k in range(min(len(text), len(suffix)), 0, -1):
        if text.endswith(suffix[:k]):
            return text[:-k]
    return text
