"""Every error kind, in every wire format's own words, through the real server.

Each provider failure must reach the editor as a JSON-RPC error whose ``data.kind`` says what
happened, with the provider and model named and no key anywhere. The shared server runs with
``read_timeout_s: 1`` so slow and stalled providers hit the timeout quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from tests.fakes import FakeServer, Reply, presets
from tests.lsp.editor import WIRE_KEY as KEY
from tests.lsp.editor import Shared, closed_port, each_test, module_fixture, per_test, shared_server

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: Retries of retryable kinds wait this long instead of the provider's usual seconds.
QUICK = {"retry-after-ms": "10"}


@module_fixture
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    async for shared in shared_server(
        tmp_path_factory, "wire-errors", settings={"read_timeout_s": 1}
    ):
        yield shared


@each_test
async def srv(server: Shared) -> AsyncIterator[Shared]:
    async for shared in per_test(server):
        yield shared


def quick(reply: Reply, times: int = 3) -> list[Reply]:
    """``times`` copies answering fast: one per attempt of the default retry policy."""
    return [dataclasses.replace(reply, headers={**reply.headers, **QUICK}) for _ in range(times)]


@dataclass(frozen=True)
class Case:
    name: str
    flavor: str
    template: str
    model: str
    replies: Callable[[], list[Reply]]
    kind: str
    status: int | None = None
    #: Requests the fake must have seen (retries of retryable kinds).
    attempts: int = 1
    retry_after_s: float | None = None
    #: Part of the message, besides the provider's name.
    says: str = ""
    expect_key: str | None = None
    models: list[dict[str, object]] = field(default_factory=list)


OA, AN = ("openai", "openai", "gpt-4o"), ("anthropic", "anthropic", "claude-haiku-4-5")
CASES = [
    # auth_failed: the fakes check the key themselves, as the providers do.
    Case("openai-bad-key", *OA, list, "auth_failed", 401, expect_key="sk-the-right-key-000"),
    Case("anthropic-bad-key", *AN, list, "auth_failed", 401, expect_key="sk-ant-right-key-00"),
    Case(
        "gemini-bad-key-400",
        "gemini",
        "google_gemini",
        "gemini-2.5-flash",
        lambda: [presets.gemini_invalid_key()],
        "auth_failed",
        400,
    ),
    Case(
        "mistral-bad-key",
        "mistral",
        "mistral",
        "mistral-large-latest",
        lambda: [presets.mistral_invalid_key()],
        "auth_failed",
        401,
    ),
    # out_of_credit, four ways of saying it
    Case(
        "openai-quota-429",
        *OA,
        lambda: [presets.openai_insufficient_quota()],
        "out_of_credit",
        429,
        says="no credit",
    ),
    Case(
        "anthropic-credit-400",
        *AN,
        lambda: [presets.anthropic_credit_too_low()],
        "out_of_credit",
        400,
    ),
    Case(
        "deepseek-402",
        "deepseek",
        "deepseek",
        "deepseek-chat",
        lambda: [presets.deepseek_insufficient_balance()],
        "out_of_credit",
        402,
    ),
    Case(
        "openrouter-402",
        "openrouter",
        "openrouter",
        "openai/gpt-4o-mini",
        lambda: [presets.openrouter_insufficient_credits()],
        "out_of_credit",
        402,
    ),
    # rate_limited: retried while the wait is short, reported with retryAfterS
    Case(
        "openai-rate-limited",
        *OA,
        lambda: [presets.openai_rate_limited(0.05) for _ in range(3)],
        "rate_limited",
        429,
        attempts=3,
        retry_after_s=0.05,
    ),
    Case(
        "anthropic-rate-limited-long",
        *AN,
        lambda: [presets.anthropic_rate_limited(15)],
        "rate_limited",
        429,
        retry_after_s=15,
        says="15 s",
    ),
    # context_too_long
    Case(
        "openai-context",
        *OA,
        lambda: [presets.openai_context_length()],
        "context_too_long",
        400,
    ),
    Case(
        "llamacpp-context",
        "llamacpp",
        "llamacpp",
        "default",
        lambda: [presets.llamacpp_context_exceeded()],
        "context_too_long",
        400,
    ),
    Case(
        "vllm-context",
        "vllm",
        "vllm",
        "served",
        lambda: [presets.vllm_bad_request()],
        "context_too_long",
        400,
        models=[{"name": "served", "task": "chat"}],
    ),
    # model_not_found
    Case("openai-model", *OA, lambda: [presets.openai_model_not_found()], "model_not_found", 404),
    Case(
        "ollama-model",
        "ollama",
        "ollama",
        "llama3.1:8b",
        lambda: [presets.ollama_model_not_found("llama3.1:8b")],
        "model_not_found",
        404,
    ),
    Case(
        "anthropic-model",
        *AN,
        lambda: [presets.anthropic_not_found_model()],
        "model_not_found",
        404,
    ),
    # bad_request
    Case(
        "gemini-bad-request",
        "gemini",
        "google_gemini",
        "gemini-2.5-flash",
        lambda: [presets.gemini_bad_request()],
        "bad_request",
        400,
    ),
    # overloaded: 529 and 503, retried, then reported
    Case(
        "anthropic-529",
        *AN,
        lambda: quick(presets.anthropic_overloaded()),
        "overloaded",
        529,
        attempts=3,
    ),
    Case(
        "openai-503",
        *OA,
        lambda: quick(presets.openai_unavailable()),
        "overloaded",
        503,
        attempts=3,
    ),
    Case(
        "anthropic-overloaded-in-stream",
        *AN,
        lambda: [presets.anthropic_stream_overloaded() for _ in range(3)],
        "overloaded",
        attempts=3,
    ),
    # server_error
    Case(
        "openai-500",
        *OA,
        lambda: quick(presets.openai_server_error()),
        "server_error",
        500,
        attempts=3,
    ),
    Case(
        "ollama-500",
        "ollama",
        "ollama",
        "llama3.1:8b",
        lambda: quick(Reply(status=500, body={"error": "llama runner process has terminated"})),
        "server_error",
        500,
        attempts=3,
    ),
    # bad_response: a 200 whose body cannot be read
    Case(
        "openai-not-sse",
        *OA,
        lambda: [Reply(garbage=b"data: {not json at all\n\n")],
        "bad_response",
        says="could not be read",
    ),
    Case(
        "ollama-not-ndjson",
        "ollama",
        "ollama",
        "llama3.1:8b",
        lambda: [Reply(garbage=b"<html>502 Bad Gateway</html>\n")],
        "bad_response",
    ),
    Case(
        "llamacpp-not-http",
        "llamacpp",
        "llamacpp",
        "default",
        lambda: [Reply(raw=b"SSH-2.0-OpenSSH_9.6\r\n")],
        "bad_response",
    ),
    # timeout: no headers within read_timeout_s
    Case("openai-slow-headers", *OA, lambda: [Reply(delay_headers=5)], "timeout", says="timed out"),
    Case("anthropic-slow-headers", *AN, lambda: [Reply(delay_headers=5)], "timeout"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_error_kind(srv: Shared, request: pytest.FixtureRequest, case: Case) -> None:
    fake: FakeServer = request.getfixturevalue(f"{case.flavor}_fake")
    if case.expect_key:
        fake.expect_key = case.expect_key
    pid = await srv.add_fake(case.template, fake, models=case.models)
    fake.queue(*case.replies())
    err = await srv.chat_error(f"{pid}/{case.model}")
    assert err.data["kind"] == case.kind, err.message
    assert -32099 <= err.code <= -32001
    assert err.data["providerId"] == pid
    assert err.data["model"] == case.model
    if case.status is not None:
        assert err.data["status"] == case.status
    if case.retry_after_s is not None:
        assert err.data["retryAfterS"] == pytest.approx(case.retry_after_s)
    name = (await srv.request("byok/providers/get", {"id": pid}))["provider"]["name"]
    assert name in err.message
    assert case.says in err.message
    assert KEY not in str(err.data) and KEY not in err.message
    seen = [r for r in fake.requests if r.method == "POST"]
    assert len(seen) == case.attempts, f"{len(seen)} attempts, expected {case.attempts}"


async def test_unreachable_port(srv: Shared) -> None:
    port = closed_port()
    pid = await srv.add("openai", f"http://127.0.0.1:{port}/v1")
    err = await srv.chat_error(f"{pid}/gpt-4o")
    assert err.data["kind"] == "unreachable"
    assert f"127.0.0.1:{port}" in err.message


# ---- streams that break after the user saw part of the answer ---------------------------

TEXT = "one two three four five six"
BROKEN = [
    ("openai", "openai", "gpt-4o", Reply(text=TEXT, chunks=6, cut_after=3), "bad_response"),
    ("openai", "openai", "gpt-4o", Reply(text=TEXT, chunks=6, reset_after=3), "bad_response"),
    (
        "anthropic",
        "anthropic",
        "claude-haiku-4-5",
        Reply(text=TEXT, chunks=6, cut_after=5),
        "bad_response",
    ),
    ("ollama", "ollama", "llama3.1:8b", Reply(text=TEXT, chunks=6, cut_after=3), "bad_response"),
    ("openai", "openai", "gpt-4o", Reply(text=TEXT, chunks=6, stall_after=3), "timeout"),
    ("ollama", "ollama", "llama3.1:8b", Reply(text=TEXT, chunks=6, stall_after=3), "timeout"),
    (
        "openrouter",
        "openrouter",
        "openai/gpt-4o-mini",
        Reply(
            text=TEXT,
            chunks=6,
            stream_error={"code": 502, "message": "Upstream died"},
            error_after=4,
        ),
        "server_error",
    ),
]


@pytest.mark.parametrize(
    ("flavor", "template", "model", "reply", "kind"),
    BROKEN,
    ids=[
        "openai-cut",
        "openai-reset",
        "anthropic-cut",
        "ollama-cut",
        "openai-stall",
        "ollama-stall",
        "openrouter-in-stream",
    ],
)
async def test_stream_broken_midway_keeps_what_arrived(
    srv: Shared,
    request: pytest.FixtureRequest,
    flavor: str,
    template: str,
    model: str,
    reply: Reply,
    kind: str,
) -> None:
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    pid = await srv.add_fake(template, fake)
    fake.queue(reply)
    chat_id = f"broken-{pid}"
    err = await srv.error(
        "byok/chat",
        {
            "messages": [{"role": "user", "content": "Count."}],
            "modelId": f"{pid}/{model}",
            "chatId": chat_id,
        },
    )
    assert err.data["kind"] == kind, err.message
    partial = err.data["partial"]["content"]
    assert partial and TEXT.startswith(partial) and partial != TEXT
    streamed = "".join(d.get("text") or "" for d in srv.deltas(chat_id))
    assert streamed == partial
    # Output was shown: the request is not retried (that would repeat the answer).
    assert len([r for r in fake.requests if r.method == "POST"]) == 1
