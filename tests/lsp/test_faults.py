"""Faults around the real server: a provider that breaks, a config file that is deleted,
unwritable, garbage or locked, a keyring that raises and a usage database that is locked.

After each fault the server must answer with the right error kind within the fault's
timeout, keep serving the next request, and lose no configuration.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import sqlite3
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from filelock import FileLock

from byok_ls.config.store import ConfigStore
from tests.fakes import FakeServer, Reply
from tests.hostile_yaml import HOSTILE
from tests.lsp.editor import FAULT_KEY as KEY
from tests.lsp.editor import (
    RawServer,
    Session,
    chat,
    complete,
    generation_requests,
    open_document,
    rss_kib,
    server_pid,
    start,
    stop_session,
    use_openai,
    wait_until,
    write_settings,
)

FAKE_ANSWER = "Hello from the fake."
FAKE_COMPLETION = "return a + b"
#: settings.read_timeout_s for the fault tests; the default (60 s) would outlast the waits.
READ_TIMEOUT_S = 1
#: How long any answer may take here: the read timeout plus generous slack for a slow CI
#: machine. A server that ignored read_timeout_s (60 s) or hung would exceed it.
ANSWER_WITHIN_S = 15
#: How long a save waits for another process's config lock before answering `conflict`.
LOCK_TIMEOUT_S: float = inspect.signature(ConfigStore).parameters["lock_timeout_s"].default


@pytest_asyncio.fixture
async def lsp(isolated_dirs: dict[str, Path]) -> AsyncIterator[Session]:
    write_settings(isolated_dirs["config"], read_timeout_s=READ_TIMEOUT_S)
    session = await start()
    yield session
    await stop_session(session)


async def error_of(coro: Any, within_s: float = ANSWER_WITHIN_S) -> Any:
    """Await a request that must fail in time; return the JSON-RPC error."""
    from pygls.exceptions import JsonRpcException

    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(coro, within_s)
    return info.value


def assert_kind(err: Any, kind: str, model: str) -> None:
    assert err.data is not None and err.data["kind"] == kind, (err.message, err.data)
    assert err.data["providerId"] == "openai" and err.data["model"] == model, err.data
    assert "OpenAI" in err.message, err.message
    assert KEY not in err.message and KEY not in repr(err.data)


async def providers_snapshot(lsp: Session) -> list[tuple[str, str, bool]]:
    listed = await lsp.request("byok/providers/list", {})
    return [(p["id"], p["baseUrl"], p["key"]["present"]) for p in listed["providers"]]


# ---- provider faults -------------------------------------------------------------------------

CHAT_FAULTS = [
    pytest.param(Reply(reset_after=2, chunks=5), "bad_response", id="reset-mid-stream"),
    pytest.param(Reply(stall_after=1, chunks=5), "timeout", id="stall"),
    # An SSE event whose data is not JSON (a line without a colon would be a valid,
    # ignorable SSE field, so the garbage is framed as data).
    pytest.param(
        Reply(garbage=b"data: {\x00\xff not json\n\n", garbage_after=1),
        "bad_response",
        id="garbage",
    ),
    pytest.param(Reply(close_before_headers=True), "bad_response", id="close-before-headers"),
]


@pytest.mark.parametrize(("reply", "kind"), CHAT_FAULTS)
async def test_chat_fault_is_reported_and_the_next_chat_works(
    lsp: Session,
    openai_fake: FakeServer,
    isolated_dirs: dict[str, Path],
    reply: Reply,
    kind: str,
) -> None:
    await use_openai(lsp, openai_fake)
    config = isolated_dirs["config"] / "config.yaml"
    before, providers = config.read_bytes(), await providers_snapshot(lsp)
    openai_fake.queue(reply)

    err = await error_of(chat(lsp, chatId="faulty"))

    assert_kind(err, kind, "gpt-4o-mini")
    # The upstream request was given up, not left open.
    await openai_fake.wait_for_async(lambda rs: all(r.finished for r in rs), timeout=5)
    if reply.reset_after is not None:
        # What streamed before the reset is handed back, in order.
        assert err.data["partial"]["content"] == FAKE_ANSWER[: len(err.data["partial"]["content"])]
        assert err.data["partial"]["content"]
    answer = await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S)
    assert answer["content"] == FAKE_ANSWER
    assert len(generation_requests(openai_fake)) == 2  # no hidden retries of a broken stream
    assert config.read_bytes() == before
    assert await providers_snapshot(lsp) == providers


async def test_ten_megabyte_chat_answer_arrives_whole(
    lsp: Session, openai_fake: FakeServer
) -> None:
    await use_openai(lsp, openai_fake)
    size = 10 * 1024 * 1024
    openai_fake.queue(Reply(text="0123456789abcdef", huge_bytes=size, chunks=40))
    answer = await asyncio.wait_for(chat(lsp, chatId="huge"), 60)
    expected = ("0123456789abcdef" * (size // 16 + 1))[:size]
    assert len(answer["content"]) == size and answer["content"] == expected
    streamed = "".join(d.get("text") or "" for d in lsp.received("byok/chat/delta"))
    assert streamed == expected
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER


COMPLETION_FAULTS = [
    pytest.param(Reply(reset_after=1), "bad_response", id="reset-mid-body"),
    pytest.param(Reply(stall_after=1), "timeout", id="stall"),
    # Completions are streamed too, so the garbage is framed as SSE data as for chat.
    pytest.param(
        Reply(garbage=b"data: {\x00\xff not json\n\n", garbage_after=1),
        "bad_response",
        id="garbage",
    ),
    pytest.param(Reply(close_before_headers=True), "bad_response", id="close-before-headers"),
]


@pytest.mark.parametrize(("reply", "kind"), COMPLETION_FAULTS)
async def test_completion_fault_is_reported_and_the_server_keeps_serving(
    lsp: Session,
    openai_fake: FakeServer,
    isolated_dirs: dict[str, Path],
    reply: Reply,
    kind: str,
) -> None:
    await use_openai(lsp, openai_fake)
    config = isolated_dirs["config"] / "config.yaml"
    before = config.read_bytes()
    open_document(lsp, "def add(a, b):\n    \n")
    openai_fake.queue(reply)

    err = await error_of(complete(lsp, 1, 4))

    assert_kind(err, kind, "gpt-3.5-turbo-instruct")
    await openai_fake.wait_for_async(lambda rs: all(r.finished for r in rs), timeout=5)
    if kind == "timeout":
        # Completion backs off after a timeout instead of hammering the provider on every
        # keystroke: the next one is answered at once, with the same kind, upstream untouched.
        again = await error_of(complete(lsp, 1, 4))
        assert again.data["kind"] == "timeout" and "skipped" in again.message
        assert len(generation_requests(openai_fake)) == 1
    else:
        answer = await asyncio.wait_for(complete(lsp, 1, 4), ANSWER_WITHIN_S)
        assert [i["insertText"] for i in answer["items"]] == [FAKE_COMPLETION]
    assert config.read_bytes() == before
    assert [p["id"] for p in (await lsp.request("byok/providers/list", {}))["providers"]] == [
        "openai"
    ]


async def test_ten_megabyte_completion_body_is_survived(
    lsp: Session, openai_fake: FakeServer
) -> None:
    await use_openai(lsp, openai_fake)
    open_document(lsp, "def add(a, b):\n    \n")
    openai_fake.queue(Reply(huge_bytes=10 * 1024 * 1024))
    answer = await asyncio.wait_for(complete(lsp, 1, 4), 60)
    for item in answer["items"]:
        text = item["insertText"]
        assert text and (FAKE_COMPLETION * (len(text) // len(FAKE_COMPLETION) + 1)).startswith(
            text
        ), text[:80]
    open_document(lsp, "def sub(a, b):\n    \n", uri="file:///work/project/other.py")
    again = await asyncio.wait_for(
        complete(lsp, 1, 4, uri="file:///work/project/other.py"), ANSWER_WITHIN_S
    )
    assert [i["insertText"] for i in again["items"]] == [FAKE_COMPLETION]


# ---- the config file -------------------------------------------------------------------------


async def test_config_file_deleted_then_saved_again(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    """Deleting config.yaml is the user starting over: the server follows the file (no
    providers), keeps answering, and the next save writes a complete new file. The key of
    the deleted provider stays in the keyring, so re-adding it needs no key."""
    await use_openai(lsp, openai_fake)
    directory = isolated_dirs["config"]
    changed = len(lsp.received("byok/config/changed"))
    shutil.rmtree(directory)  # the whole folder, lock file included

    await wait_until(lambda: len(lsp.received("byok/config/changed")) > changed)
    assert await providers_snapshot(lsp) == []
    status = await lsp.request("byok/status", {})
    assert status["configProblem"] is None
    err = await error_of(chat(lsp))
    assert err.data["kind"] == "no_active_model"

    added = await lsp.request(
        "byok/providers/add", {"template": "openai", "baseUrl": openai_fake.api_base}
    )
    assert added["provider"]["key"]["present"] is True
    await lsp.request("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o-mini"})
    text = (directory / "config.yaml").read_text()
    assert text.startswith("# byok-ls configuration.") and "gpt-4o-mini" in text
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER


@pytest.fixture
def config_dir_replaced_by_a_file(isolated_dirs: dict[str, Path]) -> Iterator[Path]:
    """Tests run as root, and root writes read-only files and folders anyway (chmod proves
    nothing; chattr and read-only mounts are not available). What root cannot write
    through is a config *folder* that is a regular file: every temp file, lock and rename
    in it fails with ENOTDIR/EEXIST."""
    directory = isolated_dirs["config"]
    aside = directory.with_name("config.moved")
    yield aside
    if directory.is_file():
        directory.unlink()
    if aside.exists() and not directory.exists():
        aside.rename(directory)


async def test_unwritable_config_folder_keeps_the_last_good_config(
    lsp: Session,
    openai_fake: FakeServer,
    isolated_dirs: dict[str, Path],
    config_dir_replaced_by_a_file: Path,
) -> None:
    await use_openai(lsp, openai_fake)
    directory, aside = isolated_dirs["config"], config_dir_replaced_by_a_file
    providers = await providers_snapshot(lsp)
    directory.rename(aside)
    directory.write_bytes(b"a file where the config folder should be\n")

    # Reads answer from the last good config, and requests keep working with it.
    assert await providers_snapshot(lsp) == providers
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER
    status = await lsp.request("byok/status", {})
    assert status["configProblem"] and str(directory) in status["configProblem"]
    # A save fails cleanly, names the folder, and changes nothing.
    err = await error_of(lsp.request("byok/providers/add", {"template": "ollama"}))
    assert err.data["kind"] == "config_unwritable", err.data
    assert str(directory) in err.message
    assert directory.read_bytes() == b"a file where the config folder should be\n"
    assert await providers_snapshot(lsp) == providers

    # Once the folder is back, saves work again and nothing was lost.
    directory.unlink()
    aside.rename(directory)
    await lsp.request("byok/providers/add", {"template": "ollama"})
    assert [p[0] for p in await providers_snapshot(lsp)] == ["openai", "ollama"]


async def test_garbage_config_file_keeps_serving_the_last_good_config(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    await use_openai(lsp, openai_fake)
    path = isolated_dirs["config"] / "config.yaml"
    good, providers = path.read_bytes(), await providers_snapshot(lsp)
    garbage = bytes(range(256)) * 64  # not UTF-8, not YAML
    path.write_bytes(garbage)

    await wait_until(lambda: any("broken" in m.message for m in lsp.client.messages))
    assert await providers_snapshot(lsp) == providers
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER
    open_document(lsp, "def add(a, b):\n    \n")
    completion = await asyncio.wait_for(complete(lsp, 1, 4), ANSWER_WITHIN_S)
    assert [i["insertText"] for i in completion["items"]] == [FAKE_COMPLETION]
    err = await error_of(lsp.request("byok/providers/update", {"id": "openai", "name": "x"}))
    assert err.data["kind"] == "config_invalid"
    assert path.read_bytes() == garbage, "a broken file must never be overwritten"

    path.write_bytes(good)
    await lsp.request("byok/providers/update", {"id": "openai", "name": "Work"})
    assert (await lsp.request("byok/providers/get", {"id": "openai"}))["provider"]["name"] == "Work"


def hand_edit(path: Path) -> None:
    text = path.read_text()
    assert "name: OpenAI\n" in text
    path.write_text(text.replace("name: OpenAI\n", "name: Edited by hand  # kept\n"))


async def test_hand_edit_while_a_save_waits_for_the_lock_keeps_both(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    await use_openai(lsp, openai_fake)
    directory = isolated_dirs["config"]
    lock = FileLock(str(directory / ".config.yaml.lock"))
    with lock:
        save = asyncio.ensure_future(lsp.request("byok/providers/add", {"template": "ollama"}))
        await asyncio.sleep(0.5)  # the save is now waiting for the lock
        assert not save.done()
        hand_edit(directory / "config.yaml")
        # While the save waits, the server keeps answering (reads, status, a chat).
        listed = await asyncio.wait_for(lsp.request("byok/providers/list", {}), 3)
        assert [p["id"] for p in listed["providers"]] == ["openai"]
        await asyncio.wait_for(lsp.request("byok/status", {}), 3)
        assert (await asyncio.wait_for(chat(lsp), 3))["content"] == FAKE_ANSWER
    await asyncio.wait_for(save, ANSWER_WITHIN_S)

    text = (directory / "config.yaml").read_text()
    assert "name: Edited by hand  # kept" in text
    assert "id: ollama" in text
    listed = await lsp.request("byok/providers/list", {})
    assert [(p["id"], p["name"]) for p in listed["providers"]] == [
        ("openai", "Edited by hand"),
        ("ollama", "Ollama"),
    ]


async def test_save_gives_up_with_conflict_when_the_lock_is_never_released(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    """The store waits ConfigStore's lock_timeout_s for the lock, then fails cleanly."""
    await use_openai(lsp, openai_fake)
    directory = isolated_dirs["config"]
    with FileLock(str(directory / ".config.yaml.lock")):
        save = asyncio.ensure_future(lsp.request("byok/providers/add", {"template": "ollama"}))
        await asyncio.sleep(0.5)
        hand_edit(directory / "config.yaml")
        err = await error_of(save, LOCK_TIMEOUT_S + ANSWER_WITHIN_S)
        assert err.data["kind"] == "conflict", err.data
        assert ".config.yaml.lock" in err.message
    text = (directory / "config.yaml").read_text()
    assert "name: Edited by hand  # kept" in text and "ollama" not in text
    # The hand edit is picked up, and the same save succeeds once the lock is free.
    await lsp.request("byok/providers/add", {"template": "ollama"})
    listed = await lsp.request("byok/providers/list", {})
    assert [(p["id"], p["name"]) for p in listed["providers"]] == [
        ("openai", "Edited by hand"),
        ("ollama", "Ollama"),
    ]


