"""OpenAI wire format (and the vendors that speak it, as declarative options)."""

from __future__ import annotations

import hashlib
import itertools
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import presets
from tests.fakes.http import Headers, RecordedRequest, dumps
from tests.fakes.scripts import (
    DEFAULT_CHAT_TEXT,
    DEFAULT_COMPLETION_TEXT,
    Reply,
    ToolCall,
    estimate_tokens,
    split_text,
)
from tests.fakes.server import Exchange, Route

DONE = b"data: [DONE]\n\n"


def sse(obj: Any) -> bytes:
    return b"data: " + dumps(obj) + b"\n\n"


def prompt_tokens_of(body: dict[str, Any]) -> int:
    keys = ("messages", "prompt", "suffix", "input", "system", "input_prefix", "input_suffix")
    return estimate_tokens("".join(dumps(body.get(k)).decode() for k in keys if k in body))


def reply_content(reply: Reply, default: str) -> str:
    """The text the model answers; a pure tool-call turn has none unless scripted."""
    if reply.text is None and reply.tool_calls and not reply.huge_bytes:
        return ""
    return reply.resolved_text(default)


def completion_tokens_of(reply: Reply, text: str) -> int:
    extra = (reply.reasoning or "") + "".join(tc.name + tc.arguments for tc in reply.tool_calls)
    return estimate_tokens(text + extra)


