"""Mistral: OpenAI-compatible for chat, embeddings and models, plus Codestral's native FIM
endpoint ``/v1/fim/completions`` (``prompt`` + ``suffix``), whose answers are shaped like
chat completions (``choices[].message`` / ``choices[].delta``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from .openai_compat import MAX_STOP, OpenAIAdapter
from .retry import retry_stream
from .types import Event, FimRequest, PromptRequest


class MistralAdapter(OpenAIAdapter):
    def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        body: dict[str, Any] = {
            "model": req.model,
            "prompt": req.prefix,
            "suffix": req.suffix,
            "max_tokens": req.max_tokens,
            "stream": stream,
        }
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.stop:
            body["stop"] = list(req.stop[:MAX_STOP])
        url = self.url("/fim/completions")
        return retry_stream(self.retry, lambda: self.run(url, body, req.model, stream))

    async def prompt(
        self, req: PromptRequest, *, stream: bool = False
    ) -> AsyncGenerator[Event, None]:
        # Fails when iterated, like every other request failure.
        raise self.unsupported(req.model, "plain completions endpoint (use fim: native)")
        yield  # makes this an async generator
