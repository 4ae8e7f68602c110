"""Anthropic's Messages API (``POST /v1/messages``, ``GET /v1/models``).

Request bodies follow the published CreateMessageParams schema: system text goes to the
top-level ``system``, roles alternate (consecutive same-role turns are merged), tool results
travel as user ``tool_result`` blocks and thinking is ``{type: enabled, budget_tokens}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from .base import HttpAdapter, as_int, parse_json, parse_object, sse_events
from .errors import bad_response, map_errors, stream_error
from .http import open_response, read_body, root_url
from .retry import retry_call, retry_stream
from .types import (
    ChatMessage,
    ChatRequest,
    DiscoveredModel,
    Embeddings,
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

#: Anthropic's floor for thinking.budget_tokens.
MIN_THINKING_BUDGET = 1024
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)", re.S)


# ---- request bodies ---------------------------------------------------------------------


def image_block(part: ImagePart) -> dict[str, Any]:
    match = _DATA_URL.fullmatch(part.url)
    if match:
        source = {"type": "base64", "media_type": match["type"], "data": match["data"]}
    else:
        source = {"type": "url", "url": part.url}
    return {"type": "image", "source": source}


def content_blocks(content: str | tuple[TextPart | ImagePart, ...]) -> list[dict[str, Any]]:
    # Anthropic rejects empty text blocks, so they are dropped.
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [
        image_block(p) if isinstance(p, ImagePart) else {"type": "text", "text": p.text}
        for p in content
        if isinstance(p, ImagePart) or p.text
    ]


def _text(content: str | tuple[TextPart | ImagePart, ...]) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.text for p in content if isinstance(p, TextPart))


def message_blocks(message: ChatMessage) -> tuple[str, list[dict[str, Any]]]:
    """The role and content blocks of one non-system message."""
    if message.role == "tool":
        result: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id or "",
            "content": _text(message.content),
        }
        return "user", [result]
    blocks = content_blocks(message.content)
    for call in message.tool_calls:
        try:
            arguments = json.loads(call.arguments) if call.arguments else {}
        except ValueError:
            arguments = {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": arguments if isinstance(arguments, dict) else {},
            }
        )
    return message.role, blocks


def messages_body(req: ChatRequest, stream: bool) -> dict[str, Any]:
    system = "\n\n".join(_text(m.content) for m in req.messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in req.messages:
        if message.role == "system":
            continue
        role, blocks = message_blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    max_tokens = req.max_tokens
    body: dict[str, Any] = {"model": req.model, "messages": turns}
    if system:
        body["system"] = system
    if req.reasoning.style == "anthropic":
        budget = max(MIN_THINKING_BUDGET, req.reasoning.budget_tokens or MIN_THINKING_BUDGET)
        if budget >= max_tokens:
            # The budget counts against max_tokens; keep the requested room for the answer.
            max_tokens = budget + max_tokens
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    elif req.temperature is not None:
        # Extended thinking rejects temperature, so it is only sent without it.
        body["temperature"] = min(1.0, max(0.0, req.temperature))
    body["max_tokens"] = max_tokens
    if req.stop:
        body["stop_sequences"] = list(req.stop)
    if req.tools:
        body["tools"] = [
            {"name": t.name, "input_schema": t.parameters}
            | ({"description": t.description} if t.description else {})
            for t in req.tools
        ]
    body["stream"] = stream
    return body


# ---- response parsing -------------------------------------------------------------------


class MessageParser:
    """Anthropic stream events (or a whole Message) → normalized events."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.stopped = False
        self._tool_index: dict[int, int] = {}

    def _input_usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            # Cached prompt tokens are still prompt tokens for the user's accounting.
            self.input_tokens = sum(
                as_int(usage.get(k))
                for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            )
            self.output_tokens = as_int(usage.get("output_tokens"))

    def _tool(self, block_index: int) -> int:
        return self._tool_index.setdefault(block_index, len(self._tool_index))

    def event(self, name: str, obj: dict[str, Any]) -> list[Event]:
        kind = obj.get("type", name)
        if kind == "message_start":
            message = obj.get("message")
            self._input_usage(message.get("usage") if isinstance(message, dict) else None)
        elif kind == "content_block_start":
            block = obj.get("content_block")
            if isinstance(block, dict):
                return self._block(as_int(obj.get("index")), block, streaming=True)
        elif kind == "content_block_delta":
            return self._delta(as_int(obj.get("index")), obj.get("delta"))
        elif kind == "message_delta":
            out: list[Event] = []
            usage = obj.get("usage")
            if isinstance(usage, dict):
                self.output_tokens = as_int(usage.get("output_tokens"))
                out.append(Usage(self.input_tokens, self.output_tokens))
            delta = obj.get("delta")
            reason = delta.get("stop_reason") if isinstance(delta, dict) else None
            if isinstance(reason, str):
                out.append(Finish(_FINISH.get(reason, reason)))
            return out
        elif kind == "message_stop":
            self.stopped = True
        return []

    def _block(self, index: int, block: dict[str, Any], *, streaming: bool) -> list[Event]:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            return [TextDelta(block["text"])]
        if kind == "thinking" and block.get("thinking"):
            return [ReasoningDelta(block["thinking"])]
        if kind == "tool_use":
            # Streamed tool_use starts with input {} and sends the JSON in deltas.
            raw = block.get("input")
            arguments = "" if streaming or raw is None else json.dumps(raw)
            return [
                ToolCallDelta(
                    self._tool(index),
                    id=block.get("id"),
                    name=block.get("name"),
                    arguments=arguments,
                )
            ]
        return []

    def _delta(self, index: int, delta: Any) -> list[Event]:
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [TextDelta(delta["text"])]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [ReasoningDelta(delta["thinking"])]
        if kind == "input_json_delta" and delta.get("partial_json"):
            return [ToolCallDelta(self._tool(index), arguments=delta["partial_json"])]
        return []  # signature_delta: only needed to send thinking back, which we do not.

    def message(self, obj: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        content = obj.get("content")
        for index, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, dict):
                out.extend(self._block(index, block, streaming=False))
        self._input_usage(obj.get("usage"))
        out.append(Usage(self.input_tokens, self.output_tokens))
        reason = obj.get("stop_reason")
        if isinstance(reason, str):
            out.append(Finish(_FINISH.get(reason, reason)))
        return out


