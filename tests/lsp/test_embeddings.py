"""``byok/embeddings`` through the real server: routed, batched, and in input order."""

from __future__ import annotations

from tests.fakes import FakeServer
from tests.fakes.openai import fake_embedding
from tests.lsp.editor import Session, use_model

BATCH = 256  # the default embeddings_batch of the templates used here


async def test_embeddings_batched_in_order(
    lsp: Session, openai_fake: FakeServer, ollama_fake: FakeServer
) -> None:
    err = await lsp.error("byok/embeddings", {"input": ["x"]})
    assert err.data["kind"] == "no_active_model"

    model_id = await use_model(
        lsp, openai_fake, {"name": "text-embedding-3-small", "nCtx": 8191}, task="embeddings"
    )
    inputs = [f"line {i}: " + "token " * (i % 7) for i in range(2 * BATCH + 88)]
    inputs[1] = "  leading and trailing spaces  "  # embedded as given, not trimmed
    result = await lsp.request("byok/embeddings", {"input": inputs})
    assert result["modelId"] == model_id
    assert result["vectors"] == [fake_embedding(text, 8) for text in inputs]
    assert result["usage"]["inputTokens"] > 0
    batches = openai_fake.requests_to("/embeddings")
    assert [len(r.json["input"]) for r in batches] == [BATCH, BATCH, 88]
    assert [x for r in batches for x in r.json["input"]] == inputs
    assert all(r.json["model"] == "text-embedding-3-small" for r in batches)

    # Ollama's native /api/embed, chosen per request with modelId.
    await lsp.request("byok/providers/add", {"template": "ollama", "baseUrl": ollama_fake.api_base})
    texts = [f"doc {i}" for i in range(BATCH + 10)]
    result = await lsp.request(
        "byok/embeddings", {"input": texts, "modelId": "ollama/nomic-embed-text"}
    )
    assert result["modelId"] == "ollama/nomic-embed-text"
    assert result["vectors"] == [fake_embedding(text, 8) for text in texts]
    calls = ollama_fake.requests_to("/api/embed")
    assert [len(r.json["input"]) for r in calls] == [BATCH, 10]
    assert calls[0].json["model"] == "nomic-embed-text"
    # The OpenAI-compatible provider saw nothing more.
    assert len(openai_fake.requests_to("/embeddings")) == 3
