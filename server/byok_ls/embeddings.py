"""Embeddings routed to the active embeddings model (batched by the adapter)."""

from __future__ import annotations

from dataclasses import dataclass

from byok_ls import api
from byok_ls.counting import count_text, counter_for
from byok_ls.providers.registry import adapter_for
from byok_ls.routing import Router, Target


@dataclass
class _Served:
    vectors: list[list[float]]
    input_tokens: int
    output_tokens: int
    estimated: bool


class EmbeddingsService:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def run(self, params: api.EmbeddingsParams) -> api.EmbeddingsResult:
        async def attempt(target: Target) -> _Served:
            result = await adapter_for(target.endpoint).embed(target.model.name, params.input)
            if result.usage is not None:
                return _Served(result.vectors, result.usage.input_tokens, 0, False)
            counter = await counter_for(target.model.tokenizer)
            return _Served(result.vectors, count_text(counter, *params.input), 0, True)

        served, target = await self.router.run("embeddings", params.model_id, attempt)
        return api.EmbeddingsResult(
            vectors=served.vectors,
            model_id=target.model_id,
            usage=api.UsageView(input_tokens=served.input_tokens, output_tokens=0),
        )
