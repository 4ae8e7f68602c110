"""Every wire format through the real server: streamed chat, one-shot chat, FIM and model
listings, checked both in the server's answers and in what reached each fake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.fakes import FakeServer, Reply
from tests.fakes.contract import ContractChecker, Specs
from tests.lsp.editor import WIRE_KEY as KEY
from tests.lsp.editor import Shared, each_test, module_fixture, per_test, shared_server

pytestmark = pytest.mark.asyncio(loop_scope="module")


@module_fixture
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    async for shared in shared_server(tmp_path_factory, "wire-formats"):
        yield shared


@each_test
async def srv(server: Shared) -> AsyncIterator[Shared]:
    async for shared in per_test(server):
        yield shared


@dataclass(frozen=True)
class Format:
    flavor: str
    template: str
    chat_model: str
    chat_path: str
    #: A chat model the template lacks, added before the test.
    add_chat_model: bool = False


FORMATS = [
    Format("openai", "openai", "gpt-4o", "/v1/chat/completions"),
    Format("deepseek", "deepseek", "deepseek-chat", "/chat/completions"),
    Format("openrouter", "openrouter", "openai/gpt-4o-mini", "/api/v1/chat/completions"),
    Format("gemini", "google_gemini", "gemini-2.5-flash", "/v1beta/openai/chat/completions"),
    Format("vllm", "vllm", "Qwen/Qwen2.5-Coder-7B-Instruct", "/v1/chat/completions", True),
    Format("mistral", "mistral", "mistral-large-latest", "/v1/chat/completions"),
    Format("llamacpp", "llamacpp", "default", "/v1/chat/completions"),
    Format("ollama", "ollama", "llama3.1:8b", "/api/chat"),
    Format("anthropic", "anthropic", "claude-haiku-4-5", "/v1/messages"),
]


def check_key(fake: FakeServer, flavor: str) -> None:
    """The key travelled in the format's own header, and only there."""
    for req in fake.requests:
        if flavor == "anthropic":
            assert req.header("x-api-key") == KEY
            assert req.header("anthropic-version") == "2023-06-01"
            assert req.header("authorization") is None
        else:
            assert req.header("authorization") == f"Bearer {KEY}"
            assert req.header("x-api-key") is None
        assert KEY not in req.body.decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.flavor for f in FORMATS])
async def test_streamed_chat(srv: Shared, fmt: Format, request: pytest.FixtureRequest) -> None:
    fake: FakeServer = request.getfixturevalue(f"{fmt.flavor}_fake")
    models = [{"name": fmt.chat_model, "task": "chat"}] if fmt.add_chat_model else []
    pid = await srv.add_fake(fmt.template, fake, models=models)
    # Pieces that arrive in one event-loop turn are merged into one delta: space them out.
    fake.script(text="Streaming works, piece by piece.", chunks=4, delay_chunks=0.05)
    result = await srv.request(
        "byok/chat",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Stream something."},
            ],
            "modelId": f"{pid}/{fmt.chat_model}",
            "chatId": f"chat-{pid}",
            "maxTokens": 64,
        },
    )
    assert result["content"] == "Streaming works, piece by piece."
    assert result["finishReason"] == "stop"
    assert result["modelId"] == f"{pid}/{fmt.chat_model}"
    assert result["usage"]["outputTokens"] > 0 and result["usage"]["inputTokens"] > 0
    deltas = srv.deltas(f"chat-{pid}")
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert len(deltas) >= 2, "the answer was not streamed piece by piece"
    assert "".join(d.get("text") or "" for d in deltas) == result["content"]
    req = fake.last
    assert (req.method, req.path) == ("POST", fmt.chat_path)
    assert req.json["model"] == fmt.chat_model
    assert req.json["stream"] is True
    check_key(fake, fmt.flavor)


async def test_streamed_reasoning_deepseek(srv: Shared, deepseek_fake: FakeServer) -> None:
    pid = await srv.add_fake("deepseek", deepseek_fake)
    deepseek_fake.script(text="42.", reasoning="Six times seven.", chunks=2, delay_chunks=0.05)
    result = await srv.chat(f"{pid}/deepseek-reasoner", chatId=f"r-{pid}")
    assert (result["content"], result["reasoning"]) == ("42.", "Six times seven.")
    reasoning = [d["reasoning"] for d in srv.deltas(f"r-{pid}") if d.get("reasoning")]
    assert "".join(reasoning) == "Six times seven."


