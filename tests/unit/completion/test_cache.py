"""The completion LRU and its typed-ahead lookups."""

from __future__ import annotations

from byok_ls.completion.cache import CompletionCache


def test_exact_hit_and_miss() -> None:
    """Same model/prefix/suffix hits; anything else misses."""
    cache = CompletionCache()
    cache.put("m", "x = ", "\n", "compute()")
    assert cache.lookup("m", "x = ", "\n") == "compute()"
    assert cache.lookup("other", "x = ", "\n") is None
    assert cache.lookup("m", "y = ", "\n") is None
    assert cache.lookup("m", "x = ", "\nz") is None


def test_typed_ahead_returns_the_rest() -> None:
    """Typing the start of a suggestion keeps the rest of it without a new request."""
    cache = CompletionCache()
    cache.put("m", "def f():\n    x = ", "\n", "compute(a, b)")
    assert cache.lookup("m", "def f():\n    x = c", "\n") == "ompute(a, b)"
    assert cache.lookup("m", "def f():\n    x = compute(", "\n") == "a, b)"
    # All of it typed: nothing left to suggest.
    assert cache.lookup("m", "def f():\n    x = compute(a, b)", "\n") is None
    # Typed something else, or the suffix changed.
    assert cache.lookup("m", "def f():\n    x = d", "\n") is None
    assert cache.lookup("m", "def f():\n    x = c", "\nnew") is None
    assert cache.lookup("other", "def f():\n    x = c", "\n") is None


def test_typed_ahead_respects_the_whole_short_prefix() -> None:
    """A short cached prefix (start of file) must match exactly, not as a tail."""
    cache = CompletionCache()
    cache.put("m", "", "", "import os")
    assert cache.lookup("m", "im", "") == "port os"
    assert cache.lookup("m", "x = im", "") is None


def test_typed_ahead_with_long_prefix_uses_the_tail() -> None:
    """Beyond the key length only the prefix tail is compared."""
    cache = CompletionCache(prefix_chars=10)
    cache.put("m", "A" * 50 + "value = ", "", "42")
    assert cache.lookup("m", "B" * 50 + "AAvalue = 4", "") == "2"


def test_lru_evicts_least_recently_used() -> None:
    """Past max_entries, the oldest untouched entry goes."""
    cache = CompletionCache(max_entries=2)
    cache.put("m", "a", "", "1")
    cache.put("m", "b", "", "2")
    assert cache.lookup("m", "a", "") == "1"  # refresh "a"
    cache.put("m", "c", "", "3")
    assert cache.lookup("m", "b", "") is None
    assert cache.lookup("m", "a", "") == "1"
    assert cache.lookup("m", "c", "") == "3"


def test_empty_completions_are_not_stored() -> None:
    """An empty answer is not worth remembering (the next request may do better)."""
    cache = CompletionCache()
    cache.put("m", "a", "", "")
    assert cache.lookup("m", "a", "") is None
