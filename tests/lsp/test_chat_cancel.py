"""``$/cancelRequest`` mid-stream, and the size limits checked before anything is sent."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes import FakeServer
from tests.lsp.editor import Session, deltas, joined, use_model, user


async def test_cancel_mid_stream_closes_upstream(lsp: Session, openai_fake: FakeServer) -> None:
    await use_model(lsp, openai_fake, {"name": "gpt-4o"})
    openai_fake.script(text="word " * 200, chunks=200, delay_chunks=0.02)
    future = lsp.client.protocol.send_request(
        "byok/chat", {"messages": user("go on"), "chatId": "cx"}, msg_id="chat-cx"
    )
    while len(deltas(lsp, "cx")) < 3:  # noqa: ASYNC110 (deltas land in a plain list)
        await asyncio.sleep(0.01)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="chat-cx"))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wrap_future(future)
    err = info.value
    assert err.code == -32800  # RequestCancelled
    assert err.data["kind"] == "cancelled"
    assert err.data["chatId"] == "cx"
    streamed = joined(deltas(lsp, "cx"), "text")
    assert err.data["content"] == streamed
    assert 0 < len(streamed) < len("word " * 200)
    # The upstream request was abandoned, not read to the end.
    await openai_fake.wait_for_async(lambda rs: rs[0].closed_early)
    assert not openai_fake.requests[0].completed
    # The server carries on.
    openai_fake.script(text="still here")
    result = await lsp.request("byok/chat", {"messages": user("again")})
    assert result["content"] == "still here"

    # Same server: the size limits of another model.
    await check_limits(lsp, openai_fake)


async def check_limits(lsp: Session, openai_fake: FakeServer) -> None:
    await use_model(
        lsp,
        openai_fake,
        {"name": "small-model", "nCtx": 1000, "defaultTemperature": 0.4},
        provider_id="small",
    )
    # max tokens never exceed what is left of the context window.
    openai_fake.script(text="ok")
    await lsp.request("byok/chat", {"messages": user("hi"), "maxTokens": 5000})
    body = openai_fake.last.json
    assert 900 < body["max_tokens"] < 1000
    assert body["temperature"] == 0.4
    # An explicit temperature wins over the model's default.
    openai_fake.script(text="ok")
    await lsp.request("byok/chat", {"messages": user("hi"), "maxTokens": 50, "temperature": 1.1})
    body = openai_fake.last.json
    assert body["max_tokens"] == 50
    assert body["temperature"] == 1.1
    # A conversation that cannot fit fails before anything is sent, naming the sizes.
    sent = len(openai_fake.requests)
    long_text = "lorem ipsum dolor sit amet " * 400
    err = await lsp.error("byok/chat", {"messages": user(long_text), "chatId": "big"})
    assert err.data["kind"] == "context_too_long"
    assert err.data["nCtx"] == 1000
    assert err.data["inputTokens"] > 1000
    assert "1000" in err.message and str(err.data["inputTokens"]) in err.message
    assert "small/small-model" in err.message
    assert len(openai_fake.requests) == sent
    assert deltas(lsp, "big") == []