async def test_openrouter_sends_its_headers_and_skips_processing_comments(
    srv: Shared, openrouter_fake: FakeServer
) -> None:
    pid = await srv.add_fake("openrouter", openrouter_fake)
    openrouter_fake.script(text="fine", reasoning="hmm")
    result = await srv.chat(f"{pid}/openai/gpt-4o-mini")
    assert (result["content"], result["reasoning"]) == ("fine", "hmm")
    assert openrouter_fake.last.header("x-title") == "byok-ls"
    assert openrouter_fake.last.json["stream_options"] == {"include_usage": True}


# ---- one-shot (non-streamed) chat: what `fim: chat` completion uses ----------------------

ONE_SHOT = [
    ("gemini", "google_gemini", "gemini-2.5-flash", "/v1beta/openai/chat/completions", []),
    ("anthropic", "anthropic", "claude-haiku-4-5", "/v1/messages", []),
    (
        "ollama",
        "ollama",
        "llama3.1:8b",
        "/api/chat",
        [{"name": "llama3.1:8b", "task": "completion", "fim": "chat", "nCtx": 8192}],
    ),
]


@pytest.mark.parametrize(
    ("flavor", "template", "model", "path", "models"), ONE_SHOT, ids=[o[0] for o in ONE_SHOT]
)
async def test_one_shot_chat_fills_the_hole(
    srv: Shared,
    request: pytest.FixtureRequest,
    flavor: str,
    template: str,
    model: str,
    path: str,
    models: list[dict[str, object]],
) -> None:
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    pid = await srv.add_fake(template, fake, models=models)
    fake.script(text="return a + b")
    result = await srv.complete(f"{pid}/{model}", "def add(a, b):\n    ")
    assert [i["insertText"] for i in result["items"]] == ["return a + b"]
    assert result["modelId"] == f"{pid}/{model}"
    req = fake.last
    assert req.path == path
    # Streamed, so the server can stop the provider as soon as the cut is decided.
    assert req.json["stream"] is True
    assert "def add(a, b):" in json.dumps(req.json)
    check_key(fake, flavor)


# ---- native FIM and server-built FIM prompts ---------------------------------------------

FIM = [
    ("openai", "openai", "gpt-3.5-turbo-instruct", "/v1/completions", []),
    ("deepseek", "deepseek", "deepseek-chat", "/beta/completions", []),
    ("mistral", "mistral", "codestral-latest", "/v1/fim/completions", []),
    ("ollama", "ollama", "qwen2.5-coder:1.5b", "/api/generate", []),
    ("llamacpp", "llamacpp", "default", "/infill", []),
    ("vllm", "vllm", "bigcode/starcoder2-3b", "/v1/completions", []),
]


@pytest.mark.parametrize(
    ("flavor", "template", "model", "path", "models"), FIM, ids=[f[0] for f in FIM]
)
async def test_fill_in_the_middle(
    srv: Shared,
    request: pytest.FixtureRequest,
    flavor: str,
    template: str,
    model: str,
    path: str,
    models: list[dict[str, object]],
) -> None:
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    pid = await srv.add_fake(template, fake, models=models)
    fake.script(text="return a + b")
    result = await srv.complete(f"{pid}/{model}", "def add(a, b):\n    ", "\n\nprint(add(1, 2))\n")
    assert [i["insertText"] for i in result["items"]] == ["return a + b"]
    req = fake.last
    assert (req.method, req.path) == ("POST", path)
    body = req.json
    if flavor == "llamacpp":
        assert body["input_prefix"].endswith("def add(a, b):\n    ")
        assert body["input_suffix"].startswith("\n\nprint(add(1, 2))")
    elif flavor == "vllm":
        # starcoder2 template built by the server, sent to the plain completions endpoint
        assert body["prompt"].startswith("<fim_prefix>") and "<fim_suffix>" in body["prompt"]
        assert "suffix" not in body
    else:
        assert body["prompt"].endswith("def add(a, b):\n    ")
        assert body["suffix"].startswith("\n\nprint(add(1, 2))")
    assert body.get("stream") is True
    check_key(fake, flavor)


