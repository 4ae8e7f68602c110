"""Cutting the prefix and suffix around the cursor to fit the model's context.

Only the lines near the cursor are tokenized, in batches that grow as needed, so the cost
follows the size of the window rather than the size of the file. Per-line counts pick the
cut; one exact count of the final prefix and suffix then confirms (or corrects) the fit,
because BPE merges across line breaks make a sum of per-line counts slightly off.
"""

from __future__ import annotations

from dataclasses import dataclass

from byok_ls.completion.tokens import TokenCounter

# First guess of characters per token for sizing a batch, on the low side for code so the
# first batch rarely reads far more lines than fit; refined from what was measured.
_INITIAL_CHARS_PER_TOKEN = 3.0
# Read a little more than the guess so one batch usually suffices.
_OVERREAD = 1.1
_MIN_BATCH_CHARS = 512


@dataclass(frozen=True)
class Window:
    """The context sent to the model and what it costs."""

    prefix: str
    suffix: str
    prefix_tokens: int
    suffix_tokens: int
    estimated: bool
    truncated: bool


def _split_lines(chunk: str) -> list[str]:
    """Lines of a chunk that ends at a line boundary, each keeping its "\\n"."""
    parts = chunk.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class _Side:
    """Whole lines read outward from the cursor, measured lazily in batches."""

    def __init__(self, text: str, counter: TokenCounter, *, backward: bool) -> None:
        self._text = text
        self._counter = counter
        self._backward = backward
        self._pos = len(text) if backward else 0  # next unread line boundary
        self.lines: list[str] = []  # nearest to the cursor first
        self.counts: list[int] = []
        self._chars = 0
        self._tokens = 0

    @property
    def exhausted(self) -> bool:
        return self._pos == (0 if self._backward else len(self._text))

    def _read(self, chars: int) -> list[str]:
        text, pos = self._text, self._pos
        if self._backward:
            start = max(0, pos - chars)
            start = text.rfind("\n", 0, start) + 1 if start > 0 else 0
            self._pos = start
            return _split_lines(text[start:pos])[::-1]
        end = min(len(text), pos + chars)
        nl = text.find("\n", end - 1)
        end = len(text) if nl < 0 else nl + 1
        self._pos = end
        return _split_lines(text[pos:end])

    def _measure_more(self, want_tokens: int) -> None:
        ratio = self._chars / self._tokens if self._tokens else _INITIAL_CHARS_PER_TOKEN
        lines = self._read(max(_MIN_BATCH_CHARS, int(want_tokens * ratio * _OVERREAD)))
        counts = self._counter.count_batch(lines)
        self.lines.extend(lines)
        self.counts.extend(counts)
        self._chars += sum(map(len, lines))
        self._tokens += sum(counts)

    def take(self, allowance: int) -> tuple[int, int]:
        """How many lines from the cursor fit in ``allowance`` tokens, and their cost."""
        n = used = 0
        while True:
            while n < len(self.counts):
                if used + self.counts[n] > allowance:
                    return n, used
                used += self.counts[n]
                n += 1
            if self.exhausted or used >= allowance:
                return n, used
            self._measure_more(allowance - used)

    def text(self, n: int) -> str:
        """The first ``n`` lines in document order."""
        kept = self.lines[:n]
        return "".join(reversed(kept) if self._backward else kept)

    def complete(self, n: int) -> bool:
        return n == len(self.lines) and self.exhausted


def cut_context(
    prefix: str,
    suffix: str,
    counter: TokenCounter,
    budget_tokens: int,
    prefix_share: float = 0.75,
) -> Window:
    """Prefix and suffix cut on line boundaries to fit ``budget_tokens``.

    The prefix keeps its end and the suffix its start; the cursor line (last prefix line and
    first suffix line) is always kept whole, even when it alone exceeds the budget. The
    prefix gets ``prefix_share`` of what the cursor line leaves, and whatever one side does
    not use goes to the other.
    """
    head_end = prefix.rfind("\n") + 1
    cursor_pre = prefix[head_end:]
    nl = suffix.find("\n")
    tail_start = len(suffix) if nl < 0 else nl + 1
    cursor_suf = suffix[:tail_start]
    before = _Side(prefix[:head_end], counter, backward=True)
    after = _Side(suffix[tail_start:], counter, backward=False)

    cursor_pre_tokens, cursor_suf_tokens = counter.count_batch([cursor_pre, cursor_suf])
    remaining = max(0, budget_tokens - cursor_pre_tokens - cursor_suf_tokens)
    n_before, used_before = before.take(int(remaining * prefix_share))
    n_after, used_after = after.take(remaining - used_before)
    n_before, used_before = before.take(remaining - used_after)

    while True:
        new_prefix = before.text(n_before) + cursor_pre
        new_suffix = cursor_suf + after.text(n_after)
        # Two plain counts: a batch of two long texts gains nothing from the thread pool.
        prefix_tokens, suffix_tokens = counter.count(new_prefix), counter.count(new_suffix)
        over = prefix_tokens + suffix_tokens - budget_tokens
        if over <= 0 or n_before + n_after == 0:
            break
        # Per-line counts undershot the exact total: drop the farthest lines, from the side
        # that is most over its share, until their per-line counts cover the excess.
        prefix_over = prefix_tokens - budget_tokens * prefix_share
        take_from_prefix = n_after == 0 or (n_before > 0 and prefix_over >= 0)
        while over > 0 and (n_before if take_from_prefix else n_after) > 0:
            if take_from_prefix:
                n_before -= 1
                over -= before.counts[n_before]
            else:
                n_after -= 1
                over -= after.counts[n_after]

    return Window(
        prefix=new_prefix,
        suffix=new_suffix,
        prefix_tokens=prefix_tokens,
        suffix_tokens=suffix_tokens,
        estimated=counter.estimated,
        truncated=not (before.complete(n_before) and after.complete(n_after)),
    )
