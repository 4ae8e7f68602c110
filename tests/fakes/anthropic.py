"""Anthropic Messages API wire format."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import presets
from tests.fakes.http import Headers, RecordedRequest, dumps
from tests.fakes.openai import completion_tokens_of, prompt_tokens_of, reply_content
from tests.fakes.scripts import DEFAULT_CHAT_TEXT, Reply, ToolCall, split_text
from tests.fakes.server import Exchange, Route

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}

DEFAULT_MODELS = [
    ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
    ("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22T00:00:00Z"),
    ("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24T00:00:00Z"),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
]


def event(name: str, obj: Any) -> bytes:
    return f"event: {name}\n".encode() + b"data: " + dumps(obj) + b"\n\n"


@dataclass
class AnthropicFlavor:
    name: str = "anthropic"
    api_path: str = ""
    models: list[tuple[str, str, str]] = field(default_factory=lambda: list(DEFAULT_MODELS))
    # Anthropic sends a ping right after the first content_block_start.
    ping: bool = True
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Unique for the server's life: Anthropic refuses a conversation with a tool_use id twice.
    _tool_ids: itertools.count[int] = field(default_factory=itertools.count)

    def routes(self) -> dict[tuple[str, str], Route]:
        return {
            ("POST", "/v1/messages"): Route(self.messages),
            ("GET", "/v1/models"): Route(self.list_models, generative=False),
        }

    def auth_failure(self, req: RecordedRequest, expect_key: str) -> Reply | None:
        key = req.header("x-api-key")
        if not key:
            return presets.anthropic_missing_key()
        if key != expect_key:
            return presets.anthropic_invalid_key()
        if not req.header("anthropic-version"):
            return presets.anthropic_missing_version()
        return None

    def not_found(self, req: RecordedRequest) -> Reply:
        body = {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}}
        return Reply(status=404, body=body)

    def contract_kind(self, req: RecordedRequest) -> str | None:
        if req.path.startswith("/v1/"):
            return (
                "anthropic.messages"
                if req.method == "POST" and req.path == "/v1/messages"
                else "anthropic.other"
            )
        return None

    def response_headers(self, req: RecordedRequest) -> Headers:
        return [
            ("request-id", f"req_fake{next(self._ids):020d}"),
            ("anthropic-organization-id", "00000000-0000-0000-0000-000000000000"),
            ("via", "1.1 google"),
        ]

    def error_frame(self, payload: Any) -> bytes:
        return event("error", payload)

    async def messages(self, ex: Exchange, reply: Reply) -> None:
        body = ex.body
        text = reply_content(reply, DEFAULT_CHAT_TEXT)
        model = reply.model or body.get("model") or self.models[0][0]
        input_tokens, output_tokens = prompt_tokens_of(body), completion_tokens_of(reply, text)
        if reply.usage is not None:
            input_tokens, output_tokens = reply.usage.input_tokens, reply.usage.output_tokens
        stop = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        stop_reason = STOP_REASONS.get(stop, stop)
        msg_id = f"msg_fake{next(self._ids):020d}"
        signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
        blocks: list[dict[str, Any]] = []
        tools: list[ToolCall | None] = []
        if reply.reasoning is not None:
            blocks.append({"type": "thinking", "thinking": reply.reasoning, "signature": signature})
            tools.append(None)
        if text or not reply.tool_calls:
            blocks.append({"type": "text", "text": text})
            tools.append(None)
        for tc in reply.tool_calls:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": tc.id or f"toolu_fake{next(self._tool_ids):04d}",
                    "name": tc.name,
                    "input": json.loads(tc.arguments or "{}"),
                }
            )
            tools.append(tc)
        usage = {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }
        message = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            await ex.send_json(200, message, reply)
            return
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**usage, "output_tokens": 1},
        }
        frames = [event("message_start", {"type": "message_start", "message": start})]
        for index, (block, tool) in enumerate(zip(blocks, tools, strict=True)):
            frames += self._block_frames(index, block, tool, reply)
            if index == 0 and self.ping:
                frames.insert(2, event("ping", {"type": "ping"}))
        frames.append(
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": output_tokens},
                },
            )
        )
        frames.append(event("message_stop", {"type": "message_stop"}))
        await ex.send_stream(frames, reply)

    @staticmethod
    def _block_frames(
        index: int, block: dict[str, Any], tc: ToolCall | None, reply: Reply
    ) -> list[bytes]:
        def delta(d: dict[str, Any]) -> bytes:
            return event(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}
            )

        kind = block["type"]
        frames: list[bytes] = []
        if kind == "thinking":
            empty: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            pieces = [
                delta({"type": "thinking_delta", "thinking": p})
                for p in split_text(block["thinking"], reply.chunks)
            ]
            pieces.append(delta({"type": "signature_delta", "signature": block["signature"]}))
        elif kind == "text":
            empty = {"type": "text", "text": ""}
            pieces = [
                delta({"type": "text_delta", "text": p})
                for p in split_text(block["text"], reply.chunks)
            ]
        else:
            assert tc is not None
            empty = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            pieces = [delta({"type": "input_json_delta", "partial_json": ""})]
            pieces += [
                delta({"type": "input_json_delta", "partial_json": p})
                for p in split_text(tc.arguments, tc.fragments)
            ]
        frames.append(
            event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": empty},
            )
        )
        frames += pieces
        frames.append(event("content_block_stop", {"type": "content_block_stop", "index": index}))
        return frames

    async def list_models(self, ex: Exchange, reply: Reply) -> None:
        q = ex.req.query
        limit = int(q.get("limit", ["20"])[0])
        ids = [m[0] for m in self.models]
        start = 0
        if "after_id" in q and q["after_id"][0] in ids:
            start = ids.index(q["after_id"][0]) + 1
        end = len(ids)
        if "before_id" in q and q["before_id"][0] in ids:
            end = ids.index(q["before_id"][0])
            start = max(start, end - limit)
        page = self.models[start : min(end, start + limit)]
        data = [{"type": "model", "id": i, "display_name": n, "created_at": c} for i, n, c in page]
        obj = {
            "data": data,
            "has_more": start + limit < end,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
        await ex.send_json(200, obj, reply)
