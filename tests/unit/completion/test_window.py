"""Cutting prefix/suffix to a token budget."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byok_ls.completion.tokens import EstimateCounter, TokenCounter, TokenizerCounter, load
from byok_ls.completion.window import cut_context

from .conftest import TOKENIZER_JSON

_REAL = load(str(TOKENIZER_JSON))
_LINE = st.text(alphabet=st.sampled_from("abc xy_():=\t中😀"), max_size=30)
_LINES = st.lists(_LINE, max_size=40).map(lambda ls: "".join(line + "\n" for line in ls))


class CharCounter:
    """One token per character: makes expected cuts easy to compute by hand."""

    estimated = False

    def count(self, text: str) -> int:
        return len(text)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(t) for t in texts]


def _cursor_line(prefix: str, suffix: str) -> tuple[str, str]:
    nl = suffix.find("\n")
    return prefix[prefix.rfind("\n") + 1 :], suffix if nl < 0 else suffix[: nl + 1]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    head=_LINES,
    cursor_pre=_LINE,
    cursor_suf=_LINE,
    tail=_LINES,
    budget=st.integers(0, 400),
    share=st.floats(0.0, 1.0),
    real=st.booleans(),
)
def test_window_properties(
    head: str,
    cursor_pre: str,
    cursor_suf: str,
    tail: str,
    budget: int,
    share: float,
    real: bool,
) -> None:
    """Always fits; cuts on lines and keeps the cursor line whole when that line fits (else
    cuts within it, around the cursor); keeps the prefix end and the suffix start."""
    counter: TokenCounter = _REAL if real else EstimateCounter()
    prefix = head + cursor_pre
    suffix = cursor_suf + ("\n" + tail if tail else "")
    w = cut_context(prefix, suffix, counter, budget, prefix_share=share)

    assert prefix.endswith(w.prefix) and suffix.startswith(w.suffix)
    # Reported counts are exact, and always fit.
    assert w.prefix_tokens == counter.count(w.prefix)
    assert w.suffix_tokens == counter.count(w.suffix)
    assert w.prefix_tokens + w.suffix_tokens <= budget
    pre_line, suf_line = _cursor_line(prefix, suffix)
    if counter.count(pre_line) + counter.count(suf_line) <= budget:
        # Cuts land on line boundaries, and the cursor line is whole.
        assert w.prefix == prefix or prefix[len(prefix) - len(w.prefix) - 1] == "\n"
        assert w.suffix == suffix or w.suffix.endswith("\n")
        assert w.prefix.endswith(pre_line) and w.suffix.startswith(suf_line)
    else:
        # Only the text of the cursor line around the cursor is left.
        assert pre_line.endswith(w.prefix) and suf_line.startswith(w.suffix)
    assert w.truncated == (w.prefix != prefix or w.suffix != suffix)
    assert w.estimated == counter.estimated


def test_everything_fits_unchanged() -> None:
    """A small document is sent whole."""
    w = cut_context("a\nb\nc", "d\ne\n", CharCounter(), 100)
    assert (w.prefix, w.suffix, w.truncated) == ("a\nb\nc", "d\ne\n", False)
    assert (w.prefix_tokens, w.suffix_tokens) == (5, 4)


def test_prefix_gets_its_share_and_keeps_its_end() -> None:
    """With both sides long, the prefix takes ~3/4 of what is left after the cursor line."""
    prefix = "".join(f"p{i}\n" for i in range(100, 200)) + "X"  # 4 chars a line
    suffix = "Y\n" + "".join(f"s{i}\n" for i in range(100, 200))
    w = cut_context(prefix, suffix, CharCounter(), 3 + 40)  # cursor line costs 3
    # 40 left: 30 for the prefix (6 lines of 5), 10 for the suffix (2 lines).
    assert w.prefix == "p194\np195\np196\np197\np198\np199\nX"
    assert w.prefix_tokens == 31
    assert w.suffix == "Y\ns100\ns101\n"
    assert w.truncated


def test_unused_share_flows_to_the_other_side() -> None:
    """A short suffix leaves its share to the prefix, and vice versa."""
    long = "".join(f"l{i}\n" for i in range(100, 200))
    w = cut_context(long + "X", "Y", CharCounter(), 2 + 50)
    assert w.suffix == "Y" and w.prefix_tokens == 51  # 10 lines of 5, plus "X"
    w = cut_context("X", "Y\n" + long, CharCounter(), 3 + 50)
    assert w.prefix == "X" and w.suffix_tokens == 52  # "Y\n" plus 10 lines


def test_cursor_line_alone_over_budget_is_cut_around_the_cursor() -> None:
    """A huge cursor line is cut within the line: the window fits the budget."""
    w = cut_context("a\n" + "x" * 50, "y" * 50 + "\nb", CharCounter(), 12)
    assert (w.prefix, w.suffix) == ("x" * 9, "y" * 3)  # 3/4 of the budget before the cursor
    assert (w.prefix_tokens, w.suffix_tokens) == (9, 3) and w.truncated


def test_a_fifty_megabyte_line_is_cut_without_counting_it_whole() -> None:
    """A minified file (one 50 MB line) costs a window's worth of counting, not the file's."""
    counted: list[int] = []

    class Spy(CharCounter):
        def count(self, text: str) -> int:
            counted.append(len(text))
            return len(text)

        def count_batch(self, texts: Sequence[str]) -> list[int]:
            return [self.count(t) for t in texts]

    line = "a" * 25_000_000
    w = cut_context("x = 1\n" + line, line + "\n", Spy(), 4000)
    assert w.prefix_tokens + w.suffix_tokens <= 4000
    assert w.prefix == "a" * 3000 and w.suffix == "a" * 1000
    assert max(counted) <= 4000 * 64


def test_estimate_is_labelled() -> None:
    """Windows measured without a tokenizer say so."""
    assert cut_context("a", "b", EstimateCounter(), 10).estimated is True
    assert cut_context("a", "b", _REAL, 10).estimated is False


def test_real_tokenizer_large_file_fits_and_uses_most_of_the_budget() -> None:
    """On a 10,000-line file the window fits 8k tokens and wastes little of it."""
    lines = [
        f"    value_{i} = compute(item_{i}, factor={i % 17})  # step {i}\n" for i in range(10_000)
    ]
    prefix, suffix = "".join(lines[:5000]) + "    result = ", "\n" + "".join(lines[5000:])
    w = cut_context(prefix, suffix, _REAL, 8000)
    assert w.prefix_tokens + w.suffix_tokens <= 8000
    assert w.prefix_tokens + w.suffix_tokens > 8000 * 0.85
    assert 0.6 < w.prefix_tokens / (w.prefix_tokens + w.suffix_tokens) < 0.9
    assert isinstance(_REAL, TokenizerCounter)


@pytest.mark.parametrize(
    "budget, prefix, suffix", [(0, "", ""), (1, "", "d"), (2, "c", "d"), (4, "bc", "d\n")]
)
def test_tiny_budgets(budget: int, prefix: str, suffix: str) -> None:
    """Tiny budgets keep what fits of the cursor line, nearest the cursor first."""
    w = cut_context("a\nbc", "d\ne", CharCounter(), budget)
    assert (w.prefix, w.suffix) == (prefix, suffix)


def test_tokenizer_path_fixture_points_at_shipped_file(tokenizer_path: Path) -> None:
    """The shipped tokenizer.json is small enough to keep in the repository."""
    assert tokenizer_path.stat().st_size < 1_000_000
