"""Ollama's native API: ``/api/chat`` and ``/api/generate`` (NDJSON streams), ``/api/tags``,
``/api/embed`` and ``/api/show`` (for the context length).

The native API is used rather than Ollama's ``/v1`` because only it offers FIM (``suffix``),
raw prompts, ``num_ctx``-style options and the model's real context length.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, Sequence
from functools import partial
from typing import Any

from byok_ls.errors import ByokError, ErrorKind

from .base import HttpAdapter, as_int, batches, ndjson_objects, parse_json
from .errors import bad_response, make_error, map_errors, stream_error
from .http import open_response, read_body, root_url
from .retry import retry_call, retry_stream
from .types import (
    ChatMessage,
    ChatRequest,
    DiscoveredModel,
    Embeddings,
    Endpoint,
    Event,
    FimRequest,
    Finish,
    ImagePart,
    PromptRequest,
    ReasoningDelta,
    TextDelta,
    TextPart,
    ToolCallDelta,
    Usage,
)

_DATA_URL = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,(?P<data>.*)", re.S)
#: /api/show is one request per model; cap the fan-out on machines with many models.
SHOW_CONCURRENCY = 8
SHOW_LIMIT = 64


def options(max_tokens: int, temperature: float | None, stop: Sequence[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"num_predict": max_tokens}
    if temperature is not None:
        opts["temperature"] = temperature
    if stop:
        opts["stop"] = list(stop)
    return opts


class OllamaAdapter(HttpAdapter):
    def url(self, path: str) -> str:
        return root_url(self.endpoint.base_url) + path

    # ---- requests ----

    def message_json(self, message: ChatMessage, model: str) -> dict[str, Any]:
        content = message.content
        out: dict[str, Any] = {"role": message.role}
        if isinstance(content, str):
            out["content"] = content
        else:
            out["content"] = "".join(p.text for p in content if isinstance(p, TextPart))
            images = []
            for part in content:
                if isinstance(part, ImagePart):
                    match = _DATA_URL.fullmatch(part.url)
                    if not match:
                        raise make_error(
                            self.endpoint,
                            model,
                            ErrorKind.BAD_REQUEST,
                            "Ollama takes images inline only (data: URLs), not links: attach "
                            "the image itself.",
                        )
                    images.append(match["data"])
            if images:
                out["images"] = images
        if message.tool_calls:
            out["tool_calls"] = [
                {"function": {"name": c.name, "arguments": _arguments(c.arguments)}}
                for c in message.tool_calls
            ]
        if message.role == "tool" and message.name:
            out["tool_name"] = message.name
        return out

    def chat_body(self, req: ChatRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": req.model,
            "messages": [self.message_json(m, req.model) for m in req.messages],
            "stream": stream,
            "options": options(req.max_tokens, req.temperature, req.stop),
        }
        if req.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in req.tools
            ]
        if req.reasoning.style != "none":
            body["think"] = True
        return body

    def chat(self, req: ChatRequest, *, stream: bool = True) -> AsyncGenerator[Event, None]:
        body = self.chat_body(req, stream)
        return retry_stream(self.retry, lambda: self.run("/api/chat", body, req.model, stream))

    def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        body = {
            "model": req.model,
            "prompt": req.prefix,
            "suffix": req.suffix,
            "stream": stream,
            "options": options(req.max_tokens, req.temperature, req.stop),
        }
        return retry_stream(self.retry, lambda: self.run("/api/generate", body, req.model, stream))

    def prompt(self, req: PromptRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        # raw: the server built the whole prompt (FIM template); no chat template around it.
        body = {
            "model": req.model,
            "prompt": req.prompt,
            "raw": True,
            "stream": stream,
            "options": options(req.max_tokens, req.temperature, req.stop),
        }
        return retry_stream(self.retry, lambda: self.run("/api/generate", body, req.model, stream))

    # ---- responses ----

    async def run(
        self, path: str, body: dict[str, Any], model: str, stream: bool
    ) -> AsyncGenerator[Event, None]:
        endpoint = self.endpoint
        tools = [0]  # tool calls seen so far: Ollama sends each one whole, unnumbered
        with map_errors(endpoint, model):
            async with open_response(
                self.client, endpoint, model, "POST", self.url(path), body=body
            ) as response:
                if not stream:
                    obj = parse_json(endpoint, model, await read_body(response))
                    if not isinstance(obj, dict):
                        raise bad_response(endpoint, model, "body is not a JSON object")
                    for event in _events(endpoint, model, obj, tools):
                        yield event
                    return
                async for obj in ndjson_objects(endpoint, model, response):
                    for event in _events(endpoint, model, obj, tools):
                        yield event
                    if obj.get("done") is True:
                        return
                raise bad_response(endpoint, model, "the stream ended before done: true")

    async def embed(self, model: str, inputs: Sequence[str]) -> Embeddings:
        vectors: list[list[float]] = []
        tokens = 0
        for batch in batches(inputs, self.endpoint.profile.embeddings_batch):
            body = {"model": model, "input": list(batch)}
            obj = await retry_call(self.retry, partial(self._call, "POST", "/api/embed", body))
            rows = obj.get("embeddings") if isinstance(obj, dict) else None
            if not isinstance(rows, list) or len(rows) != len(batch):
                raise bad_response(self.endpoint, model, "embeddings missing from the answer")
            vectors.extend([float(x) for x in row] for row in rows)
            tokens += as_int(obj.get("prompt_eval_count"))
        return Embeddings(vectors, Usage(tokens, 0))

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, model: str | None = None
    ) -> Any:
        with map_errors(self.endpoint, model):
            if method == "GET":
                return await self.get_json(self.url(path), model=model)
            return await self.post_json(self.url(path), body or {}, model=model)

    async def list_models(self) -> list[DiscoveredModel]:
        obj = await retry_call(self.retry, partial(self._call, "GET", "/api/tags"))
        items = obj.get("models") if isinstance(obj, dict) else None
        if not isinstance(items, list):
            raise bad_response(self.endpoint, None, "/api/tags has no 'models' list")
        names = sorted(
            {i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)}
        )
        limit = asyncio.Semaphore(SHOW_CONCURRENCY)

        async def describe(name: str) -> DiscoveredModel:
            async with limit:
                return await self.show(name)

        if len(names) > SHOW_LIMIT:
            return [DiscoveredModel(n) for n in names]
        return list(await asyncio.gather(*(describe(n) for n in names)))

    async def show(self, name: str) -> DiscoveredModel:
        """The model with its context length and task, from ``/api/show`` when it answers."""
        try:
            info = await self._call("POST", "/api/show", {"model": name}, name)
        except ByokError:
            return DiscoveredModel(name)  # optional detail: the listing itself succeeded
        if not isinstance(info, dict):
            return DiscoveredModel(name)
        n_ctx = None
        model_info = info.get("model_info")
        if isinstance(model_info, dict):
            for key, value in model_info.items():
                if key.endswith(".context_length") and isinstance(value, int):
                    n_ctx = value
        capabilities = info.get("capabilities")
        task = None
        if isinstance(capabilities, list):
            if "embedding" in capabilities:
                task = "embeddings"
            elif "completion" in capabilities:
                task = "chat"
        return DiscoveredModel(name, task, n_ctx)  # type: ignore[arg-type]


def _arguments(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _events(endpoint: Endpoint, model: str, obj: dict[str, Any], tools: list[int]) -> list[Event]:
    if "error" in obj:
        raise stream_error(endpoint, model, obj)
    out: list[Event] = []
    message = obj.get("message")
    if isinstance(message, dict):  # /api/chat
        thinking = message.get("thinking")
        if isinstance(thinking, str) and thinking:
            out.append(ReasoningDelta(thinking))
        content = message.get("content")
        if isinstance(content, str) and content:
            out.append(TextDelta(content))
        calls = message.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                index = tools[0]
                tools[0] += 1
                out.append(
                    ToolCallDelta(
                        index,
                        id=call.get("id") or f"call_{index}",
                        name=function.get("name"),
                        arguments=json.dumps(function.get("arguments") or {}),
                    )
                )
    thinking = obj.get("thinking")
    if isinstance(thinking, str) and thinking:  # /api/generate with think
        out.append(ReasoningDelta(thinking))
    text = obj.get("response")
    if isinstance(text, str) and text:  # /api/generate
        out.append(TextDelta(text))
    if obj.get("done") is True:
        out.append(Usage(as_int(obj.get("prompt_eval_count")), as_int(obj.get("eval_count"))))
        reason = obj.get("done_reason")
        finish = "length" if reason == "length" else "tool_calls" if tools[0] else "stop"
        out.append(Finish(finish))
    return out