# ---- the adapter ------------------------------------------------------------------------


class AnthropicAdapter(HttpAdapter):
    def url(self, path: str) -> str:
        return root_url(self.endpoint.base_url) + path

    def chat(self, req: ChatRequest, *, stream: bool = True) -> AsyncGenerator[Event, None]:
        body = messages_body(req, stream)
        return retry_stream(self.retry, lambda: self.run(body, req.model, stream))

    async def run(
        self, body: dict[str, Any], model: str, stream: bool
    ) -> AsyncGenerator[Event, None]:
        endpoint = self.endpoint
        parser = MessageParser()
        with map_errors(endpoint, model):
            async with open_response(
                self.client, endpoint, model, "POST", self.url("/v1/messages"), body=body
            ) as response:
                if not stream:
                    obj = parse_json(endpoint, model, await read_body(response))
                    if not isinstance(obj, dict) or obj.get("type") == "error":
                        raise stream_error(endpoint, model, obj)
                    for event in parser.message(obj):
                        yield event
                    return
                async for sse in sse_events(response):
                    obj = parse_object(endpoint, model, sse.data)
                    if sse.event == "error" or obj.get("type") == "error":
                        raise stream_error(endpoint, model, obj)
                    for event in parser.event(sse.event, obj):
                        yield event
                    if parser.stopped:
                        return
                raise bad_response(endpoint, model, "the stream ended before message_stop")

    # Unsupported requests fail when iterated, like every other request failure.
    async def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncGenerator[Event, None]:
        raise self.unsupported(req.model, "native fill-in-the-middle endpoint (use fim: chat)")
        yield  # makes this an async generator

    async def prompt(
        self, req: PromptRequest, *, stream: bool = False
    ) -> AsyncGenerator[Event, None]:
        raise self.unsupported(req.model, "plain completions endpoint (use fim: chat)")
        yield  # makes this an async generator

    async def embed(self, model: str, inputs: Sequence[str]) -> Embeddings:
        raise self.unsupported(model, "embeddings endpoint")

    async def list_models(self) -> list[DiscoveredModel]:
        models: list[DiscoveredModel] = []
        after: str | None = None
        for _page in range(50):  # bounded: a server that always says has_more cannot loop us
            params: dict[str, str | int] = {"limit": 1000}
            if after:
                params["after_id"] = after

            async def call(params: dict[str, str | int] = params) -> Any:
                with map_errors(self.endpoint, None):
                    return await self.get_json(self.url("/v1/models"), params=params)

            page = await retry_call(self.retry, call)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise bad_response(self.endpoint, None, "the model listing has no 'data' list")
            for item in data:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    n_ctx = item.get("max_input_tokens")
                    models.append(
                        DiscoveredModel(
                            item["id"], "chat", n_ctx if isinstance(n_ctx, int) else None
                        )
                    )
            after = page.get("last_id")
            if not page.get("has_more") or not isinstance(after, str):
                break
        return models
