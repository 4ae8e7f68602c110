"""Cleaning a raw model completion before it is shown as ghost text."""

from __future__ import annotations

from collections.abc import Iterable


def multiline_for(prefix: str, suffix: str) -> bool:
    """Whether a multi-line completion makes sense at the cursor.

    Mid-line (non-blank text after the cursor on its line) only the rest of the line is
    wanted; a multi-line block there would push that text down in a broken position.
    """
    del prefix  # part of the signature so heuristics on the line before can be added
    rest_of_line = suffix.split("\n", 1)[0]
    return not rest_of_line.strip()


def _cut_at_stop(text: str, stop: Iterable[str]) -> str:
    cut = len(text)
    for token in stop:
        if token:
            i = text.find(token, 0, cut)
            if i >= 0:
                cut = i
    return text[:cut]


def _trim_suffix_overlap(text: str, suffix: str) -> str:
    """Drop the longest end of ``text`` that the text after the cursor already starts with.

    ``foo()`` before ``)`` becomes ``foo(``: accepting it must not double the bracket.
    """
    for k in range(min(len(text), len(suffix)), 0, -1):
        if text.endswith(suffix[:k]):
            return text[:-k]
    return text


def _trim_repeated_lines(text: str, suffix: str) -> str:
    """Drop trailing whole lines that repeat the next non-blank lines of the suffix.

    Models often close a block that the suffix already closes (a lone ``}`` or ``end``).
    """
    next_lines = [line.strip() for line in suffix.split("\n") if line.strip()]
    lines = text.split("\n")
    best = 0
    for n in range(1, min(len(lines) - 1, len(next_lines)) + 1):
        tail = [line.strip() for line in lines[-n:]]
        if tail == next_lines[:n]:
            best = n
    return "\n".join(lines[:-best]) if best else text


def postprocess(
    text: str, *, prefix: str, suffix: str, stop: Iterable[str], multiline: bool
) -> str:
    """The part of a raw completion worth inserting at the cursor ("" when none is)."""
    del prefix  # reserved for prefix-aware fixes; the suffix drives today's trimming
    text = _cut_at_stop(text, stop)
    if not multiline:
        text = text.split("\n", 1)[0]
    text = text.rstrip()
    if not text.strip():
        return ""
    # A completion that is nothing but the text already after the cursor adds nothing.
    if suffix.lstrip().startswith(text.strip()):
        return ""
    text = _trim_suffix_overlap(text, suffix)
    if multiline:
        text = _trim_repeated_lines(text, suffix).rstrip()
    return text if text.strip() else ""
