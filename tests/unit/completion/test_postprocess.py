"""Cleaning raw completions."""

from __future__ import annotations

import pytest

from byok_ls.completion.postprocess import multiline_for, postprocess

STOP = ("<|endoftext|>", "<fim_middle>")


def pp(text: str, suffix: str = "", *, multiline: bool | None = None, prefix: str = "") -> str:
    if multiline is None:
        multiline = multiline_for(prefix, suffix)
    return postprocess(text, prefix=prefix, suffix=suffix, stop=STOP, multiline=multiline)


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [("", True), ("\nmore", True), ("   \nmore", True), (")\n", False), ("  x", False)],
)
def test_multiline_only_at_end_of_line(suffix: str, expected: bool) -> None:
    """Text after the cursor on its line means single-line mode."""
    assert multiline_for("x = ", suffix) is expected


def test_cut_at_first_stop_token() -> None:
    """Whichever stop token comes first ends the completion."""
    assert pp("a + b<fim_middle>junk<|endoftext|>") == "a + b"
    assert pp("a<|endoftext|>b<fim_middle>") == "a"


def test_single_line_mode_keeps_the_first_line() -> None:
    """Mid-line, only the rest of the line is suggested."""
    assert pp("a, b\n    more()\n", suffix=")\n") == "a, b"


def test_multi_line_mode_keeps_lines() -> None:
    """At the end of a line, a block is fine."""
    assert pp("if x:\n    return 1\n", suffix="\n") == "if x:\n    return 1"


def test_overlap_with_suffix_is_trimmed() -> None:
    """``foo()`` before ``)`` becomes ``foo(``."""
    assert pp("foo()", suffix=")") == "foo("
    assert pp('get("k")', suffix='")\n') == 'get("k'


def test_completion_that_only_repeats_the_suffix_is_dropped() -> None:
    """Suggesting what is already after the cursor is no suggestion."""
    assert pp(")", suffix=")") == ""
    # Lines are compared with their indentation: the cursor is at the next line's column.
    assert pp("return x", suffix="\n    return x\n", prefix="def f():\n    ") == ""


def test_repeated_closing_lines_are_dropped() -> None:
    """A block closer that the suffix already has is not doubled."""
    assert pp("if (x) {\n  y();\n}", suffix="\n}\n", multiline=True) == "if (x) {\n  y();"


@pytest.mark.parametrize("raw", ["", "   ", "\n\n", "<|endoftext|>", "  <fim_middle>x"])
def test_empty_results(raw: str) -> None:
    """Nothing useful gives ""."""
    assert pp(raw) == ""


def test_trailing_whitespace_is_trimmed_and_leading_kept() -> None:
    """Leading indentation matters; trailing blanks do not."""
    assert pp("    x = 1   \n\n", multiline=True) == "    x = 1"


def test_single_line_starting_with_newline_is_empty() -> None:
    """Mid-line, a completion that starts a new line has nothing for this line."""
    assert pp("\nfoo()", suffix="bar") == ""
