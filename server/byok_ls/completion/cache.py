"""A small LRU of recent completions, including the "typed ahead" case.

When the user types the first characters of a shown suggestion, the rest of that suggestion
is still right: serving it from here avoids a new request on every keystroke.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

_Key = tuple[str, str, str]

#: How many recent suggestions at the same suffix are tried for the typed-ahead case. The
#: user types into the suggestion just shown; scanning the whole cache on every keystroke
#: cost a tenth of a millisecond for nothing.
TYPED_AHEAD_CANDIDATES = 16


class CompletionCache:
    """Completions keyed by (model, prefix tail, suffix head); least recently used go first."""

    def __init__(
        self, max_entries: int = 256, *, prefix_chars: int = 2000, suffix_chars: int = 500
    ) -> None:
        self.max_entries = max_entries
        self.prefix_chars = prefix_chars
        self.suffix_chars = suffix_chars
        self._entries: OrderedDict[_Key, str] = OrderedDict()
        # Recent keys per (model, suffix head), so the typed-ahead search looks only at
        # suggestions shown at this spot instead of walking the whole cache per keystroke.
        self._recent: dict[tuple[str, str], deque[_Key]] = {}
        self._lock = threading.Lock()

    def _key(self, model: str, prefix: str, suffix: str) -> _Key:
        return model, prefix[-self.prefix_chars :], suffix[: self.suffix_chars]

    def put(self, model: str, prefix: str, suffix: str, completion: str) -> None:
        """Remember a non-empty completion shown at this position."""
        if not completion:
            return
        key = self._key(model, prefix, suffix)
        with self._lock:
            self._entries[key] = completion
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            spot = (key[0], key[2])
            recent = self._recent.get(spot)
            if recent is None:
                if len(self._recent) >= 4 * self.max_entries:
                    self._rebuild_recent()
                recent = self._recent[spot] = deque(maxlen=TYPED_AHEAD_CANDIDATES)
            if key in recent:
                recent.remove(key)
            recent.append(key)

    def lookup(self, model: str, prefix: str, suffix: str) -> str | None:
        """The completion for this position, or the untyped rest of an earlier suggestion."""
        key = self._key(model, prefix, suffix)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
            # Newest first: the suggestion just shown is the likeliest to be typed into.
            for cached in reversed(self._recent.get((model, key[2]), ())):
                completion = self._entries.get(cached)
                if completion is None:
                    continue  # evicted since
                rest = _typed_ahead(prefix, cached[1], completion, self.prefix_chars)
                if rest is not None:
                    self._entries.move_to_end(cached)
                    return rest
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._recent.clear()

    def _rebuild_recent(self) -> None:
        self._recent.clear()
        for key in self._entries:
            recent = self._recent.setdefault((key[0], key[2]), deque(maxlen=TYPED_AHEAD_CANDIDATES))
            recent.append(key)


def _typed_ahead(prefix: str, cached_prefix: str, completion: str, prefix_chars: int) -> str | None:
    """The rest of ``completion`` if ``prefix`` = cached prefix + its first k characters.

    k runs from 1 to len-1: having typed all of it leaves nothing to suggest. A cached prefix
    shorter than the key length was the whole document start, so it must match exactly.
    """
    whole = len(cached_prefix) < prefix_chars
    last = prefix[-1:] if prefix else ""
    for k in range(1, min(len(completion), len(prefix) + 1)):
        # Cheap filter first: the last typed character must be completion[k-1].
        if completion[k - 1] != last:
            continue
        typed = completion[:k]
        if not prefix.endswith(typed):
            continue
        before = prefix[: len(prefix) - k]
        if (before == cached_prefix) if whole else before.endswith(cached_prefix):
            return completion[k:]
    return None
