"""The usage ledger seen through the real server: one row per upstream request, with the
tokens the provider reported and the cost from the model's prices."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.fakes import FakeServer, Reply, presets
from tests.fakes.scripts import Usage
from tests.lsp.editor import (
    INSTRUCT_IN,
    INSTRUCT_OUT,
    MINI_IN,
    MINI_OUT,
    OPENAI_KEY,
    Session,
    add_openai,
    chat,
    complete,
    cost,
    data,
    generation_requests,
    open_document,
    row_for,
    start,
    stop_session,
)


@pytest_asyncio.fixture
async def lsp() -> AsyncIterator[Session]:
    session = await start()
    yield session
    await stop_session(session)


async def use_openai(lsp: Session, fake: FakeServer) -> None:
    await add_openai(lsp, fake)
    await lsp.request("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o-mini"})
    await lsp.request(
        "byok/active/set", {"task": "completion", "modelId": "openai/gpt-3.5-turbo-instruct"}
    )


async def test_rows_have_tokens_cost_and_outcome_but_no_text(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    before = time.time()
    await use_openai(lsp, openai_fake)
    openai_fake.script(text="Hi there", usage=Usage(1234, 56))
    answer = await chat(lsp)
    assert answer["usage"] == {"inputTokens": 1234, "outputTokens": 56}
    openai_fake.script(text="return a + b", usage=Usage(300, 7))
    open_document(lsp)
    completed = await complete(lsp)
    assert completed["items"][0]["insertText"] == "return a + b"
    assert len(generation_requests(openai_fake)) == 2

    report = await lsp.request("byok/usage", {})
    chat_row = row_for(report, providerId="openai", model="gpt-4o-mini", task="chat")
    assert (chat_row["requests"], chat_row["inputTokens"], chat_row["outputTokens"]) == (
        1,
        1234,
        56,
    )
    assert chat_row["costUsd"] == pytest.approx(cost(1234, 56, MINI_IN, MINI_OUT))
    assert (chat_row["errors"], chat_row["fallbacks"], chat_row["estimated"]) == (0, 0, False)
    fim_row = row_for(report, model="gpt-3.5-turbo-instruct", task="completion")
    assert (fim_row["inputTokens"], fim_row["outputTokens"]) == (300, 7)
    assert fim_row["costUsd"] == pytest.approx(cost(300, 7, INSTRUCT_IN, INSTRUCT_OUT))
    totals = report["totals"]
    assert totals["requests"] == 2
    assert totals["costUsd"] == pytest.approx(chat_row["costUsd"] + fim_row["costUsd"])

    status = await lsp.request("byok/status", {})
    (openai,) = status["providers"]
    assert openai["lastOutcome"] == "ok"
    assert openai["spentTodayUsd"] == pytest.approx(totals["costUsd"], abs=1e-6)
    assert status["usageProblem"] is None

    # Time ranges and groupings.
    by_day = await lsp.request("byok/usage", {"groupBy": ["day", "provider"]})
    (day_row,) = by_day["rows"]
    assert day_row["day"] == time.strftime("%Y-%m-%d") and day_row["providerId"] == "openai"
    assert day_row.get("model") is None and day_row["requests"] == 2
    by_task = await lsp.request("byok/usage", {"groupBy": ["task"]})
    assert {r["task"]: r["requests"] for r in by_task["rows"]} == {"chat": 1, "completion": 1}
    assert (await lsp.request("byok/usage", {"since": time.time() + 5}))["rows"] == []
    assert (await lsp.request("byok/usage", {"until": before - 5}))["rows"] == []
    window = await lsp.request("byok/usage", {"since": before - 1, "until": time.time() + 1})
    assert window["totals"]["requests"] == 2
    bad = await lsp.error("byok/usage", {"groupBy": ["week"]})
    assert bad.code == -32602 and "groupBy" in bad.message

    # A failure is a row with its kind; prompts, answers and keys are never stored.
    prompt, reply = "PROMPT-MARKER-7f3a what is 2+2", "ANSWER-MARKER-91c2 four"
    openai_fake.script(text=reply)
    await chat(lsp, prompt)
    openai_fake.queue(presets.openai_model_not_found("gpt-4o-mini"))
    err = await lsp.error("byok/chat", {"messages": [{"role": "user", "content": prompt}]})
    assert data(err)["kind"] == "model_not_found"
    report = await lsp.request("byok/usage", {})
    row = row_for(report, model="gpt-4o-mini")
    assert (row["requests"], row["errors"]) == (3, 1)
    data_dir = isolated_dirs["data"]
    stored = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("usage."))
    assert b"gpt-4o-mini" in stored  # the rows are there...
    for secret in (prompt, reply, "PROMPT-MARKER", "ANSWER-MARKER", OPENAI_KEY):
        assert secret.encode() not in stored  # ...but never the text or the key

    # A model with user-set prices at a server that reports no usage: counted tokens.
    await lsp.request(
        "byok/providers/add", {"template": "custom", "id": "box", "baseUrl": openai_fake.api_base}
    )
    model = {
        "name": "my-model",
        "task": "chat",
        "nCtx": 8192,
        "prices": {"inputPerMtok": 1000.0, "outputPerMtok": 2000.0},
    }
    await lsp.request("byok/models/add", {"providerId": "box", "model": model})
    await lsp.request("byok/active/set", {"task": "chat", "modelId": "box/my-model"})
    openai_fake.queue(Reply(raw=sse_without_usage("one two three four five six seven eight")))
    answer = await chat(lsp, "count to eight")
    assert answer["content"] == "one two three four five six seven eight"
    report = await lsp.request("byok/usage", {})
    row = row_for(report, providerId="box")
    assert row["estimated"] is True
    assert row["inputTokens"] == answer["usage"]["inputTokens"] > 0
    assert row["outputTokens"] == answer["usage"]["outputTokens"] > 0
    assert row["costUsd"] == pytest.approx(
        cost(row["inputTokens"], row["outputTokens"], 1000.0, 2000.0)
    )


def sse_without_usage(text: str) -> bytes:
    """A streamed chat answer from a server that ignores ``stream_options`` (no usage)."""
    chunks: list[dict[str, Any]] = [
        {"delta": {"role": "assistant", "content": text}, "finish_reason": None},
        {"delta": {}, "finish_reason": "stop"},
    ]
    frames = b"".join(
        b"data: "
        + json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "my-model",
                "choices": [{"index": 0, **c}],
            }
        ).encode()
        + b"\n\n"
        for c in chunks
    )
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    return head + frames + b"data: [DONE]\n\n"


async def test_two_servers_writing_at_once_lose_no_row(openai_fake: FakeServer) -> None:
    env = {"OPENAI_TEST_KEY": OPENAI_KEY}
    one = await start(env)
    two = None
    try:
        await one.request(
            "byok/providers/add",
            {"template": "openai", "baseUrl": openai_fake.api_base, "apiKeyEnv": "OPENAI_TEST_KEY"},
        )
        await one.request("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o-mini"})
        two = await start(env)
        for _ in range(40):
            openai_fake.script(text="ok", usage=Usage(1000, 10))
        await asyncio.gather(*(chat(s, f"q{i}") for i in range(20) for s in (one, two)))
        assert len(generation_requests(openai_fake)) == 40
        for session in (one, two):  # each saves what it still holds
            await session.request("byok/usage", {})
        for session in (one, two):
            report = await session.request("byok/usage", {})
            row = row_for(report, model="gpt-4o-mini")
            assert row["requests"] == 40
            assert row["inputTokens"] == 40_000
            assert row["costUsd"] == pytest.approx(40 * cost(1000, 10, MINI_IN, MINI_OUT))
    finally:
        await stop_session(one)
        if two is not None:
            await stop_session(two)


async def test_deleted_or_damaged_database_never_stops_requests(
    lsp: Session, openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    await use_openai(lsp, openai_fake)
    await chat(lsp)
    assert (await lsp.request("byok/usage", {}))["totals"]["requests"] == 1
    for path in isolated_dirs["data"].glob("usage.sqlite3*"):
        path.unlink()
    openai_fake.script(text="still here", usage=Usage(10, 2))
    assert (await chat(lsp))["content"] == "still here"
    open_document(lsp)
    assert (await complete(lsp))["items"]
    report = await lsp.request("byok/usage", {"groupBy": ["task"]})
    # The old rows went with the file; the new ones are in a new file.
    assert {r["task"]: r["requests"] for r in report["rows"]} == {"chat": 1, "completion": 1}
    assert (isolated_dirs["data"] / "usage.sqlite3").exists()
    assert (await lsp.request("byok/status", {}))["usageProblem"] is None

    # A damaged file is moved aside and a new one started, losing nothing recorded since.
    db = isolated_dirs["data"] / "usage.sqlite3"
    for path in isolated_dirs["data"].glob("usage.sqlite3*"):
        if not path.name.endswith(".lock"):
            path.write_bytes(b"this is not a database\n" * 300)
    openai_fake.script(text="still answering", usage=Usage(20, 3))
    assert (await chat(lsp))["content"] == "still answering"
    assert (await complete(lsp, line=0, character=3))["items"]  # not from the cache

    async def recovered() -> dict[str, object]:
        while True:
            status = await lsp.request("byok/status", {})
            # The damage is repaired on the first write that meets it, so usage never
            # becomes unavailable in between.
            assert status["usageProblem"] is None
            if status["usageRepair"]:
                return status  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)

    status = await asyncio.wait_for(recovered(), 10)
    assert "moved aside" in str(status["usageRepair"])
    (aside,) = [p for p in db.parent.iterdir() if p.name.startswith("usage.sqlite3.corrupt-")
                and not p.name.endswith(("-wal", "-shm"))]  # fmt: skip
    assert aside.read_bytes().startswith(b"this is not a database")
    report = await lsp.request("byok/usage", {"groupBy": ["task"]})
    # Nothing recorded after the damage was lost.
    assert {r["task"]: r["requests"] for r in report["rows"]} == {"chat": 1, "completion": 1}


async def test_an_answer_that_broke_off_is_counted_as_estimated(
    lsp: Session, openai_fake: FakeServer
) -> None:
    """The provider bills what it streamed before the error, so the row is not zero."""
    await use_openai(lsp, openai_fake)
    openai_fake.queue(
        Reply(
            text="The first half of a longer answer, then it stops",
            chunks=4,
            stream_error={"error": {"message": "boom", "type": "server_error", "code": None}},
            error_after=3,
        )
    )
    err = await lsp.error("byok/chat", {"messages": [{"role": "user", "content": "hi"}]})
    assert data(err)["partial"]["content"]
    report = await lsp.request("byok/usage", {"groupBy": ["task"]})
    row = row_for(report, task="chat")
    assert row["errors"] == 1
    assert row["inputTokens"] > 0 and row["outputTokens"] > 0
    assert row["estimated"] is True
    assert row["costUsd"] > 0
