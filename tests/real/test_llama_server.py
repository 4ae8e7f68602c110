"""byok-ls against a real llama-server: provider test, discovery and detection, streamed chat
with reasoning through three templates, native and template FIM, cancellation, a prompt over
the context, a router's unknown model, a server killed mid-answer, and usage that matches
the server's own counts.

The model (tests/real/tinymodel.py) answers predictably: a chat reasons "Think", then says
"Yes. " over and over; a FIM request answers "42"."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.editor import Shared, each_test, module_fixture, per_test, shared_server
from tests.real.conftest import MODEL, N_CTX, LlamaServer, free_port, server_args
from tests.real.tinymodel import FIM_ANSWER, REASONING

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHAT_TOKENS = 16
MESSAGES = [{"role": "user", "content": "Is it real?"}]


@module_fixture
async def server(
    tmp_path_factory: pytest.TempPathFactory, llama: LlamaServer
) -> AsyncIterator[Shared]:
    env = {"BYOK_LS_DETECT_PORTS": f"llamacpp={llama.port},ollama={free_port()}"}
    async for shared in shared_server(tmp_path_factory, "real", env=env):
        yield shared


@each_test
async def srv(server: Shared) -> AsyncIterator[Shared]:
    async for shared in per_test(server):
        yield shared


def chat_model(n_ctx: int = N_CTX) -> dict[str, Any]:
    return {"name": MODEL, "task": "chat", "nCtx": n_ctx}


async def add(srv: Shared, template: str, llama: LlamaServer, models: list[dict[str, Any]]) -> str:
    """A provider from ``template`` at ``llama``; the OpenAI-style templates take ``/v1``."""
    base = llama.base_url if template == "llamacpp" else llama.base_url + "/v1"
    return await srv.add(template, base, key=None, models=models)


def direct_chat(llama: LlamaServer, max_tokens: int) -> tuple[str, str]:
    """(reasoning, content) streamed by llama-server to a plain OpenAI-style client."""
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": max_tokens, "stream": True}
    reasoning, content = "", ""
    with httpx.stream("POST", llama.base_url + "/v1/chat/completions", json=body) as r:
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:]).get("choices", []):
                delta = choice.get("delta", {})
                reasoning += delta.get("reasoning_content") or ""
                content += delta.get("content") or ""
    return reasoning, content


def metric(llama: LlamaServer, name: str) -> float:
    text = httpx.get(llama.base_url + "/metrics").text
    match = re.search(rf"^llamacpp:{name} ([0-9.e+]+)$", text, re.M)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def prompt_tokens(llama: LlamaServer) -> int:
    """The chat's prompt length by llama-server's own template and tokenizer."""
    applied = httpx.post(llama.base_url + "/apply-template", json={"messages": MESSAGES}).json()
    tokens = httpx.post(llama.base_url + "/tokenize", json={"content": applied["prompt"]}).json()
    return len(tokens["tokens"])


# ---- providers -----------------------------------------------------------------------------


async def test_provider_test_discover_and_detect(srv: Shared, llama: LlamaServer) -> None:
    pid = await add(srv, "llamacpp", llama, [])
    tested = await srv.request("byok/providers/test", {"id": pid})
    assert (tested["ok"], tested["status"], tested["modelsFound"]) == (True, "ok", 1), tested
    found = await srv.request("byok/providers/discover", {"id": pid})
    # The context the server was started with (-c), not the model's training context.
    assert [(m["name"], m["nCtx"]) for m in found["models"]] == [(MODEL, N_CTX)]
    detected = await srv.request("byok/providers/detect", {})
    assert {"template": "llamacpp", "baseUrl": llama.base_url, "models": [MODEL]} in detected[
        "found"
    ]


# ---- chat ------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["llamacpp", "vllm", "custom"])
async def test_streamed_chat_with_reasoning(srv: Shared, llama: LlamaServer, template: str) -> None:
    reference = await asyncio.to_thread(direct_chat, llama, CHAT_TOKENS)
    assert reference[0] == REASONING and reference[1].startswith("Yes.")
    pid = await add(srv, template, llama, [chat_model()])
    predicted_before = metric(llama, "tokens_predicted_total")
    chat_id = srv.new_id("chat")

    result = await srv.chat(f"{pid}/{MODEL}", "Is it real?", chatId=chat_id, maxTokens=CHAT_TOKENS)

    assert (result["reasoning"], result["content"]) == reference
    assert result["finishReason"] == "length"
    deltas = srv.deltas(chat_id)
    assert "".join(d.get("reasoning") or "" for d in deltas) == reference[0]
    assert "".join(d.get("text") or "" for d in deltas) == reference[1]
    assert len(deltas) > 2  # streamed, not one block
    # Usage as llama-server counts it: its tokenizer for the prompt, its metrics for output.
    usage = result["usage"]
    assert usage["outputTokens"] == metric(llama, "tokens_predicted_total") - predicted_before
    assert usage["outputTokens"] == CHAT_TOKENS
    assert usage["inputTokens"] == await asyncio.to_thread(prompt_tokens, llama)


async def test_cancelled_chat_cancels_the_task_in_llama_server(
    srv: Shared, llama: LlamaServer
) -> None:
    pid = await add(srv, "llamacpp", llama, [chat_model()])
    log_start = len(llama.log())
    protocol = srv.session.client.protocol
    chat_id = srv.new_id("cancel")
    params = {"messages": MESSAGES, "modelId": f"{pid}/{MODEL}", "chatId": chat_id}
    pending = asyncio.ensure_future(
        protocol.send_request_async("byok/chat", {**params, "maxTokens": 100000}, msg_id=chat_id)
    )
    for _ in range(500):
        if srv.deltas(chat_id):
            break
        await asyncio.sleep(0.01)
    protocol.notify("$/cancelRequest", types.CancelParams(id=chat_id))
    with pytest.raises(JsonRpcException) as info:
        await pending
    assert info.value.code == -32800 and info.value.data["kind"] == "cancelled"
    for _ in range(500):
        if llama.log_matches(r"cancel task, id_task = \d+", log_start):
            break
        await asyncio.sleep(0.01)
    assert llama.log_matches(r"cancel task, id_task = \d+", log_start), llama.log()[log_start:]
    # The slot is free again: the next chat is answered.
    again = await srv.chat(f"{pid}/{MODEL}", "Is it real?", maxTokens=4)
    assert again["reasoning"]


async def test_prompt_longer_than_the_context_is_context_too_long(
    srv: Shared, llama: LlamaServer
) -> None:
    # byok-ls believes the model takes far more, so the request reaches llama-server.
    pid = await add(srv, "llamacpp", llama, [chat_model(n_ctx=1_000_000)])
    err = await srv.chat_error(f"{pid}/{MODEL}", "word " * (N_CTX * 2))
    assert err.data["kind"] == "context_too_long", (err.message, err.data)
    assert err.data["status"] == 400 and MODEL in err.message


# ---- completion ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "fim"),
    [
        ("llamacpp", "native"),  # /infill
        ("llamacpp", "template:qwen2.5-coder"),  # /completion
        ("vllm", "template:qwen2.5-coder"),  # /v1/completions
    ],
)
async def test_fill_in_the_middle(srv: Shared, llama: LlamaServer, template: str, fim: str) -> None:
    model = {"name": MODEL, "task": "completion", "nCtx": N_CTX, "fim": fim}
    pid = await add(srv, template, llama, [model])
    result = await srv.complete(f"{pid}/{MODEL}", "def answer():\n    return ")
    assert [i["insertText"] for i in result["items"]] == [FIM_ANSWER]


# ---- a killed server -------------------------------------------------------------------------


@pytest.fixture
def doomed(llama_server_bin: Path, tiny_model: Path, tmp_path: Path) -> Iterator[LlamaServer]:
    server = LlamaServer(llama_server_bin, server_args(tiny_model), tmp_path / "doomed.log")
    yield server.start()
    server.kill()


async def test_server_killed_mid_answer(
    srv: Shared, llama: LlamaServer, doomed: LlamaServer
) -> None:
    dying = await add(srv, "llamacpp", doomed, [chat_model()])
    alive = await add(srv, "llamacpp", llama, [chat_model()])
    await srv.request(
        "byok/active/set",
        {"task": "chat", "modelId": f"{dying}/{MODEL}", "fallbacks": [f"{alive}/{MODEL}"]},
    )
    protocol = srv.session.client.protocol
    chat_id = srv.new_id("killed")
    params = {"messages": MESSAGES, "chatId": chat_id, "maxTokens": 100000}
    pending = asyncio.ensure_future(protocol.send_request_async("byok/chat", params))
    for _ in range(500):
        if srv.deltas(chat_id):
            break
        await asyncio.sleep(0.01)
    doomed.kill()
    with pytest.raises(JsonRpcException) as info:
        await pending
    data = info.value.data
    # Text had reached the user: no second answer from the fallback, the partial is kept.
    assert data["kind"] == "bad_response" and "connection broken" in info.value.message, data
    shown = "".join(d.get("reasoning") or "" for d in srv.deltas(chat_id))
    assert shown and REASONING.startswith(shown) and data["partial"]["reasoning"] == shown
    assert not any(d["modelId"] != f"{dying}/{MODEL}" for d in srv.deltas(chat_id))
    # Now nothing answers there: the fallback serves.
    answer = await srv.request("byok/chat", {"messages": MESSAGES, "maxTokens": 4})
    assert answer["modelId"] == f"{alive}/{MODEL}" and answer["fallback"] is True


# ---- router mode -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def router(
    llama_server_bin: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    models = tmp_path_factory.mktemp("models")
    shutil.copy(tiny_model, models / tiny_model.name)
    args = ["--models-dir", str(models), "-c", str(N_CTX), "-np", "1", "-t", "1", "--no-ui"]
    server = LlamaServer(llama_server_bin, args, tiny_model.parent / "router.log")
    yield server.start()
    server.stop()


async def test_router_serves_fim_and_names_unknown_models(srv: Shared, router: LlamaServer) -> None:
    model = {"name": MODEL, "task": "completion", "nCtx": N_CTX, "fim": "native"}
    unknown = {"name": "nope", "task": "chat"}
    pid = await add(srv, "llamacpp", router, [model, chat_model(), unknown])
    # /infill names the model, as a router requires (it loads the model on demand).
    result = await srv.complete(f"{pid}/{MODEL}", "def answer():\n    return ")
    assert [i["insertText"] for i in result["items"]] == [FIM_ANSWER]
    # Discovery asks the router about each model, as its own /props has no context.
    found = await srv.request("byok/providers/discover", {"id": pid})
    assert [(m["name"], m["nCtx"]) for m in found["models"]] == [(MODEL, N_CTX)]

    err = await srv.chat_error(f"{pid}/nope")
    assert err.data["kind"] == "model_not_found" and err.data["status"] == 400
    assert "(HTTP 400)" in err.message and "nope" in err.message
