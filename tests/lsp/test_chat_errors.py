"""Every provider failure reaches the client as the right ``data.kind``, naming the provider
and never the key — before the stream starts, and in the middle of it."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any

from tests.fakes import FakeServer, Reply, presets
from tests.lsp.editor import ANTHROPIC_KEY, Session, assert_clean_error, deltas, joined, user
from tests.lsp.editor import CHAT_KEY as KEY
from tests.lsp.editor import write_settings as set_settings

WRONG_KEY = "sk-test-WrongKey-9876543210fedcbaQQQQ"
NO_RETRY = {"retry-after": "30"}  # longer than the retry cap: the server gives up at once


async def add(
    lsp: Session,
    base_url: str,
    pid: str,
    *,
    template: str = "custom",
    key: str | None = KEY,
    model: str = "gpt-4o",
) -> str:
    params: dict[str, Any] = {
        "template": template,
        "id": pid,
        "name": f"Fake {pid}",
        "baseUrl": base_url,
    }
    if key is not None:
        params["apiKey"] = key
    provider = (await lsp.request("byok/providers/add", params))["provider"]
    if not any(m["name"] == model and m["task"] == "chat" for m in provider["models"]):
        await lsp.request(
            "byok/models/add", {"providerId": pid, "model": {"name": model, "task": "chat"}}
        )
    return f"{pid}/{model}"


def chat(model_id: str, chat_id: str) -> dict[str, Any]:
    return {"messages": user("hello"), "modelId": model_id, "chatId": chat_id}


def with_headers(reply: Reply, headers: dict[str, str]) -> Reply:
    return dataclasses.replace(reply, headers={**reply.headers, **headers})


async def test_http_error_kinds(
    lsp: Session,
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
    deepseek_fake: FakeServer,
) -> None:
    openai_fake.expect_key = KEY
    anthropic_fake.expect_key = ANTHROPIC_KEY
    deepseek_fake.expect_key = KEY
    cases: list[tuple[str, FakeServer, str, str | None, Reply | None, str]] = [
        ("oa-auth", openai_fake, "custom", WRONG_KEY, None, "auth_failed"),
        (
            "oa-quota",
            openai_fake,
            "custom",
            KEY,
            presets.openai_insufficient_quota(),
            "out_of_credit",
        ),
        ("oa-rate", openai_fake, "custom", KEY, presets.openai_rate_limited(30), "rate_limited"),
        ("oa-ctx", openai_fake, "custom", KEY, presets.openai_context_length(), "context_too_long"),
        (
            "oa-model",
            openai_fake,
            "custom",
            KEY,
            presets.openai_model_not_found(),
            "model_not_found",
        ),
        (
            "oa-busy",
            openai_fake,
            "custom",
            KEY,
            with_headers(presets.openai_unavailable(), NO_RETRY),
            "overloaded",
        ),
        ("an-auth", anthropic_fake, "anthropic", WRONG_KEY, None, "auth_failed"),
        (
            "an-credit",
            anthropic_fake,
            "anthropic",
            ANTHROPIC_KEY,
            presets.anthropic_credit_too_low(),
            "out_of_credit",
        ),
        (
            "an-overloaded",
            anthropic_fake,
            "anthropic",
            ANTHROPIC_KEY,
            with_headers(presets.anthropic_overloaded(), NO_RETRY),
            "overloaded",
        ),
        (
            "an-rate",
            anthropic_fake,
            "anthropic",
            ANTHROPIC_KEY,
            presets.anthropic_rate_limited(15),
            "rate_limited",
        ),
        (
            "ds-balance",
            deepseek_fake,
            "deepseek",
            KEY,
            presets.deepseek_insufficient_balance(),
            "out_of_credit",
        ),
    ]
    for pid, fake, template, key, reply, kind in cases:
        model = {"anthropic": "claude-haiku-4-5", "deepseek": "deepseek-chat"}.get(
            template, "gpt-4o"
        )
        model_id = await add(lsp, fake.api_base, pid, template=template, key=key, model=model)
        if reply is not None:
            fake.queue(reply)
        seen = len(fake.requests)
        err = await lsp.error("byok/chat", chat(model_id, pid))
        assert_clean_error(err, kind, f"Fake {pid}", KEY, ANTHROPIC_KEY, WRONG_KEY)
        assert err.data["providerId"] == pid, pid
        assert len(fake.requests) == seen + 1, f"{pid}: not retried, sent once"
        assert deltas(lsp, pid) == []
        if kind == "rate_limited":
            assert err.data["retryAfterS"] == (30 if template == "custom" else 15), pid
    assert len(openai_fake.replies) == len(anthropic_fake.replies) == 0


async def check_server_errors_are_retried(lsp: Session, openai_fake: FakeServer) -> None:
    model_id = await add(lsp, openai_fake.api_base, "flaky")
    seen = len(openai_fake.requests)
    # One 500, then a good answer: the user only sees the answer.
    openai_fake.queue(presets.openai_server_error(), Reply(text="recovered", chunks=2))
    result = await lsp.request("byok/chat", chat(model_id, "r1"))
    assert result["content"] == "recovered" == joined(deltas(lsp, "r1"), "text")
    assert [r.status for r in openai_fake.requests[seen:]] == [500, 200]
    # 500s all the way: a few attempts, then server_error.
    openai_fake.queue(*(presets.openai_server_error() for _ in range(3)))
    err = await lsp.error("byok/chat", chat(model_id, "r2"))
    assert_clean_error(err, "server_error", "Fake flaky", KEY)
    assert [r.status for r in openai_fake.requests[seen + 2 :]] == [500, 500, 500]


async def test_transport_and_stream_errors(
    lsp: Session,
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
    isolated_dirs: dict[str, Path],
) -> None:
    oa = await add(lsp, openai_fake.api_base, "oa")
    an = await add(
        lsp,
        anthropic_fake.api_base,
        "an",
        template="anthropic",
        key=ANTHROPIC_KEY,
        model="claude-haiku-4-5",
    )

    # An OpenAI-style error chunk after a 200 and some text.
    openai_fake.script(
        text="partial answer here",
        chunks=4,
        stream_error={"error": {"message": "boom", "type": "server_error", "code": None}},
        error_after=3,
    )
    err = await lsp.error("byok/chat", chat(oa, "mid-oa"))
    assert_clean_error(err, "server_error", "Fake oa", KEY)
    streamed = joined(deltas(lsp, "mid-oa"), "text")
    assert streamed and "partial answer here".startswith(streamed)
    assert err.data["partial"]["content"] == streamed
    assert len(openai_fake.requests) == 1  # text was shown: no retry that would repeat it

    # Anthropic's `event: error` (overloaded) after some text.
    anthropic_fake.queue(
        Reply(
            text="partial answer here",
            chunks=4,
            stream_error={
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            },
            error_after=5,
        )
    )
    err = await lsp.error("byok/chat", chat(an, "mid-an"))
    assert_clean_error(err, "overloaded", "Fake an", ANTHROPIC_KEY)
    streamed = joined(deltas(lsp, "mid-an"), "text")
    assert streamed and err.data["partial"]["content"] == streamed

    # Garbage in the stream.
    openai_fake.script(
        text="fine so far", chunks=3, garbage=b"data: {not json\n\n", garbage_after=2
    )
    err = await lsp.error("byok/chat", chat(oa, "garbage"))
    assert_clean_error(err, "bad_response", "Fake oa", KEY)

    # A stream cut before [DONE].
    openai_fake.script(text="cut short", chunks=4, cut_after=3)
    err = await lsp.error("byok/chat", chat(oa, "cut"))
    assert_clean_error(err, "bad_response", "Fake oa", KEY)
    assert joined(deltas(lsp, "cut"), "text") == err.data["partial"]["content"]

    # Nothing listening.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = await add(lsp, f"http://127.0.0.1:{port}/v1", "gone")
    err = await lsp.error("byok/chat", chat(gone, "gone"))
    assert_clean_error(err, "unreachable", "Fake gone", KEY)

    # A provider that stops sending: the read timeout from the settings applies.
    set_settings(isolated_dirs["config"], read_timeout_s=0.5)
    openai_fake.script(text="slow", chunks=2, stall_after=2)
    err = await lsp.error("byok/chat", chat(oa, "slow"))
    assert_clean_error(err, "timeout", "Fake oa", KEY)
    await openai_fake.wait_for_async(lambda rs: rs[-1].closed_early)

    # Server errors are retried with backoff before they are reported.
    set_settings(isolated_dirs["config"], read_timeout_s=60)
    await check_server_errors_are_retried(lsp, openai_fake)
