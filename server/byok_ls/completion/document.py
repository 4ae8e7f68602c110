"""Turning an LSP position into the document's prefix and suffix."""

from __future__ import annotations

import re

_EOL = re.compile(r"\r\n|\r|\n")


def _line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """Start and end (before the line break) of ``line``, or None past the last line."""
    if "\r" not in text:
        # Fast path for the usual "\n" documents: str.find runs in C.
        start = 0
        for _ in range(line):
            nl = text.find("\n", start)
            if nl < 0:
                return None
            start = nl + 1
        end = text.find("\n", start)
        return start, len(text) if end < 0 else end
    # LSP also ends lines at "\r\n" and a lone "\r".
    start = 0
    index = 0
    for m in _EOL.finditer(text):
        if index == line:
            return start, m.start()
        start = m.end()
        index += 1
    return (start, len(text)) if index == line else None


def _utf16_to_index(line_text: str, character: int) -> int:
    """The str index of a UTF-16 offset within a line, clamped to the line's end.

    An offset inside a surrogate pair rounds down so an astral character is never split.
    """
    if character <= 0:
        return 0
    if line_text.isascii() or max(line_text) <= "\uffff":
        return min(character, len(line_text))
    units = 0
    for i, ch in enumerate(line_text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > character:
            return i
    return len(line_text)


def _utf8_to_index(line_text: str, character: int) -> int:
    """The str index of a UTF-8 byte offset within a line, clamped to the line's end.

    An offset inside a multi-byte character rounds down so no character is split.
    """
    if character <= 0:
        return 0
    if line_text.isascii():
        return min(character, len(line_text))
    units = 0
    for i, ch in enumerate(line_text):
        units += len(ch.encode("utf-8", "surrogatepass"))
        if units > character:
            return i
    return len(line_text)


def split_at(text: str, line: int, character: int, encoding: str = "utf-16") -> tuple[str, str]:
    """Prefix and suffix of ``text`` at an LSP position.

    ``character`` counts code units of the negotiated position encoding: "utf-16" (the LSP
    default), "utf-8" or "utf-32". A character past the end of its line clamps to the line
    end; a line past the end of the document clamps to the end of the document, as the LSP
    specification asks.
    """
    if line < 0:
        return "", text
    bounds = _line_bounds(text, line)
    if bounds is None:
        return text, ""
    start, end = bounds
    line_text = text[start:end]
    if encoding == "utf-8":
        index = _utf8_to_index(line_text, character)
    elif encoding == "utf-32":
        index = max(0, min(character, len(line_text)))
    else:
        index = _utf16_to_index(line_text, character)
    cut = start + index
    return text[:cut], text[cut:]


def position_of(text: str, offset: int, encoding: str = "utf-16") -> tuple[int, int]:
    """The LSP position (line, character in ``encoding`` units) of a str index: the
    inverse of :func:`split_at` (an index inside a CR LF line break has none)."""
    before = text[:offset]
    line = 0
    line_start = 0
    for m in _EOL.finditer(before):
        line += 1
        line_start = m.end()
    piece = before[line_start:]
    if encoding == "utf-8":
        return line, len(piece.encode("utf-8"))
    if encoding == "utf-32":
        return line, len(piece)
    return line, len(piece.encode("utf-16-le")) // 2