def fake_embedding(text: str, dims: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dims * 2:
        digest += hashlib.sha256(digest).digest()
    raw = struct.unpack(f"<{dims}H", digest[: dims * 2])
    return [round(v / 32768.0 - 1.0, 6) for v in raw]


@dataclass
class OpenAIFlavor:
    """OpenAI-compatible endpoints; vendor quirks are options, not branches on a name."""

    name: str = "openai"
    api_path: str = "/v1"
    prefixes: tuple[str, ...] = ("/v1",)
    models: list[str] = field(
        default_factory=lambda: ["gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo-instruct"]
    )
    owned_by: str = "system"
    model_extra: dict[str, Any] = field(default_factory=dict)
    # DeepSeek: "reasoning_content"; OpenRouter: "reasoning".
    reasoning_field: str | None = None
    keepalive_comments: bool = False
    processing_comments: bool = False
    beta_fim: bool = False
    # Mistral and DeepSeek put usage on the last content chunk rather than a separate one.
    usage_in_last_chunk: bool = False
    # OpenRouter signals a broken upstream with a chunk carrying `error` and finish "error".
    chunk_error_style: bool = False
    embedding_dims: int = 8
    request_id_header: str = "x-request-id"
    invalid_key: Callable[[], Reply] = presets.openai_invalid_key
    missing_key: Callable[[], Reply] = presets.openai_missing_key
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Call ids are unique for the server's life, as the real API's are: a conversation that
    # goes on over several turns never sees the same id twice.
    _tool_ids: itertools.count[int] = field(default_factory=itertools.count)

    def tool_call_id(self, tc: ToolCall) -> str:
        return tc.id or f"call_fake{next(self._tool_ids):04d}"

    # -- Flavor protocol ---------------------------------------------------------------

    def routes(self) -> dict[tuple[str, str], Route]:
        table: dict[tuple[str, str], Route] = {}
        for p in self.prefixes:
            table[("POST", f"{p}/chat/completions")] = Route(self.chat)
            table[("POST", f"{p}/completions")] = Route(self.completions)
            table[("POST", f"{p}/embeddings")] = Route(self.embeddings)
            table[("GET", f"{p}/models")] = Route(self.list_models, generative=False)
        if self.beta_fim:
            table[("POST", "/beta/completions")] = Route(self.completions)
        return table

    def auth_failure(self, req: RecordedRequest, expect_key: str) -> Reply | None:
        auth = req.header("authorization")
        if not auth or not auth.lower().startswith("bearer "):
            return self.missing_key()
        if auth[7:].strip() != expect_key:
            return self.invalid_key()
        return None

    def not_found(self, req: RecordedRequest) -> Reply:
        msg = f"Invalid URL ({req.method} {req.path})"
        body = {
            "error": {"message": msg, "type": "invalid_request_error", "param": None, "code": None}
        }
        return Reply(status=404, body=body)

    def contract_kind(self, req: RecordedRequest) -> str | None:
        if req.method != "POST":
            return None
        if req.path == "/beta/completions" and self.beta_fim:
            return "openai.completion"
        for p in self.prefixes:
            kind = {
                f"{p}/chat/completions": "openai.chat",
                f"{p}/completions": "openai.completion",
                f"{p}/embeddings": "openai.embedding",
            }.get(req.path)
            if kind:
                return kind
        return None

    def response_headers(self, req: RecordedRequest) -> Headers:
        return [
            (self.request_id_header, f"req_fake{next(self._ids):08d}"),
            ("openai-processing-ms", "12"),
            ("x-ratelimit-limit-requests", "10000"),
            ("x-ratelimit-remaining-requests", "9999"),
            ("x-ratelimit-reset-requests", "6ms"),
            ("x-ratelimit-reset-tokens", "0s"),
        ]

    def error_frame(self, payload: Any) -> bytes:
        if self.chunk_error_style:
            obj = {
                "id": "gen-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.models[0],
                "error": payload,
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
            }
            return sse(obj)
        return sse(payload)

    # -- framing helpers ---------------------------------------------------------------

    def _preamble(self) -> list[bytes]:
        frames: list[bytes] = []
        if self.processing_comments:
            frames += [b": OPENROUTER PROCESSING\n\n", b": OPENROUTER PROCESSING\n\n"]
        if self.keepalive_comments:
            frames.append(b": keep-alive\n\n")
        return frames

    def _with_keepalive(self, frames: list[bytes]) -> list[bytes]:
        if not self.keepalive_comments or len(frames) < 2:
            return frames
        # A lone blank line between events is legal SSE and DeepSeek sends them.
        return [frames[0], b"\n", b": keep-alive\n\n", *frames[1:]]

    @staticmethod
    def _usage(prompt: int, completion: int, reply: Reply) -> dict[str, Any]:
        if reply.usage is not None:
            prompt, completion = reply.usage.input_tokens, reply.usage.output_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": estimate_tokens(reply.reasoning) if reply.reasoning else 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _model(self, ex: Exchange, reply: Reply) -> str:
        model = reply.model or ex.body.get("model")
        return model if isinstance(model, str) else self.models[0]

    # -- chat --------------------------------------------------------------------------

    async def chat(self, ex: Exchange, reply: Reply) -> None:
        await self.send_chat(ex, reply, DEFAULT_CHAT_TEXT)

    async def send_chat(self, ex: Exchange, reply: Reply, default_text: str) -> None:
        body = ex.body
        text = reply_content(reply, default_text)
        usage = self._usage(prompt_tokens_of(body), completion_tokens_of(reply, text), reply)
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        cid = f"chatcmpl-fake{next(self._ids):06d}"
        model = self._model(ex, reply)
        if not body.get("stream"):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": text if text or not reply.tool_calls else None,
                "refusal": None,
                "annotations": [],
            }
            if reply.reasoning is not None and self.reasoning_field:
                message[self.reasoning_field] = reply.reasoning
            if reply.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": self.tool_call_id(tc),
                        "type": "function",
                        "function": {"name": tc.name, "arguments": tc.arguments},
                    }
                    for i, tc in enumerate(reply.tool_calls)
                ]
            obj = {
                "id": cid,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            }
            prefix = b"\n\n" if self.keepalive_comments else b""
            await ex.send_json(200, obj, reply, prefix=prefix)
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
        }
        if include_usage and not self.usage_in_last_chunk:
            base["usage"] = None

        def frame(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return sse({**base, "choices": [choice]})

        rf = self.reasoning_field
        first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
        if rf:
            first = {"role": "assistant", "content": None, rf: ""}
        frames = [frame(first)]
        if reply.reasoning and rf:
            frames += [
                frame({"content": None, rf: p}) for p in split_text(reply.reasoning, reply.chunks)
            ]
        for piece in split_text(text, reply.chunks):
            delta: dict[str, Any] = {"content": piece}
            if rf:
                delta[rf] = None
            frames.append(frame(delta))
        for i, tc in enumerate(reply.tool_calls):
            head = {
                "index": i,
                "id": self.tool_call_id(tc),
                "type": "function",
                "function": {"name": tc.name, "arguments": ""},
            }
            frames.append(frame({"tool_calls": [head]}))
            for frag in split_text(tc.arguments, tc.fragments):
                frames.append(
                    frame({"tool_calls": [{"index": i, "function": {"arguments": frag}}]})
                )
        last = {
            **base,
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}],
        }
        if self.usage_in_last_chunk:
            last["usage"] = usage
        frames.append(sse(last))
        if include_usage and not self.usage_in_last_chunk:
            frames.append(sse({**base, "choices": [], "usage": usage}))
        frames = self._preamble() + self._with_keepalive(frames)
        await ex.send_stream(frames, reply, terminator=[DONE])

    # -- legacy completions (FIM with `suffix`) ----------------------------------------

    async def completions(self, ex: Exchange, reply: Reply) -> None:
        body = ex.body
        text = reply.resolved_text(DEFAULT_COMPLETION_TEXT)
        usage = self._usage(prompt_tokens_of(body), completion_tokens_of(reply, text), reply)
        usage = {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        finish = reply.finish_reason or "stop"
        base: dict[str, Any] = {
            "id": f"cmpl-fake{next(self._ids):06d}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self._model(ex, reply),
            "system_fingerprint": "fp_fake",
        }
        if not body.get("stream"):
            choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
            prefix = b"\n\n" if self.keepalive_comments else b""
            await ex.send_json(
                200, {**base, "choices": [choice], "usage": usage}, reply, prefix=prefix
            )
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def frame(piece: str, finish_reason: str | None) -> bytes:
            choice = {"text": piece, "index": 0, "logprobs": None, "finish_reason": finish_reason}
            return sse({**base, "choices": [choice]})

        frames = [frame(p, None) for p in split_text(text, reply.chunks)]
        last = {
            **base,
            "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": finish}],
        }
        if self.usage_in_last_chunk:
            last["usage"] = usage
        frames.append(sse(last))
        if include_usage and not self.usage_in_last_chunk:
            frames.append(sse({**base, "choices": [], "usage": usage}))
        frames = self._preamble() + self._with_keepalive(frames)
        await ex.send_stream(frames, reply, terminator=[DONE])

    # -- embeddings and models ---------------------------------------------------------

    async def embeddings(self, ex: Exchange, reply: Reply) -> None:
        raw = ex.body.get("input", "")
        inputs = raw if isinstance(raw, list) else [raw]
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": fake_embedding(str(x), self.embedding_dims),
            }
            for i, x in enumerate(inputs)
        ]
        tokens = estimate_tokens("".join(map(str, inputs)))
        obj = {
            "object": "list",
            "data": data,
            "model": self._model(ex, reply),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        await ex.send_json(200, obj, reply)

    async def list_models(self, ex: Exchange, reply: Reply) -> None:
        data = [
            {
                "id": m,
                "object": "model",
                "created": 1715367049,
                "owned_by": self.owned_by,
                **self.model_extra,
            }
            for m in self.models
        ]
        await ex.send_json(200, {"object": "list", "data": data}, reply)
