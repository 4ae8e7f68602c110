"""Shared fixtures for the completion unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from byok_ls import workspace
from byok_ls.completion import tokens

TOKENIZER_JSON = (
    Path(__file__).resolve().parents[2] / "data" / "tokenizers" / "code-bpe" / "tokenizer.json"
)


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets an empty cache dir, no loaded counters, and a network guard."""
    monkeypatch.setenv("BYOK_LS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def no_network(url: str, dest: Path) -> None:
        raise AssertionError(f"unexpected download of {url}")

    monkeypatch.setattr(tokens, "download", no_network)
    tokens.clear_counters()
    workspace.clear_ignore_cache()
    yield
    tokens.clear_counters()
    workspace.clear_ignore_cache()


@pytest.fixture(scope="session")
def tokenizer_path() -> Path:
    return TOKENIZER_JSON