# ---- model listings ---------------------------------------------------------------------


async def test_discover_openai_names(srv: Shared, openai_fake: FakeServer) -> None:
    pid = await srv.add_fake("openai", openai_fake)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert [m["name"] for m in result["models"]] == [
        "gpt-3.5-turbo-instruct",
        "gpt-4o",
        "gpt-4o-mini",
    ]
    assert openai_fake.last.path == "/v1/models"
    check_key(openai_fake, "openai")


async def test_discover_vllm_context_length(srv: Shared, vllm_fake: FakeServer) -> None:
    pid = await srv.add_fake("vllm", vllm_fake)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert result["models"] == [
        {"name": "Qwen/Qwen2.5-Coder-7B-Instruct", "task": None, "nCtx": 32768}
    ]


async def test_discover_anthropic_pages_through_the_listing(
    srv: Shared, contract_specs: Specs
) -> None:
    names = [f"claude-test-{i:04d}" for i in range(1203)]
    models = [(n, n.upper(), "2025-01-01T00:00:00Z") for n in names]
    with FakeServer("anthropic", models=models, contract=ContractChecker(contract_specs)) as fake:
        pid = await srv.add_fake("anthropic", fake)
        result = await srv.request("byok/providers/discover", {"id": pid})
        listings = fake.requests_to("/v1/models")
        check_key(fake, "anthropic")
    assert [m["name"] for m in result["models"]] == names
    assert {m["task"] for m in result["models"]} == {"chat"}
    assert len(listings) == 2, "the second page was never asked for"
    assert "after_id" not in listings[0].query
    assert listings[1].query["after_id"] == [names[int(listings[0].query["limit"][0]) - 1]]


async def test_discover_ollama_tags_with_context_length(
    srv: Shared, ollama_fake: FakeServer
) -> None:
    pid = await srv.add_fake("ollama", ollama_fake, key=None)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert result["models"] == [
        {"name": "llama3.2:latest", "task": "chat", "nCtx": 32768},
        {"name": "qwen2.5-coder:1.5b", "task": "chat", "nCtx": 32768},
    ]
    assert ollama_fake.requests_to("/api/tags")
    assert {r.json["model"] for r in ollama_fake.requests_to("/api/show")} == {
        "llama3.2:latest",
        "qwen2.5-coder:1.5b",
    }


async def test_discover_llamacpp_uses_the_served_context(
    srv: Shared, llamacpp_fake: FakeServer
) -> None:
    pid = await srv.add_fake("llamacpp", llamacpp_fake, key=None)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert [m["name"] for m in result["models"]] == ["qwen2.5-coder-1.5b-q8_0.gguf"]
    # /props says what the server was started with (4096), not the training context.
    assert result["models"][0]["nCtx"] == 4096


async def test_discover_without_a_listing_is_empty(srv: Shared, mistral_fake: FakeServer) -> None:
    pid = await srv.add_fake("mistral", mistral_fake)
    result = await srv.request("byok/providers/discover", {"id": pid})
    assert result["models"], "Mistral lists its models on /v1/models"
    assert mistral_fake.last.path == "/v1/models"


async def test_discover_unknown_provider_is_not_found(srv: Shared) -> None:
    err = await srv.error("byok/providers/discover", {"id": "nobody-here"})
    assert err.data["kind"] == "not_found"


# ---- key safety -------------------------------------------------------------------------

OTHER_KEY = "sk-ant-other.0123456789.abcdefQRST"


async def test_each_key_reaches_only_its_own_provider(
    srv: Shared, openai_fake: FakeServer, anthropic_fake: FakeServer
) -> None:
    openai_id = await srv.add_fake("openai", openai_fake, key=KEY)
    anthropic_id = await srv.add_fake("anthropic", anthropic_fake, key=OTHER_KEY)
    await srv.chat(f"{openai_id}/gpt-4o")
    await srv.chat(f"{anthropic_id}/claude-haiku-4-5")
    await srv.request("byok/providers/test", {"id": openai_id})
    await srv.request("byok/providers/test", {"id": anthropic_id})
    for fake, mine, other in ((openai_fake, KEY, OTHER_KEY), (anthropic_fake, OTHER_KEY, KEY)):
        assert len(fake.requests) == 2
        for req in fake.requests:
            seen = " ".join(req.headers.values()) + req.body.decode()
            assert mine in seen and other not in seen


