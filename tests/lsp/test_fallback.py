"""Fallback chains through the real server: which failures move a request to the next
model, the cool-down that keeps an exhausted provider from being hit on every keystroke,
and the one notice the user gets about it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
import yaml

from tests.fakes import FakeServer, Reply, presets
from tests.fakes.scripts import Usage
from tests.lsp.editor import (
    Session,
    add_deepseek,
    add_openai,
    chat,
    complete,
    data,
    generation_requests,
    open_document,
    row_for,
    shown,
    start,
    stop_session,
    wait_until,
)


@pytest_asyncio.fixture
async def lsp() -> AsyncIterator[Session]:
    session = await start()
    yield session
    await stop_session(session)


async def openai_then_deepseek(
    lsp: Session, openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    await add_openai(lsp, openai_fake)
    await add_deepseek(lsp, deepseek_fake)
    await lsp.request(
        "byok/active/set",
        {"task": "chat", "modelId": "openai/gpt-4o-mini", "fallbacks": ["deepseek/deepseek-chat"]},
    )
    await lsp.request(
        "byok/active/set",
        {
            "task": "completion",
            "modelId": "openai/gpt-3.5-turbo-instruct",
            "fallbacks": ["deepseek/deepseek-chat"],
        },
    )


async def provider_status(lsp: Session, provider_id: str) -> Any:
    status = await lsp.request("byok/status", {})
    return next(p for p in status["providers"] if p["id"] == provider_id)


def edit_settings(config_dir: Path, **settings: Any) -> None:
    """A hand edit of config.yaml; the server reloads it before the next request."""
    path = config_dir / "config.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.setdefault("settings", {}).update(settings)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


async def test_out_of_credit_falls_back_skips_the_provider_and_says_so_once(
    lsp: Session,
    openai_fake: FakeServer,
    deepseek_fake: FakeServer,
    isolated_dirs: dict[str, Path],
) -> None:
    await openai_then_deepseek(lsp, openai_fake, deepseek_fake)
    openai_fake.queue(presets.openai_insufficient_quota())
    deepseek_fake.script(text="Served by DeepSeek.", usage=Usage(100, 10))

    answer = await chat(lsp, chatId="c1")
    assert answer["content"] == "Served by DeepSeek."
    assert answer["modelId"] == "deepseek/deepseek-chat" and answer["fallback"] is True
    deltas = [d for d in lsp.received("byok/chat/delta") if d["chatId"] == "c1"]
    assert deltas and all(
        d["modelId"] == "deepseek/deepseek-chat" and d["fallback"] is True for d in deltas
    )
    await wait_until(lambda: bool(shown(lsp, "out of credit")))
    (notice,) = shown(lsp, "out of credit")
    assert notice.startswith("OpenAI is out of credit; using deepseek/deepseek-chat")

    # During the cool-down every request goes straight to DeepSeek: chat and completion.
    for i in range(3):
        again = await chat(lsp, f"again {i}")
        assert again["modelId"] == "deepseek/deepseek-chat" and again["fallback"] is True
    open_document(lsp)
    for line in (0, 1):
        completed = await complete(lsp, line=line, character=4 * line)
        assert completed["modelId"] == "deepseek/deepseek-chat" and completed["fallback"] is True
    assert len(generation_requests(openai_fake)) == 1
    assert len(generation_requests(deepseek_fake)) == 6
    assert len(shown(lsp, "out of credit")) == 1
    assert not shown(lsp, "Usage")  # no other noise

    openai = await provider_status(lsp, "openai")
    assert openai["lastOutcome"] == "out_of_credit"
    assert openai["coolDownKind"] == "out_of_credit"
    assert 0 < openai["coolDownS"] <= 600
    deepseek = await provider_status(lsp, "deepseek")
    assert deepseek["lastOutcome"] == "ok" and deepseek["coolDownS"] == 0
    assert deepseek["spentTodayUsd"] > 0

    report = await lsp.request("byok/usage", {})
    failed = row_for(report, providerId="openai")
    assert (failed["requests"], failed["errors"]) == (1, 1)  # skipped requests are not rows
    served = row_for(report, providerId="deepseek", task="chat")
    assert served["requests"] == served["fallbacks"] == 4

    # A new key lifts the cool-down at once: the next request goes to OpenAI again.
    await lsp.request(
        "byok/providers/update", {"id": "openai", "apiKey": "sk-test-newOpenAIkey-987654321000"}
    )
    assert (await provider_status(lsp, "openai"))["coolDownS"] == 0
    openai_fake.script(text="OpenAI is back.")
    back = await chat(lsp)
    assert back["content"] == "OpenAI is back."
    assert back["modelId"] == "openai/gpt-4o-mini" and back["fallback"] is False
    assert len(generation_requests(openai_fake)) == 2
    assert (await provider_status(lsp, "openai"))["lastOutcome"] == "ok"

    # The cool-down also ends by itself after settings.cooldown_s.
    edit_settings(isolated_dirs["config"], cooldown_s=0.5)
    openai_fake.queue(presets.openai_invalid_key())
    moved = await chat(lsp)
    assert moved["modelId"] == "deepseek/deepseek-chat"
    assert len(shown(lsp, "rejected its API key")) == 1
    assert (await provider_status(lsp, "openai"))["coolDownKind"] == "auth_failed"

    async def cooled_down() -> bool:
        return bool((await provider_status(lsp, "openai"))["coolDownS"] == 0)

    while not await cooled_down():
        pass
    openai_fake.script(text="OpenAI again.")
    assert (await chat(lsp))["modelId"] == "openai/gpt-4o-mini"
    assert len(generation_requests(openai_fake)) == 4


async def test_no_fallback_once_text_was_streamed_but_rate_limits_fall_back(
    lsp: Session, openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    await openai_then_deepseek(lsp, openai_fake, deepseek_fake)
    openai_fake.queue(
        Reply(
            text="The first half of an answer, then",
            chunks=3,
            stream_error={"error": {"message": "boom", "type": "server_error", "code": None}},
            error_after=2,
        )
    )
    err = await lsp.error(
        "byok/chat", {"messages": [{"role": "user", "content": "hi"}], "chatId": "mid"}
    )
    deltas = [d for d in lsp.received("byok/chat/delta") if d["chatId"] == "mid"]
    streamed = "".join(d.get("text") or "" for d in deltas)
    assert streamed and all(d["modelId"] == "openai/gpt-4o-mini" for d in deltas)
    assert data(err)["kind"] in ("server_error", "bad_response")
    assert data(err)["partial"]["content"] == streamed
    assert generation_requests(deepseek_fake) == []  # a second answer was never started

    # Before any text, a provider that stays rate limited after its retries is left for
    # the fallback, without a cool-down (rate limits pass).
    openai_fake.queue(*(presets.openai_rate_limited(0.01) for _ in range(3)))
    deepseek_fake.script(text="DeepSeek here.")
    answer = await chat(lsp)
    assert answer["modelId"] == "deepseek/deepseek-chat" and answer["fallback"] is True
    assert len(generation_requests(openai_fake)) == 4  # 1 + the first try and 2 retries
    status = await provider_status(lsp, "openai")
    assert status["lastOutcome"] == "rate_limited" and status["coolDownS"] == 0
    openai_fake.script(text="OpenAI again.")
    assert (await chat(lsp))["modelId"] == "openai/gpt-4o-mini"


async def test_a_connection_the_provider_broke_before_any_text_falls_back(
    lsp: Session, openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    """A local server that crashed or was killed mid-request is as unavailable as one that
    is not running; after text was shown, the error stays (with the partial answer)."""
    await openai_then_deepseek(lsp, openai_fake, deepseek_fake)
    openai_fake.queue(Reply(close_before_headers=True))
    deepseek_fake.script(text="DeepSeek here.")
    answer = await chat(lsp)
    assert (answer["content"], answer["modelId"]) == ("DeepSeek here.", "deepseek/deepseek-chat")
    assert answer["fallback"] is True

    openai_fake.queue(Reply(text="The first half of an answer, then", chunks=4, reset_after=2))
    err = await lsp.error(
        "byok/chat", {"messages": [{"role": "user", "content": "hi"}], "chatId": "broken"}
    )
    assert data(err)["kind"] == "bad_response" and "connection broken" in err.message
    assert data(err)["partial"]["content"]
    assert len(generation_requests(deepseek_fake)) == 1  # no second answer after text


async def test_fallbacks_without_the_tools_or_images_capability_are_skipped(
    lsp: Session, openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    """deepseek-reasoner has no tools and neither DeepSeek model takes images: a chat that
    needs them passes such fallbacks by without a request and says so if none is left."""
    await add_openai(lsp, openai_fake)
    await add_deepseek(lsp, deepseek_fake)
    reasoner, chat_model = "deepseek/deepseek-reasoner", "deepseek/deepseek-chat"
    await lsp.request(
        "byok/active/set",
        {"task": "chat", "modelId": "openai/gpt-4o-mini", "fallbacks": [reasoner, chat_model]},
    )
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    openai_fake.queue(presets.openai_insufficient_quota())
    deepseek_fake.script(text="DeepSeek with tools.")
    answer = await chat(lsp, tools=[tool])
    assert (answer["content"], answer["modelId"]) == ("DeepSeek with tools.", chat_model)
    [served] = generation_requests(deepseek_fake)
    assert served.json["model"] == "deepseek-chat"  # the reasoner was never asked

    picture = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "imageUrl": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    err = await lsp.error("byok/chat", {"messages": [{"role": "user", "content": picture}]})
    skipped = [f"{ref} was skipped: no multimodality capability" for ref in (reasoner, chat_model)]
    assert data(err)["skipped"] == skipped
    assert "; ".join(skipped) in err.message
    assert len(generation_requests(deepseek_fake)) == 1
