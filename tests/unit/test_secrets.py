"""KeyStore: lookup order, hints, no-keyring errors, the opt-in file store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byok_ls.errors import ByokError, ErrorKind, scrub
from byok_ls.secrets import KeyStore, hint

KEY = "sk-proj-abcdefghijklmnop1234"


def test_hint_shows_only_the_last_four() -> None:
    assert hint(KEY) == "sk-…1234"
    assert hint("short123") == "…t123"
    assert KEY[4:-4] not in hint(KEY)


def test_env_reference_wins_over_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore()
    store.set("openai", KEY)
    monkeypatch.setenv("MY_KEY", "sk-from-env-000000000000")
    assert store.get("openai", "MY_KEY") == ("sk-from-env-000000000000", "env")
    assert store.get("openai") == (KEY, "keyring")
    monkeypatch.delenv("MY_KEY")
    assert store.get("openai", "MY_KEY") == (None, None)


def test_delete_removes_the_key() -> None:
    store = KeyStore()
    store.set("a", KEY)
    store.delete("a")
    assert store.status("a").present is False
    store.delete("a")  # deleting twice is fine


def test_no_keyring_backend_names_both_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    store = KeyStore()
    with pytest.raises(ByokError) as info:
        store.set("a", KEY)
    assert info.value.kind is ErrorKind.KEYRING_UNAVAILABLE
    assert "apiKeyEnv" in info.value.message and "key_file_store" in info.value.message
    assert KEY not in info.value.message


def test_failing_keyring_is_reported_not_crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "byok_ls.secrets.FailingKeyring")
    store = KeyStore()
    assert store.get("a") == (None, None)
    with pytest.raises(ByokError) as info:
        store.set("a", KEY)
    assert info.value.kind is ErrorKind.KEYRING_UNAVAILABLE


def test_opt_in_file_store_is_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    path = tmp_path / "keys.json"
    store = KeyStore(path, use_file_store=True)
    assert store.set("a", KEY) == "file"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert store.get("a") == (KEY, "file")
    store.delete("a")
    assert store.get("a") == (None, None)


def test_keys_with_spaces_are_refused() -> None:
    with pytest.raises(ByokError) as info:
        KeyStore().set("a", "sk- bad")
    assert info.value.field == "apiKey"


def test_scrub_removes_known_and_key_shaped_text() -> None:
    text = f"failed with {KEY} and sk-ant-api03-{'x' * 30} and custom-secret-value"
    out = scrub(text, "custom-secret-value")
    assert KEY not in out and "sk-ant-api03" not in out and "custom-secret-value" not in out


@pytest.mark.parametrize("start, end", [(0, 8), (0, 20), (10, None), (-8, None), (5, 17)])
def test_scrub_removes_any_run_of_eight_characters_of_a_known_key(
    start: int, end: int | None
) -> None:
    piece = KEY[start:end]
    out = scrub(f"provider said: {piece}… (truncated)", KEY)
    assert piece not in out and "[redacted]" in out
    assert out.startswith("provider said: ") and out.endswith("… (truncated)")


def test_scrub_keeps_runs_shorter_than_eight_and_unrelated_text() -> None:
    text = f"the key ends in {KEY[-4:]}; model gpt-4o said {KEY[3:10]}"
    assert scrub(text, KEY) == text
