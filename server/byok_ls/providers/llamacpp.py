"""llama.cpp's server: native ``/infill`` (FIM) and ``/completion`` (raw prompts).

Chat, embeddings and the model listing use llama.cpp's OpenAI-compatible ``/v1`` paths, so
they are delegated to :class:`OpenAIAdapter` rather than written twice. The base URL may be
given with or without ``/v1``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace
from typing import Any

import httpx

from byok_ls.errors import ByokError

from .base import HttpAdapter, as_int, parse_json, parse_object, sse_events
from .errors import bad_response, map_errors, stream_error
from .http import open_response, read_body, root_url
from .openai_compat import OpenAIAdapter
from .retry import DEFAULT_RETRY, RetryPolicy, retry_stream
from .types import (
    ChatRequest,
    DiscoveredModel,
    Embeddings,
    Endpoint,
    Event,
    FimRequest,
    Finish,
    PromptRequest,
    TextDelta,
    Usage,
)


def sampling(
    max_tokens: int, temperature: float | None, stop: Sequence[str], stream: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {"n_predict": max_tokens, "stream": stream, "cache_prompt": True}
    if temperature is not None:
        body["temperature"] = temperature
    if stop:
        body["stop"] = list(stop)
    return body


def completion_events(obj: dict[str, Any]) -> tuple[list[Event], bool]:
    """Events of one ``/completion`` or ``/infill`` object, and whether it was the last."""
    out: list[Event] = []
    content = obj.get("content")
    if isinstance(content, str) and content:
        out.append(TextDelta(content))
    if obj.get("stop") is not True:
        return out, False
    out.append(Usage(as_int(obj.get("tokens_evaluated")), as_int(obj.get("tokens_predicted"))))
    # Newer builds say stop_type "limit"; older ones set stopped_limit.
    hit_limit = obj.get("stop_type") == "limit" or obj.get("stopped_limit") is True
    out.append(Finish("length" if hit_limit else "stop"))
    return out, True


class LlamaCppAdapter(HttpAdapter):
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        super().__init__(endpoint, client=client, retry=retry)
        self.root = root_url(endpoint.base_url)
        self.openai = OpenAIAdapter(
            endpoint, client=client, retry=retry, api_base=self.root + "/v1"
        )

    def chat(self, req: ChatRequest, *, stream: bool = True) -> AsyncGenerator[Event, None]:
        return self.openai.chat(req, stream=stream)

    async def embed(self, model: str, inputs: Sequence[str]) -> Embeddings:
        return await self.openai.embed(model, inputs)

    async def list_models(self) -> list[DiscoveredModel]:
        path = self.endpoint.profile.models_path
        if path is None:
            return []
        # models_path is relative to base_url (the server root), so "/v1/models" and the
        # OpenAI-style "/models" both mean llama.cpp's /v1/models.
        if not path.startswith("/v1/"):
            path = "/v1" + path
        models = await self.openai.list_models(self.root + path)
        n_ctx = await self.context_size()
        found = []
        for m in models:
            if not m.n_ctx:
                # A router (--models-dir) has no server-wide context: ask about each model.
                served = n_ctx or await self.context_size(m.name)
                m = replace(m, n_ctx=served) if served else m
            found.append(m)
        return found

    async def context_size(self, model: str | None = None) -> int | None:
        """The server's configured context (``/props``, of ``model`` on a router), which is
        what fits, unlike the model's training context that ``/v1/models`` reports. A router
        knows it only for the models it has loaded."""
        # autoload=false: a router would otherwise load every listed model just to answer.
        params = {"model": model, "autoload": "false"} if model else None
        try:
            with map_errors(self.endpoint, model):
                props = await self.get_json(self.root + "/props", params=params)
        except ByokError:
            return None  # optional detail; older builds have no /props
        settings = props.get("default_generation_settings") if isinstance(props, dict) else None
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None

    def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        # model in every body: a router (--models-dir) refuses requests that do not name one.
        body = {"model": req.model, "input_prefix": req.prefix, "input_suffix": req.suffix}
        body |= sampling(req.max_tokens, req.temperature, req.stop, stream)
        return retry_stream(self.retry, lambda: self.run("/infill", body, req.model, stream))

    def prompt(self, req: PromptRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        body = {"model": req.model, "prompt": req.prompt}
        body |= sampling(req.max_tokens, req.temperature, req.stop, stream)
        return retry_stream(self.retry, lambda: self.run("/completion", body, req.model, stream))

    async def run(
        self, path: str, body: dict[str, Any], model: str, stream: bool
    ) -> AsyncGenerator[Event, None]:
        endpoint = self.endpoint
        with map_errors(endpoint, model):
            async with open_response(
                self.client, endpoint, model, "POST", self.root + path, body=body
            ) as response:
                if not stream:
                    obj = parse_json(endpoint, model, await read_body(response))
                    if not isinstance(obj, dict):
                        raise bad_response(endpoint, model, "body is not a JSON object")
                    if "error" in obj:
                        raise stream_error(endpoint, model, obj)
                    for event in completion_events(obj)[0]:
                        yield event
                    return
                async for sse in sse_events(response):
                    obj = parse_object(endpoint, model, sse.data)
                    if "error" in obj:
                        raise stream_error(endpoint, model, obj)
                    events, last = completion_events(obj)
                    for event in events:
                        yield event
                    if last:
                        return
                raise bad_response(endpoint, model, "the stream ended before stop: true")
