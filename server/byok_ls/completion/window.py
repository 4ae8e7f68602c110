"""Cutting the prefix and suffix around the cursor to fit the model's context.

Only the lines near the cursor are tokenized, in batches that grow as needed, so the cost
follows the size of the window rather than the size of the file. Per-line counts pick the
cut; one exact count of the final prefix and suffix then confirms (or corrects) the fit,
because BPE merges across line breaks make a sum of per-line counts slightly off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from byok_ls.completion.tokens import TokenCounter
from byok_ls.errors import lone_surrogate

# First guess of characters per token for sizing a batch, on the low side for code so the
# first batch rarely reads far more lines than fit; refined from what was measured.
_INITIAL_CHARS_PER_TOKEN = 3.0
# Read a little more than the guess so one batch usually suffices.
_OVERREAD = 1.1
_MIN_BATCH_CHARS = 512


#: Most characters one token can stand for (long runs of spaces or repeated characters
#: merge into one token in some vocabularies); bounds how much of a line is ever counted.
MAX_CHARS_PER_TOKEN = 64


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


class LoneSurrogate(ValueError):
    """The text around the cursor holds a lone surrogate (``char``)."""

    def __init__(self, char: str) -> None:
        super().__init__(f"lone surrogate U+{ord(char):04X}")
        self.char = char


class _Checked:
    """A counter that refuses text with lone surrogates: every piece of the document the
    window considers is counted first, so only those pieces are ever scanned."""

    def __init__(self, counter: TokenCounter) -> None:
        self._counter = counter
        self.estimated = counter.estimated

    @staticmethod
    def _check(text: str) -> None:
        if found := lone_surrogate(text):
            raise LoneSurrogate(found)

    def count(self, text: str) -> int:
        self._check(text)
        return self._counter.count(text)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        for text in texts:
            self._check(text)
        return self._counter.count_batch(texts)


def _cut_line(
    text: str, counter: TokenCounter, allowance: int, *, keep_end: bool
) -> tuple[str, int]:
    """The longest end (or start) of ``text`` that costs at most ``allowance`` tokens."""
    if allowance <= 0 or not text:
        return "", 0
    whole = counter.count(text)
    if whole <= allowance:
        return text, whole
    lo, hi, best = 0, len(text), ("", 0)  # lo fits, hi does not (lengths in characters)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        piece = text[len(text) - mid :] if keep_end else text[:mid]
        tokens = counter.count(piece)
        if tokens <= allowance:
            lo, best = mid, (piece, tokens)
        else:
            hi = mid
    return best


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
    """Prefix and suffix cut to fit ``budget_tokens``, on line boundaries where possible.

    The prefix keeps its end and the suffix its start. The cursor line (last prefix line and
    first suffix line) is kept whole when it fits; a cursor line that alone exceeds the
    budget (a minified file is one line of megabytes) is cut within the line, around the
    cursor, so the window fits in every case. The prefix gets ``prefix_share`` of what the
    cursor line leaves, and whatever one side does not use goes to the other.
    """
    budget_tokens = max(0, budget_tokens)
    counter = _Checked(counter)
    head_end = prefix.rfind("\n") + 1
    nl = suffix.find("\n")
    tail_start = len(suffix) if nl < 0 else nl + 1
    # Before counting: no token spans more than MAX_CHARS_PER_TOKEN characters, so more
    # than that per budget token can never fit and need not be tokenized at all.
    reach = budget_tokens * MAX_CHARS_PER_TOKEN
    cursor_pre = prefix[max(head_end, len(prefix) - reach) :]
    cursor_suf = suffix[: min(tail_start, reach)]
    before = _Side(prefix[:head_end], counter, backward=True)
    after = _Side(suffix[tail_start:], counter, backward=False)

    cursor_pre_tokens, cursor_suf_tokens = counter.count_batch([cursor_pre, cursor_suf])
    if cursor_pre_tokens + cursor_suf_tokens > budget_tokens:
        suf_allowance = min(cursor_suf_tokens, budget_tokens - int(budget_tokens * prefix_share))
        cursor_pre, cursor_pre_tokens = _cut_line(
            cursor_pre, counter, budget_tokens - suf_allowance, keep_end=True
        )
        cursor_suf, cursor_suf_tokens = _cut_line(
            cursor_suf, counter, budget_tokens - cursor_pre_tokens, keep_end=False
        )
    cursor_cut = len(cursor_pre) < len(prefix) - head_end or len(cursor_suf) < tail_start
    if cursor_cut:
        # Nothing beyond a cut cursor line can be next to the cursor text that is kept.
        return Window(
            prefix=cursor_pre,
            suffix=cursor_suf,
            prefix_tokens=cursor_pre_tokens,
            suffix_tokens=cursor_suf_tokens,
            estimated=counter.estimated,
            truncated=True,
        )
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