# ---- the keyring -----------------------------------------------------------------------------


async def test_failing_keyring_refuses_the_key_cleanly_and_adds_nothing(
    openai_fake: FakeServer, isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyrings.FailingKeyring")
    monkeypatch.setenv("HARDENING_TEST_KEY", KEY)
    session = await start()
    try:
        config = isolated_dirs["config"] / "config.yaml"
        err = await error_of(
            session.request(
                "byok/providers/add",
                {"template": "openai", "baseUrl": openai_fake.api_base, "apiKey": KEY},
            )
        )
        assert err.data["kind"] == "keyring_unavailable", err.data
        assert "apiKeyEnv" in err.message
        assert KEY not in err.message and KEY not in repr(err.data)
        # No half-added provider, in the server or in the file.
        assert (await session.request("byok/providers/list", {}))["providers"] == []
        assert "openai" not in (config.read_text() if config.exists() else "")
        # The way out the message names works, and listing still works with the broken
        # keyring behind it.
        await session.request(
            "byok/providers/add",
            {
                "template": "openai",
                "baseUrl": openai_fake.api_base,
                "apiKeyEnv": "HARDENING_TEST_KEY",
            },
        )
        listed = await session.request("byok/providers/list", {})
        assert [(p["id"], p["key"]["source"]) for p in listed["providers"]] == [("openai", "env")]
    finally:
        await stop_session(session)


# ---- the usage database ----------------------------------------------------------------------


@pytest.fixture
def locked_usage_db(isolated_dirs: dict[str, Path]) -> Iterator[Any]:
    """Another program holding the usage database's write lock until released. (The
    database is in WAL mode, where readers are never blocked by a writer; the server's
    ledger keeps its own connection open, so a lock that also blocks readers
    (locking_mode=EXCLUSIVE) cannot even be taken.)"""
    conns: list[sqlite3.Connection] = []

    def lock() -> None:
        path = isolated_dirs["data"] / "usage.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        conn.execute("BEGIN EXCLUSIVE")
        conns.append(conn)

    def release() -> None:
        while conns:
            conn = conns.pop()
            conn.execute("ROLLBACK")
            conn.close()

    yield lock, release
    release()


async def test_locked_usage_database_degrades_usage_only(
    lsp: Session, openai_fake: FakeServer, locked_usage_db: Any
) -> None:
    lock, release = locked_usage_db
    await use_openai(lsp, openai_fake)
    assert (await chat(lsp))["content"] == FAKE_ANSWER
    assert (await lsp.request("byok/usage", {}))["totals"]["requests"] == 1
    await asyncio.to_thread(lock)

    # Chat and completion do not wait for the database.
    assert (await asyncio.wait_for(chat(lsp), 5))["content"] == FAKE_ANSWER
    open_document(lsp, "def add(a, b):\n    \n")
    completion = await asyncio.wait_for(complete(lsp, 1, 4), 5)
    assert [i["insertText"] for i in completion["items"]] == [FAKE_COMPLETION]

    # Once the ledger's write has waited out its busy timeout, status says usage is
    # unavailable and why, and the report answers with a clear error, not stale totals.
    async def usage_problem() -> str:
        while True:
            status = await asyncio.wait_for(lsp.request("byok/status", {}), 3)
            if status["usageProblem"]:
                return str(status["usageProblem"])
            await asyncio.sleep(0.1)

    problem = await asyncio.wait_for(usage_problem(), ANSWER_WITHIN_S)
    assert "locked" in problem
    err = await error_of(lsp.request("byok/usage", {}))
    assert err.data["kind"] == "server_error" and "locked" in err.message, err.message
    assert (await asyncio.wait_for(chat(lsp), 5))["content"] == FAKE_ANSWER

    # Released: the records made meanwhile are saved, none lost.
    release()

    async def recovered() -> Any:
        from pygls.exceptions import JsonRpcException

        while True:
            try:
                return await lsp.request("byok/usage", {"groupBy": ["task"]})
            except JsonRpcException:
                await asyncio.sleep(0.2)

    report = await asyncio.wait_for(recovered(), 30)
    assert {r["task"]: r["requests"] for r in report["rows"]} == {"chat": 3, "completion": 1}
    assert (await lsp.request("byok/status", {}))["usageProblem"] is None


# ---- partial updates: all or nothing ---------------------------------------------------------


async def test_update_with_a_bad_key_moves_nothing(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    await use_openai(lsp, openai_fake)
    before = await providers_snapshot(lsp)
    saved = saved_providers(isolated_dirs["config"])
    err = await error_of(
        lsp.request(
            "byok/providers/update",
            {"id": "openai", "baseUrl": "https://elsewhere.example/v1", "apiKey": "sk- bad key"},
        )
    )
    assert err.code == -32602 and err.data["field"] == "apiKey", (err.message, err.data)
    assert await providers_snapshot(lsp) == before
    assert saved_providers(isolated_dirs["config"]) == saved
    # The old key still goes to the old host only.
    await chat(lsp)
    assert [r.headers.get("authorization") for r in generation_requests(openai_fake)] == [
        f"Bearer {KEY}"
    ]


def saved_providers(config_dir: Path) -> Any:
    """The providers as config.yaml holds them (the revision counts every save)."""
    return (yaml.safe_load((config_dir / "config.yaml").read_text()) or {}).get("providers") or []


def key_file_is_a_folder(config_dir: Path) -> None:
    """The opt-in key file cannot be written: its path is taken by a folder."""
    write_settings(config_dir, read_timeout_s=READ_TIMEOUT_S, key_file_store=True)
    (config_dir / "keys.json").mkdir()


@pytest.mark.parametrize("method", ["add", "update"])
async def test_a_key_store_os_error_rolls_the_config_back(
    openai_fake: FakeServer,
    isolated_dirs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("HARDENING_TEST_KEY", KEY)
    key_file_is_a_folder(isolated_dirs["config"])
    session = await start()
    try:
        if method == "update":
            await session.request(
                "byok/providers/add",
                {
                    "template": "openai",
                    "baseUrl": openai_fake.api_base,
                    "apiKeyEnv": "HARDENING_TEST_KEY",
                },
            )
        before = await providers_snapshot(session)
        saved = saved_providers(isolated_dirs["config"])
        params: dict[str, Any] = {"apiKey": KEY, "baseUrl": "https://elsewhere.example/v1"}
        if method == "add":
            params["template"] = "openai"
        else:
            params.update(id="openai", apiKeyEnv="")
        err = await error_of(session.request(f"byok/providers/{method}", params))
        assert err.code != -32603 and err.data["field"] == "apiKey", (err.message, err.data)
        assert "keys.json" in err.message and KEY not in err.message
        assert await providers_snapshot(session) == before
        assert saved_providers(isolated_dirs["config"]) == saved
        assert "elsewhere.example" not in (isolated_dirs["config"] / "config.yaml").read_text()
    finally:
        await stop_session(session)


# ---- what a killed save leaves behind --------------------------------------------------------


async def test_stray_temp_files_of_killed_saves_are_removed_at_start(
    isolated_dirs: dict[str, Path],
) -> None:
    folder = isolated_dirs["config"]
    write_settings(folder, read_timeout_s=READ_TIMEOUT_S)
    stale = [
        folder / ".config.yaml.4242.140001.tmp",
        folder / ".config.yaml.bak.4242.140001.tmp",
        folder / "keys.json.tmp",
        folder / ".keys.json.4242.0badc0de.tmp",
    ]
    fresh = folder / ".config.yaml.4343.140002.tmp"  # another window may be saving right now
    unrelated = folder / "notes.tmp"
    an_hour_ago = time.time() - 3600
    for path in [*stale, fresh, unrelated]:
        path.write_text("half a save")
    for path in [*stale, unrelated]:
        os.utime(path, (an_hour_ago, an_hour_ago))
    session = await start()
    try:
        assert await session.request("byok/providers/list", {}) == {"providers": []}
        assert [p.name for p in stale if p.exists()] == []
        assert fresh.exists() and unrelated.exists()
    finally:
        await stop_session(session)


# ---- hostile config files --------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(HOSTILE))
async def test_hostile_config_at_start_is_reported_and_the_server_serves(
    isolated_dirs: dict[str, Path], shape: str
) -> None:
    build, says = HOSTILE[shape]
    (isolated_dirs["config"] / "config.yaml").write_text(build())
    server = RawServer()
    try:
        await asyncio.wait_for(server.start(env={"HF_HUB_OFFLINE": "1"}), ANSWER_WITHIN_S)
        listed = await server.request("byok/providers/list", {}, timeout=ANSWER_WITHIN_S)
        assert listed["result"] == {"providers": []}
        await wait_until(lambda: bool(notices(server)))
        assert "config.yaml" in notices(server)[0] and says in notices(server)[0]
    finally:
        await server.close()


@pytest.mark.parametrize("shape", sorted(HOSTILE))
async def test_hostile_config_saved_while_running_keeps_the_last_good_one(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path], shape: str
) -> None:
    build, says = HOSTILE[shape]
    await use_openai(lsp, openai_fake)
    before = await providers_snapshot(lsp)
    (isolated_dirs["config"] / "config.yaml").write_text(build())
    err = await error_of(lsp.request("byok/models/add", {"providerId": "openai", "model": {}}))
    assert err.code == -32602  # the params are checked first: the server still answers them
    err = await error_of(
        lsp.request("byok/models/add", {"providerId": "openai", "model": {"name": "m"}})
    )
    assert err.data["kind"] == "config_invalid" and says in err.message, (err.message, err.data)
    assert await providers_snapshot(lsp) == before
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER


def notices(server: RawServer) -> list[str]:
    return [
        m["params"]["message"] for m in server.messages if m.get("method") == "window/showMessage"
    ]


# ---- oversized provider bodies ---------------------------------------------------------------

#: What a provider sends in place of a sane body: more than the 32 MiB (one-piece body) and
#: 64 MiB (stream) limits once decompressed.
BOMB_BYTES = 256 * 1024 * 1024


def gzip_bomb(unit: bytes, size: int, content_type: str) -> bytes:
    """A small gzip body that decompresses to ``size`` bytes of ``unit`` repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * (1024 * 1024 // len(unit))
    parts = [packer.compress(block) for _ in range(size // len(block))]
    body = b"".join(parts) + packer.flush()
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % (content_type.encode(), len(body))
    )
    return head + body


def oversized(kind: str) -> bytes:
    if kind == "plain-json":
        model = b'{"id": "m", "object": "model", "owned_by": "x"}, '
        body = b'{"object": "list", "data": [' + model * (40 * 1024 * 1024 // len(model))
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
    return gzip_bomb(b" ", BOMB_BYTES, "application/json")


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize("kind", ["plain-json", "gzip-bomb"])
async def test_oversized_model_listing_is_refused_naming_the_limit(
    lsp: Session, openai_fake: FakeServer, kind: str
) -> None:
    await use_openai(lsp, openai_fake)
    openai_fake.queue(Reply(path="/models", raw=oversized(kind)))
    err = await error_of(lsp.request("byok/providers/discover", {"id": "openai"}))
    assert err.data["kind"] == "bad_response", (err.message, err.data)
    assert "32 MiB" in err.message, err.message
    assert rss_kib(server_pid(lsp)) < 1024 * 1024
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER


async def test_gzip_bomb_in_a_completion_or_a_chat_stream_is_refused_naming_the_limit(
    lsp: Session, openai_fake: FakeServer
) -> None:
    await use_openai(lsp, openai_fake)
    open_document(lsp, "def add(a, b):\n    ")
    openai_fake.queue(Reply(raw=gzip_bomb(b" ", BOMB_BYTES, "application/json")))
    err = await error_of(complete(lsp, 1, 4))
    # Completions stream, so whichever limit applies is the one named.
    assert err.data["kind"] == "bad_response", (err.message, err.data)
    assert re.search(r"larger than \d+ MiB, the limit", err.message), err.message
    # One endless line: held until it ends, which it never does.
    openai_fake.queue(Reply(raw=gzip_bomb(b"data: ", BOMB_BYTES, "text/event-stream")))
    err = await error_of(chat(lsp))
    assert err.data["kind"] == "bad_response" and "64 MiB" in err.message, err.message
    assert rss_kib(server_pid(lsp)) < 1024 * 1024
    assert (await asyncio.wait_for(chat(lsp), ANSWER_WITHIN_S))["content"] == FAKE_ANSWER


# ---- long lines ------------------------------------------------------------------------------


async def test_a_fifty_megabyte_single_line_document_is_cut_to_the_context_window(
    lsp: Session, openai_fake: FakeServer
) -> None:
    """A minified file is one line: the window must still fit n_ctx (4096 tokens here, about
    3.5 characters each when no tokenizer is known)."""
    await use_openai(lsp, openai_fake)
    half = 25 * 1024 * 1024
    open_document(lsp, "var a=" + "x" * half + "y" * half + ";\n")
    result = await asyncio.wait_for(complete(lsp, 0, 6 + half), 60)
    assert result["items"], result
    sent = generation_requests(openai_fake)[-1].json
    sizes = (len(sent["prompt"]), len(sent["suffix"]))
    assert sum(sizes) <= 4096 * 3.5, sizes
    assert set(sent["prompt"][-100:]) == {"x"} and set(sent["suffix"][:100]) == {"y"}
