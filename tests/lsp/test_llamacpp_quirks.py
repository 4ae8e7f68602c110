"""What the real llama-server does that the llama.cpp template must follow: reasoning in
``delta.reasoning_content``, a router (``--models-dir``) that needs ``model`` in every request
and knows context sizes only per model, and errors quoted with the status it really sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeServer, Reply
from tests.lsp.editor import Shared, each_test, module_fixture, per_test, shared_server

pytestmark = pytest.mark.asyncio(loop_scope="module")


@module_fixture
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    async for shared in shared_server(tmp_path_factory, "llamacpp-quirks"):
        yield shared


@each_test
async def srv(server: Shared) -> AsyncIterator[Shared]:
    async for shared in per_test(server):
        yield shared


@pytest.mark.parametrize(
    ("template", "model"),
    [("llamacpp", "default"), ("custom", "qwen3")],
)
async def test_reasoning_streamed_by_llama_server_reaches_the_user(
    srv: Shared, llamacpp_fake: FakeServer, template: str, model: str
) -> None:
    base = llamacpp_fake.base_url + ("/v1" if template == "custom" else "")
    models = [] if template == "llamacpp" else [{"name": model, "task": "chat", "nCtx": 4096}]
    pid = await srv.add(template, base, key=None, models=models)
    llamacpp_fake.script(text="42.", reasoning="Six times seven.", chunks=2)
    chat_id = srv.new_id("think")
    result = await srv.chat(f"{pid}/{model}", chatId=chat_id)
    assert (result["content"], result["reasoning"]) == ("42.", "Six times seven.")
    streamed = "".join(d.get("reasoning") or "" for d in srv.deltas(chat_id))
    assert streamed == "Six times seven."


async def test_native_fim_names_the_model_so_a_router_can_serve_it(
    srv: Shared, llamacpp_router_fake: FakeServer
) -> None:
    fake = llamacpp_router_fake
    pid = await srv.add(
        "llamacpp",
        fake.base_url,
        key=None,
        models=[{"name": "coder", "task": "completion", "nCtx": 4096, "fim": "native"}],
    )
    result = await srv.complete(f"{pid}/coder", "def add(a, b):\n    ")
    assert [i["insertText"] for i in result["items"]] == ["return a + b"]
    [sent] = [r.json for r in fake.requests if r.path == "/infill"]
    assert sent["model"] == "coder"


async def test_template_fim_at_completion_names_the_model(
    srv: Shared, llamacpp_router_fake: FakeServer
) -> None:
    fake = llamacpp_router_fake
    model = {"name": "coder", "task": "completion", "nCtx": 4096, "fim": "template:qwen2.5-coder"}
    pid = await srv.add("llamacpp", fake.base_url, key=None, models=[model])
    result = await srv.complete(f"{pid}/coder", "def add(a, b):\n    ")
    assert [i["insertText"] for i in result["items"]] == ["return a + b"]
    [sent] = [r.json for r in fake.requests if r.path == "/completion"]
    assert sent["model"] == "coder"


async def test_discovery_on_a_router_asks_each_model_for_its_context(
    srv: Shared, llamacpp_router_fake: FakeServer
) -> None:
    fake = llamacpp_router_fake
    pid = await srv.add("llamacpp", fake.base_url, key=None)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert [(m["name"], m["nCtx"]) for m in result["models"]] == [("coder", 4096)]
    asked = [r.query for r in fake.requests if r.path == "/props"]
    # Server-wide first (n_ctx 0 on a router), then the model, without loading it.
    assert asked == [{}, {"model": ["coder"], "autoload": ["false"]}]


async def test_discovery_on_a_single_model_server_asks_once(
    srv: Shared, llamacpp_fake: FakeServer
) -> None:
    pid = await srv.add("llamacpp", llamacpp_fake.base_url, key=None)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert [m["nCtx"] for m in result["models"]] == [4096]
    assert [r.query for r in llamacpp_fake.requests if r.path == "/props"] == [{}]


async def test_unknown_model_quotes_the_status_the_server_sent(
    srv: Shared, llamacpp_router_fake: FakeServer
) -> None:
    fake = llamacpp_router_fake
    error = {"code": 400, "message": "model 'nope' not found", "type": "invalid_request_error"}
    fake.queue(Reply(status=400, body={"error": error}))
    pid = await srv.add(
        "llamacpp", fake.base_url, key=None, models=[{"name": "nope", "task": "chat"}]
    )
    err = await srv.chat_error(f"{pid}/nope")
    assert err.data["kind"] == "model_not_found" and err.data["status"] == 400
    assert "(HTTP 400)" in err.message and "404" not in err.message
