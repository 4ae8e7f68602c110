"""byok/tokens/count (the chat panel's "does it fit?" check) and the cost of each chat answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException
from tokenizers import Tokenizer

from tests.fakes import FakeServer, ToolCall, Usage
from tests.lsp.agent_support import AGENT, EditorStandIn, agent_lsp, editor, project  # noqa: F401
from tests.lsp.editor import Session, use_model, user

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "tests" / "data" / "tokenizers" / "code-bpe" / "tokenizer.json"
CODE = "def add(a, b):\n    return a + b\n"


async def test_counts_with_the_models_tokenizer_and_reports_its_window(
    lsp: Session, openai_fake: FakeServer
) -> None:
    model_id = await use_model(
        lsp, openai_fake, {"name": "coder", "nCtx": 2048, "tokenizer": str(TOKENIZER)}
    )
    tok = Tokenizer.from_file(str(TOKENIZER))
    exact = len(tok.encode(CODE, add_special_tokens=False).ids)

    got = await lsp.request("byok/tokens/count", {"text": CODE})
    assert got == {"tokens": exact, "nCtx": 2048, "estimated": False, "modelId": model_id}

    # Several texts (the conversation's messages) are summed.
    both = await lsp.request("byok/tokens/count", {"texts": [CODE, CODE], "modelId": model_id})
    assert both["tokens"] == 2 * exact
    # Nothing went to the provider: counting is local.
    assert openai_fake.requests == []


async def test_without_a_tokenizer_the_count_is_a_labelled_estimate(
    lsp: Session, openai_fake: FakeServer
) -> None:
    model_id = await use_model(lsp, openai_fake, {"name": "plain", "nCtx": 4096})
    got = await lsp.request("byok/tokens/count", {"text": "x" * 700, "modelId": model_id})
    assert got["estimated"] is True and got["nCtx"] == 4096
    assert 100 <= got["tokens"] <= 700


async def test_no_model_still_counts_and_bad_input_names_the_field(lsp: Session) -> None:
    got = await lsp.request("byok/tokens/count", {"text": "hello world"})
    assert got["modelId"] is None and got["nCtx"] is None and got["estimated"] is True
    assert got["tokens"] > 0

    with pytest.raises(JsonRpcException) as missing:
        await lsp.request("byok/tokens/count", {})
    assert missing.value.message.startswith("text:")
    with pytest.raises(JsonRpcException) as unknown:
        await lsp.request("byok/tokens/count", {"text": "x", "modelId": "nobody/none"})
    assert unknown.value.data is not None and unknown.value.data.get("field") == "modelId"
    # The server is still there.
    assert (await lsp.request("byok/tokens/count", {"texts": []}))["tokens"] == 0


async def test_chat_answer_carries_its_cost(lsp: Session, openai_fake: FakeServer) -> None:
    await use_model(
        lsp,
        openai_fake,
        {"name": "priced", "prices": {"inputPerMtok": 2.5, "outputPerMtok": 10.0}},
    )
    openai_fake.script(text="Hi", usage=Usage(1000, 200))
    result = await lsp.request("byok/chat", {"messages": user("hi")})
    assert result["usage"] == {"inputTokens": 1000, "outputTokens": 200}
    assert result["costUsd"] == pytest.approx((1000 * 2.5 + 200 * 10.0) / 1e6)

    # A model without prices (a local server) has no cost rather than a made-up zero.
    await use_model(lsp, openai_fake, {"name": "local"}, provider_id="local")
    openai_fake.script(text="Hi", usage=Usage(10, 2))
    result = await lsp.request("byok/chat", {"messages": user("hi")})
    assert result["costUsd"] is None


async def test_agent_answer_costs_every_step(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    model = {
        "name": "agent-priced",
        "capabilities": AGENT,
        "prices": {"inputPerMtok": 1.0, "outputPerMtok": 2.0},
    }
    await use_model(agent_lsp, openai_fake, model)
    openai_fake.script(
        tool_calls=[ToolCall("list_dir", json.dumps({"path": "."}))], usage=Usage(100, 10)
    )
    openai_fake.script(text="Done.", usage=Usage(300, 20))
    result = await agent_lsp.request(
        "byok/chat", {"messages": user("Look around"), "mode": "agent", "chatId": "cost"}
    )
    assert result["steps"] == 2
    assert result["usage"] == {"inputTokens": 400, "outputTokens": 30}
    # Both model requests are paid for, not only the last one.
    assert result["costUsd"] == pytest.approx((400 * 1.0 + 30 * 2.0) / 1e6)
