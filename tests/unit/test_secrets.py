"""KeyStore: lookup order, hints, no-keyring errors, the opt-in file store."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from byok_ls.errors import ByokError, ErrorKind, scrub, scrub_quoted
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
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyrings.FailingKeyring")
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
    out = scrub_quoted(f"provider said: {piece}… (truncated)", KEY)
    assert piece not in out and "[redacted]" in out
    assert out.startswith("provider said: ") and out.endswith("… (truncated)")


def test_scrub_keeps_runs_shorter_than_eight_and_unrelated_text() -> None:
    text = f"the key ends in {KEY[-4:]}; model gpt-4o said {KEY[3:10]}"
    assert scrub_quoted(text, KEY) == text


# ---- the opt-in key file ---------------------------------------------------------------------


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.mark.usefixtures("no_keyring")
def test_a_leftover_public_temp_file_does_not_make_the_key_file_public(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    for stale in ("keys.json.tmp", f".keys.json.{os.getpid()}.tmp"):
        (tmp_path / stale).write_text("{}")
        os.chmod(tmp_path / stale, 0o644)
    KeyStore(path, use_file_store=True).set("openai", KEY)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert KeyStore(path, use_file_store=True).get("openai") == (KEY, "file")


def _save_keys(path: str, writer: int, count: int) -> None:
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    store = KeyStore(Path(path), use_file_store=True)
    for i in range(count):
        store.set(f"w{writer}-{i}", f"sk-key-{writer}-{i:04d}")


@pytest.mark.usefixtures("no_keyring")
def test_four_processes_saving_keys_lose_none(tmp_path: Path) -> None:
    path, writers, count = tmp_path / "keys.json", 4, 100
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_keys, args=(str(path), w, count)) for w in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    saved = json.loads(path.read_text())
    expected = {f"w{w}-{i}": f"sk-key-{w}-{i:04d}" for w in range(writers) for i in range(count)}
    missing = sorted(set(expected) - set(saved))
    assert not missing, f"{len(missing)} acknowledged keys lost, e.g. {missing[:5]}"
    assert saved == expected
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
