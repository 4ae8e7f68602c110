"""The OpenAI-compatible wire format: OpenAI, DeepSeek, OpenRouter, Groq, Gemini's OpenAI
endpoint, xAI, Mistral chat, LM Studio, vLLM, llama.cpp's ``/v1``, Ollama's ``/v1``.

Vendor differences are read from ``endpoint.profile``; request bodies follow OpenAI's
published schemas (CreateChatCompletionRequest, CreateCompletionRequest,
CreateEmbeddingRequest): optional fields are omitted, never sent as null.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from functools import partial
from typing import Any, Literal

import httpx

from .base import (
    HttpAdapter,
    as_int,
    batches,
    parse_json,
    parse_object,
    sse_events,
)
from .errors import bad_response, map_errors, stream_error
from .http import join, open_response, read_body
from .retry import DEFAULT_RETRY, RetryPolicy, retry_call, retry_stream
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
    Profile,
    PromptRequest,
    ReasoningDelta,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    Usage,
)

#: OpenAI accepts at most four stop sequences.
MAX_STOP = 4
_FINISH = {"function_call": "tool_calls", "eos": "stop", "stop_sequence": "stop"}
#: Model listing fields that carry the context window (OpenRouter, Groq, vLLM, LM Studio).
_CTX_FIELDS = ("context_length", "context_window", "max_model_len", "max_context_length")


# ---- request bodies ---------------------------------------------------------------------


def message_json(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    content = message.content
    if isinstance(content, str):
        text: Any = content
    elif message.role == "user":
        text = [part_json(p) for p in content]
    else:
        # Only user messages may carry images; the other roles take text parts.
        text = "".join(p.text for p in content if isinstance(p, TextPart))
    if message.role == "assistant" and message.tool_calls:
        if text:
            out["content"] = text
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    else:
        out["content"] = text
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    elif message.name:
        out["name"] = message.name
    return out


def part_json(part: TextPart | ImagePart) -> dict[str, Any]:
    if isinstance(part, ImagePart):
        return {"type": "image_url", "image_url": {"url": part.url}}
    return {"type": "text", "text": part.text}


def tool_json(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    return {"type": "function", "function": function}


def chat_body(profile: Profile, req: ChatRequest, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": req.model,
        "messages": [message_json(m) for m in req.messages],
        "stream": stream,
    }
    if req.reasoning.style == "openai":
        # OpenAI reasoning models reject max_tokens and any non-default temperature.
        body["max_completion_tokens"] = req.max_tokens
        if req.reasoning.effort:
            body["reasoning_effort"] = req.reasoning.effort
    else:
        body[profile.max_tokens_field] = req.max_tokens
        if req.temperature is not None:
            body["temperature"] = req.temperature
    if req.stop:
        body["stop"] = list(req.stop[:MAX_STOP])
    if req.tools:
        body["tools"] = [tool_json(t) for t in req.tools]
    if stream and profile.stream_usage:
        body["stream_options"] = {"include_usage": True}
    return body


def completion_body(
    profile: Profile,
    model: str,
    prompt: str,
    max_tokens: int,
    temperature: float | None,
    stop: Sequence[str],
    stream: bool,
    suffix: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "prompt": prompt, "max_tokens": max_tokens}
    if suffix is not None:
        body["suffix"] = suffix
    if temperature is not None:
        body["temperature"] = temperature
    if stop:
        body["stop"] = list(stop[:MAX_STOP])
    body["stream"] = stream
    if stream and profile.stream_usage:
        body["stream_options"] = {"include_usage": True}
    return body


# ---- response parsing (shared by streamed chunks and one-shot bodies) -------------------


class ChoiceParser:
    """Turns chat/completion chunks, or a whole non-streamed body, into events."""

    def __init__(self, reasoning_field: str | None) -> None:
        self.reasoning_field = reasoning_field
        self.finished = False

    def events(self, obj: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        choices = obj.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict) and as_int(choice.get("index")) == 0:
                    self._choice(choice, out)
        usage = obj.get("usage")
        if isinstance(usage, dict):
            out.append(
                Usage(as_int(usage.get("prompt_tokens")), as_int(usage.get("completion_tokens")))
            )
        return out

    def _choice(self, choice: dict[str, Any], out: list[Event]) -> None:
        text = choice.get("text")  # /completions
        if isinstance(text, str) and text:
            out.append(TextDelta(text))
        delta = choice.get("delta") or choice.get("message")  # chat: stream / one-shot
        if isinstance(delta, dict):
            if self.reasoning_field:
                reasoning = delta.get(self.reasoning_field)
                if isinstance(reasoning, str) and reasoning:
                    out.append(ReasoningDelta(reasoning))
            content = delta.get("content")
            if isinstance(content, str) and content:
                out.append(TextDelta(content))
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for position, call in enumerate(calls):
                    if isinstance(call, dict):
                        out.append(_tool_delta(call, position))
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            self.finished = True
            out.append(Finish(_FINISH.get(reason, reason)))


def _tool_delta(call: dict[str, Any], position: int) -> ToolCallDelta:
    function = call.get("function")
    function = function if isinstance(function, dict) else {}
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # a few servers send an object instead of a string
        arguments = json.dumps(arguments)
    index = call.get("index")
    name = function.get("name")
    return ToolCallDelta(
        index=index if isinstance(index, int) else position,
        id=call.get("id") or None,
        name=name or None,
        arguments=arguments if isinstance(arguments, str) else "",
    )


def model_from_listing(item: dict[str, Any]) -> DiscoveredModel | None:
    name = item.get("id") or item.get("name")
    if not isinstance(name, str) or not name:
        return None
    n_ctx = None
    sources = [item, item.get("top_provider") or {}]
    for source in sources:
        for key in _CTX_FIELDS:
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, int) and value > 0:
                n_ctx = value
                break
        if n_ctx:
            break
    embeds = "embed" in name.lower() or item.get("type") == "embeddings"
    task: Literal["embeddings"] | None = "embeddings" if embeds else None
    return DiscoveredModel(name=name, task=task, n_ctx=n_ctx)


# ---- the adapter ------------------------------------------------------------------------


class OpenAIAdapter(HttpAdapter):
    """Chat, FIM (``suffix``), plain prompts, embeddings and models over OpenAI's paths."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        api_base: str | None = None,
    ) -> None:
        super().__init__(endpoint, client=client, retry=retry)
        #: Where the OpenAI paths live; llama.cpp passes its ``/v1`` here.
        self.api_base = api_base or endpoint.base_url

    def url(self, path: str) -> str:
        if path.startswith("/beta"):
            # DeepSeek's FIM lives at https://api.deepseek.com/beta/completions while its
            # base URL may be https://api.deepseek.com/v1.
            base = httpx.URL(self.api_base)
            return str(base.copy_with(path=path, query=None, fragment=None))
        return join(self.api_base, path)

    def chat(self, req: ChatRequest, *, stream: bool = True) -> AsyncGenerator[Event, None]:
        body = chat_body(self.endpoint.profile, req, stream)
        url = self.url("/chat/completions")
        return retry_stream(self.retry, lambda: self.run(url, body, req.model, stream))

    def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        profile = self.endpoint.profile
        body = completion_body(
            profile,
            req.model,
            req.prefix,
            req.max_tokens,
            req.temperature,
            req.stop,
            stream,
            suffix=req.suffix,
        )
        url = self.url(profile.fim_path)
        return retry_stream(self.retry, lambda: self.run(url, body, req.model, stream))

    def prompt(self, req: PromptRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        profile = self.endpoint.profile
        body = completion_body(
            profile, req.model, req.prompt, req.max_tokens, req.temperature, req.stop, stream
        )
        url = self.url(profile.completions_path)
        return retry_stream(self.retry, lambda: self.run(url, body, req.model, stream))

    async def run(
        self, url: str, body: dict[str, Any], model: str, stream: bool
    ) -> AsyncGenerator[Event, None]:
        """One attempt: POST ``body`` and yield its events, streamed or from one body."""
        endpoint = self.endpoint
        parser = ChoiceParser(endpoint.profile.reasoning_field)
        with map_errors(endpoint, model):
            async with open_response(
                self.client, endpoint, model, "POST", url, body=body
            ) as response:
                if not stream:
                    obj = parse_json(endpoint, model, await read_body(response))
                    if not isinstance(obj, dict):
                        raise bad_response(endpoint, model, "body is not a JSON object")
                    if obj.get("error"):
                        raise stream_error(endpoint, model, obj)
                    for event in parser.events(obj):
                        yield event
                    return
                done = False
                async for sse in sse_events(response):
                    if sse.data == "[DONE]":
                        done = True
                        break
                    obj = parse_object(endpoint, model, sse.data)
                    # Errors after a 200: OpenRouter sends {"error": {...}} chunks (with a
                    # finish_reason "error" choice), some servers an "event: error". Checked
                    # whatever the profile says: the test is one dict lookup.
                    if sse.event == "error" or obj.get("error"):
                        raise stream_error(endpoint, model, obj)
                    for event in parser.events(obj):
                        yield event
                # A finish_reason without [DONE] is accepted: some local servers omit it.
                if not done and not parser.finished:
                    raise bad_response(endpoint, model, "the stream ended before [DONE]")

    async def embed(self, model: str, inputs: Sequence[str]) -> Embeddings:
        vectors: list[list[float]] = []
        prompt_tokens = 0
        seen_usage = False
        url = self.url("/embeddings")
        for batch in batches(inputs, self.endpoint.profile.embeddings_batch):
            body = {"model": model, "input": list(batch)}
            obj = await retry_call(self.retry, partial(self._post, url, body, model))
            data = obj.get("data") if isinstance(obj, dict) else None
            if not isinstance(data, list) or len(data) != len(batch):
                raise bad_response(self.endpoint, model, "embeddings missing from the answer")
            rows = sorted(
                (d for d in data if isinstance(d, dict)), key=lambda d: as_int(d.get("index"))
            )
            vectors.extend([float(x) for x in row.get("embedding") or []] for row in rows)
            usage = obj.get("usage")
            if isinstance(usage, dict):
                seen_usage = True
                prompt_tokens += as_int(usage.get("prompt_tokens"))
        return Embeddings(vectors, Usage(prompt_tokens, 0) if seen_usage else None)

    async def _post(self, url: str, body: dict[str, Any], model: str) -> Any:
        with map_errors(self.endpoint, model):
            return await self.post_json(url, body, model=model)

    async def list_models(self, url: str | None = None) -> list[DiscoveredModel]:
        path = self.endpoint.profile.models_path
        if url is None:
            if path is None:
                return []
            url = self.url(path)
        listing = url

        async def call() -> Any:
            with map_errors(self.endpoint, None):
                return await self.get_json(listing)

        obj = await retry_call(self.retry, call)
        items = obj.get("data", obj.get("models")) if isinstance(obj, dict) else obj
        if not isinstance(items, list):
            raise bad_response(self.endpoint, None, "the model listing has no 'data' list")
        models = [m for i in items if isinstance(i, dict) and (m := model_from_listing(i))]
        return sorted(models, key=lambda m: m.name)
