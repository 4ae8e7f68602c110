"""LSP positions (UTF-16) to prefix/suffix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok_ls.completion.document import split_at

TEXT = "a = 'é'\nb = '中文'\nc = '😀x'\n"


@pytest.mark.parametrize(
    ("line", "character", "prefix"),
    [
        (0, 0, ""),
        (0, 6, "a = 'é"),  # é is one UTF-16 unit
        (1, 7, "a = 'é'\nb = '中文"),  # CJK is one unit each
        (2, 5, "a = 'é'\nb = '中文'\nc = '"),
        (2, 7, "a = 'é'\nb = '中文'\nc = '😀"),  # the emoji is two units
        (2, 8, "a = 'é'\nb = '中文'\nc = '😀x"),
        (2, 6, "a = 'é'\nb = '中文'\nc = '"),  # inside the surrogate pair: not split
        (0, 99, "a = 'é'"),  # past the line end clamps to it
        (3, 0, TEXT),  # the empty last line
        (9, 0, TEXT),  # past the last line clamps to the end
    ],
)
def test_split_at_utf16(line: int, character: int, prefix: str) -> None:
    """Positions count UTF-16 code units and clamp like LSP asks."""
    before, after = split_at(TEXT, line, character)
    assert before == prefix
    assert before + after == TEXT


def test_crlf_and_lone_cr_end_lines() -> None:
    """Windows and old-Mac line endings are line breaks too."""
    assert split_at("ab\r\ncd\ref", 1, 1) == ("ab\r\nc", "d\ref")
    assert split_at("ab\r\ncd\ref", 2, 9) == ("ab\r\ncd\ref", "")
    assert split_at("ab\r\ncd", 0, 5) == ("ab", "\r\ncd")


@given(
    st.text(alphabet=st.sampled_from("ab\n中😀é"), max_size=40),
    st.integers(0, 6),
    st.integers(0, 12),
)
def test_split_is_a_partition(text: str, line: int, character: int) -> None:
    """Prefix + suffix is always the document, and the prefix has at most ``line`` breaks."""
    before, after = split_at(text, line, character)
    assert before + after == text
    assert before.count("\n") <= line
