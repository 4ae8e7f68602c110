"""Token counting with the model's real tokenizer, or a labelled estimate without one.

A tokenizer spec is ``hf://org/repo`` (``tokenizer.json`` from the Hugging Face hub), an
``https://`` URL of a ``tokenizer.json``, or an absolute / ``~`` path to one. Downloads land
in a cache directory once; after that the network is never touched, so completion keeps
working offline. Counters are loaded once per spec and shared.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from byok_ls.errors import ByokError, ErrorKind, invalid
from byok_ls.paths import tokenizers_dir

#: Downloads ``url`` into ``dest`` (atomically) or raises; tests replace it.
Fetcher = Callable[[str, Path], None]

_HF_URL = "https://huggingface.co/{repo}/resolve/main/tokenizer.json"
_FETCH_TIMEOUT_S = 30.0
# Tokens per character of typical source code; used only when no tokenizer is configured.
_CHARS_PER_TOKEN = 3.5


class TokenCounter(Protocol):
    """Counts tokens; ``estimated`` tells callers to label the figure as approximate."""

    @property
    def estimated(self) -> bool: ...

    def count(self, text: str) -> int: ...

    def count_batch(self, texts: Sequence[str]) -> list[int]: ...


class EstimateCounter:
    """A character-based estimate for models without a known tokenizer.

    Non-ASCII text costs more (each extra UTF-8 byte counts half a token) because BPE
    vocabularies trained mostly on English and code split such characters into bytes.
    """

    estimated = True

    def count(self, text: str) -> int:
        if not text:
            return 0
        extra_bytes = 0 if text.isascii() else len(text.encode("utf-8")) - len(text)
        return math.ceil(len(text) / _CHARS_PER_TOKEN + extra_bytes / 2)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [self.count(text) for text in texts]


class TokenizerCounter:
    """Exact counts from a Hugging Face ``tokenizers`` tokenizer."""

    estimated = False

    def __init__(self, tokenizer: Any, source: str) -> None:
        self._tokenizer = tokenizer
        self.source = source
        # encode_batch_fast (tokenizers >= 0.20.2) skips offset tracking, which counting
        # never needs; it is markedly faster on long prompts.
        self._encode_batch = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    def count(self, text: str) -> int:
        if not text:
            return 0
        # Special tokens are not added: the FIM template markers are counted as written.
        return len(self._encode_batch([text], add_special_tokens=False)[0].ids)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def cache_root() -> Path:
    """Where downloaded tokenizers live: ``$BYOK_LS_CACHE_DIR`` or the user cache dir."""
    return tokenizers_dir()


def download(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` through a temporary file, so a failed transfer leaves none."""
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=_FETCH_TIMEOUT_S) as r:
            r.raise_for_status()
            with tmp.open("wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def resolve(spec: str) -> tuple[Path, str | None]:
    """The local file for ``spec`` and the URL to fetch it from when it is missing."""
    if spec.startswith("hf://"):
        repo = spec.removeprefix("hf://").strip("/")
        parts = repo.split("/")
        if len(parts) != 2 or not all(parts) or ".." in parts:
            raise invalid("tokenizer", f"expected hf://<org>/<repo>, got {spec!r}")
        return cache_root() / parts[0] / parts[1] / "tokenizer.json", _HF_URL.format(repo=repo)
    if spec.startswith("https://"):
        digest = hashlib.sha256(spec.encode()).hexdigest()[:32]
        return cache_root() / "url" / digest / "tokenizer.json", spec
    if spec.startswith("http://"):
        raise invalid("tokenizer", f"use https:// for tokenizer URLs, got {spec!r}")
    path = Path(spec).expanduser()
    if not path.is_absolute():
        raise invalid(
            "tokenizer",
            f"expected hf://<org>/<repo>, an https:// URL or an absolute path, got {spec!r}",
        )
    return path, None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _fetch(spec: str, url: str, path: Path, fetcher: Fetcher) -> None:
    where = (
        f"Download it yourself from {url} and place it at {path}, or set the tokenizer to "
        "a local file path."
    )
    if _offline():
        raise ByokError(
            ErrorKind.UNREACHABLE,
            f"tokenizer {spec}: not in the cache and HF_HUB_OFFLINE is set. {where}",
            field="tokenizer",
        )
    try:
        fetcher(url, path)
    except Exception as e:  # any transport or HTTP failure means the same thing to the user
        raise ByokError(
            ErrorKind.UNREACHABLE,
            f"tokenizer {spec}: download failed ({type(e).__name__}: {e}); offline or the "
            f"repository is gated/private. {where}",
            field="tokenizer",
        ) from e
    if not path.is_file():
        raise ByokError(
            ErrorKind.UNREACHABLE,
            f"tokenizer {spec}: download produced no file. {where}",
            field="tokenizer",
        )


def load(spec: str, fetcher: Fetcher | None = None) -> TokenizerCounter:
    """Load the tokenizer for ``spec``, downloading it only when it is not cached."""
    path, url = resolve(spec)
    if not path.is_file():
        if url is None:
            raise ByokError(
                ErrorKind.NOT_FOUND, f"tokenizer {spec}: no such file", field="tokenizer"
            )
        # Looked up at call time so tests can patch ``tokens.download``.
        _fetch(spec, url, path, fetcher or download)
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as e:
        raise ByokError(
            ErrorKind.CONFIG_INVALID,
            f"tokenizer {spec}: {path} is not a valid tokenizer.json ({e}); delete it to "
            "download again or point the tokenizer at another file",
            field="tokenizer",
        ) from e
    return TokenizerCounter(tokenizer, str(path))


_ESTIMATE = EstimateCounter()
_counters: dict[str, TokenCounter] = {}
_spec_locks: dict[str, threading.Lock] = {}
_lock = threading.Lock()


def get_counter(spec: str | None, fetcher: Fetcher | None = None) -> TokenCounter:
    """The shared counter for ``spec``; ``None`` or empty gives the labelled estimate.

    A per-spec lock makes concurrent first requests wait for one load instead of downloading
    the same file twice; failures are not cached, so a later call retries.
    """
    if not spec:
        return _ESTIMATE
    with _lock:
        counter = _counters.get(spec)
        if counter is not None:
            return counter
        spec_lock = _spec_locks.setdefault(spec, threading.Lock())
    with spec_lock:
        with _lock:
            counter = _counters.get(spec)
        if counter is None:
            counter = load(spec, fetcher)
            with _lock:
                _counters[spec] = counter
    return counter


def clear_counters() -> None:
    """Forget loaded counters (tests, or after the user replaces a cached file)."""
    with _lock:
        _counters.clear()
        _spec_locks.clear()