@pytest.mark.parametrize("flavor", ["openai", "anthropic"])
async def test_cross_origin_redirect_does_not_carry_the_key(
    srv: Shared, request: pytest.FixtureRequest, contract_specs: Specs, flavor: str
) -> None:
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    model = "gpt-4o" if flavor == "openai" else "claude-haiku-4-5"
    path = "/v1/chat/completions" if flavor == "openai" else "/v1/messages"
    with FakeServer(flavor, contract=ContractChecker(contract_specs)) as elsewhere:
        pid = await srv.add_fake(flavor, fake)
        # 127.0.0.1 and localhost are different origins, as are two ports.
        for target in (elsewhere.base_url, fake.base_url.replace("127.0.0.1", "localhost")):
            fake.queue(Reply(status=307, body="", headers={"location": target + path}))
            err = await srv.chat_error(f"{pid}/{model}")
            assert err.data["kind"] == "bad_response"
            assert "redirected" in err.message and "not followed" in err.message
        assert elsewhere.requests == []
    assert len(fake.requests) == 2, "only the two redirecting answers reached the provider"


async def test_same_origin_redirect_is_followed_with_the_key(
    srv: Shared, anthropic_fake: FakeServer
) -> None:
    pid = await srv.add_fake("anthropic", anthropic_fake)
    moved = anthropic_fake.base_url + "/v1/messages"
    anthropic_fake.queue(Reply(status=308, body="", headers={"location": moved}), Reply(text="hi"))
    result = await srv.chat(f"{pid}/claude-haiku-4-5")
    assert result["content"] == "hi"
    assert len(anthropic_fake.requests) == 2
    check_key(anthropic_fake, "anthropic")


async def test_plain_http_to_another_host_needs_an_opt_in(srv: Shared) -> None:
    remote = "http://192.0.2.10/v1"
    err = await srv.error(
        "byok/providers/add", {"template": "custom", "id": "lan", "baseUrl": remote, "apiKey": KEY}
    )
    assert err.data["kind"] == "insecure_url" and err.data["field"] == "baseUrl"
    assert KEY not in err.message
    listed = await srv.request("byok/providers/list", {})
    assert "lan" not in [p["id"] for p in listed["providers"]]
    pid = await srv.add("custom", remote, allowInsecureHttp=True)
    got = (await srv.request("byok/providers/get", {"id": pid}))["provider"]
    assert got["allowInsecureHttp"] is True and got["key"]["present"] is True
    # Loopback needs no opt-in, and no key needs no opt-in either.
    await srv.add("custom", "http://127.0.0.1:9/v1")
    await srv.add("custom", remote, key=None)
    # Adding a key later to a plain-http remote provider is refused the same way.
    keyless = srv.added[-1]
    err = await srv.error("byok/providers/update", {"id": keyless, "apiKey": KEY})
    assert err.data["kind"] == "insecure_url"


@pytest.mark.parametrize("remote", ["HTTP://192.0.2.10/v1", "Http://192.0.2.10/v1"])
async def test_plain_http_in_capitals_is_refused_like_lower_case(srv: Shared, remote: str) -> None:
    err = await srv.error(
        "byok/providers/add", {"template": "custom", "id": "caps", "baseUrl": remote, "apiKey": KEY}
    )
    assert err.data["kind"] == "insecure_url" and err.data["field"] == "baseUrl"
    listed = await srv.request("byok/providers/list", {})
    assert "caps" not in [p["id"] for p in listed["providers"]]
    keyless = await srv.add("custom", "https://192.0.2.10/v1")
    err = await srv.error(
        "byok/providers/update", {"id": keyless, "baseUrl": remote, "apiKey": KEY}
    )
    assert err.data["kind"] == "insecure_url"
    got = (await srv.request("byok/providers/get", {"id": keyless}))["provider"]
    assert got["baseUrl"] == "https://192.0.2.10/v1"
