"""Ollama's native API (NDJSON streams) plus its OpenAI-compatible /v1 paths."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes import presets
from tests.fakes.http import Headers, RecordedRequest, dumps
from tests.fakes.openai import (
    OpenAIFlavor,
    completion_tokens_of,
    fake_embedding,
    prompt_tokens_of,
    reply_content,
)
from tests.fakes.scripts import DEFAULT_CHAT_TEXT, DEFAULT_COMPLETION_TEXT, Reply, split_text
from tests.fakes.server import Exchange, Route

NDJSON = "application/x-ndjson"
JSON_CT = "application/json; charset=utf-8"


def ndjson(obj: Any) -> bytes:
    return dumps(obj) + b"\n"


def created_at() -> str:
    # Ollama prints nanosecond timestamps; Python has microseconds, so pad like Go would.
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


@dataclass
class OllamaFlavor:
    name: str = "ollama"
    api_path: str = ""
    models: list[str] = field(default_factory=lambda: ["qwen2.5-coder:1.5b", "llama3.2:latest"])
    architecture: str = "qwen2"
    context_length: int = 32768
    # Ollama answers an unknown model with 404; off by default so any model name works.
    strict_models: bool = False
    openai: OpenAIFlavor = field(init=False)

    def __post_init__(self) -> None:
        self.openai = OpenAIFlavor(name="ollama", models=self.models, owned_by="library")

    def routes(self) -> dict[tuple[str, str], Route]:
        table = dict(self.openai.routes())
        table.update(
            {
                ("GET", "/"): Route(self.root, generative=False),
                ("GET", "/api/version"): Route(self.version, generative=False),
                ("GET", "/api/tags"): Route(self.tags, generative=False),
                ("POST", "/api/show"): Route(self.show, generative=False),
                ("POST", "/api/embed"): Route(self.embed),
                ("POST", "/api/generate"): Route(self.generate),
                ("POST", "/api/chat"): Route(self.chat),
            }
        )
        return table

    def auth_failure(self, req: RecordedRequest, expect_key: str) -> Reply | None:
        return None  # Ollama has no authentication.

    def not_found(self, req: RecordedRequest) -> Reply:
        return Reply(status=404, body="404 page not found")

    def contract_kind(self, req: RecordedRequest) -> str | None:
        native = {
            "/api/generate": "ollama.generate",
            "/api/chat": "ollama.chat",
            "/api/embed": "ollama.embed",
            "/api/show": "ollama.show",
        }
        if req.method == "POST" and req.path in native:
            return native[req.path]
        return self.openai.contract_kind(req)

    def response_headers(self, req: RecordedRequest) -> Headers:
        return []

    def error_frame(self, payload: Any) -> bytes:
        return ndjson(payload if isinstance(payload, dict) else {"error": str(payload)})

    # -- helpers -----------------------------------------------------------------------

    def _unknown_model(self, ex: Exchange) -> Reply | None:
        model = ex.body.get("model")
        if self.strict_models and model not in self.models and f"{model}:latest" not in self.models:
            return presets.ollama_model_not_found(str(model))
        return None

    @staticmethod
    def _final_stats(ex: Exchange, reply: Reply, text: str) -> dict[str, Any]:
        prompt, out = prompt_tokens_of(ex.body), completion_tokens_of(reply, text)
        if reply.usage is not None:
            prompt, out = reply.usage.input_tokens, reply.usage.output_tokens
        finish = reply.finish_reason or "stop"
        return {
            "done_reason": "length" if finish == "length" else finish,
            "done": True,
            "total_duration": 1_234_567,
            "load_duration": 12_345,
            "prompt_eval_count": prompt,
            "prompt_eval_duration": 234_567,
            "eval_count": out,
            "eval_duration": 987_654,
        }

    async def _play(
        self, ex: Exchange, reply: Reply, lines: list[dict[str, Any]], final: dict[str, Any]
    ) -> None:
        # Ollama streams unless told `"stream": false`.
        if ex.body.get("stream", True):
            frames = [ndjson(x) for x in [*lines, final]]
            await ex.send_stream(frames, reply, content_type=NDJSON)
        else:
            await ex.send_json(200, final, reply, headers=ex.base_headers(JSON_CT))

    # -- endpoints ---------------------------------------------------------------------

    async def generate(self, ex: Exchange, reply: Reply) -> None:
        if (bad := self._unknown_model(ex)) is not None:
            await ex.prelude(bad)
            return
        model = reply.model or ex.body.get("model", self.models[0])
        text = reply.resolved_text(DEFAULT_COMPLETION_TEXT)
        base = {"model": model, "created_at": created_at()}
        lines: list[dict[str, Any]] = []
        if reply.reasoning:
            lines += [
                {**base, "response": "", "thinking": p, "done": False}
                for p in split_text(reply.reasoning, reply.chunks)
            ]
        lines += [{**base, "response": p, "done": False} for p in split_text(text, reply.chunks)]
        final = {**base, "response": "", **self._final_stats(ex, reply, text), "context": [1, 2, 3]}
        if not ex.body.get("stream", True):
            final["response"] = text
            if reply.reasoning:
                final["thinking"] = reply.reasoning
        await self._play(ex, reply, lines, final)

    async def chat(self, ex: Exchange, reply: Reply) -> None:
        if (bad := self._unknown_model(ex)) is not None:
            await ex.prelude(bad)
            return
        model = reply.model or ex.body.get("model", self.models[0])
        text = reply_content(reply, DEFAULT_CHAT_TEXT)
        base = {"model": model, "created_at": created_at()}

        def line(**message: Any) -> dict[str, Any]:
            return {**base, "message": {"role": "assistant", **message}, "done": False}

        lines: list[dict[str, Any]] = []
        if reply.reasoning:
            lines += [
                line(content="", thinking=p) for p in split_text(reply.reasoning, reply.chunks)
            ]
        lines += [line(content=p) for p in split_text(text, reply.chunks)]
        calls = [
            {"function": {"name": tc.name, "arguments": json.loads(tc.arguments or "{}")}}
            for tc in reply.tool_calls
        ]
        if calls:
            lines.append(line(content="", tool_calls=calls))
        final_message: dict[str, Any] = {"role": "assistant", "content": ""}
        if not ex.body.get("stream", True):
            final_message["content"] = text
            if reply.reasoning:
                final_message["thinking"] = reply.reasoning
            if calls:
                final_message["tool_calls"] = calls
        final = {**base, "message": final_message, **self._final_stats(ex, reply, text)}
        await self._play(ex, reply, lines, final)

    async def embed(self, ex: Exchange, reply: Reply) -> None:
        raw = ex.body.get("input", "")
        inputs = raw if isinstance(raw, list) else [raw]
        obj = {
            "model": ex.body.get("model"),
            "embeddings": [fake_embedding(str(x), 8) for x in inputs],
            "total_duration": 14_143_917,
            "load_duration": 1_019_500,
            "prompt_eval_count": prompt_tokens_of(ex.body),
        }
        await ex.send_json(200, obj, reply, headers=ex.base_headers(JSON_CT))

    async def tags(self, ex: Exchange, reply: Reply) -> None:
        models = [
            {
                "name": m,
                "model": m,
                "modified_at": "2025-05-01T10:00:00.000000000Z",
                "size": 986_061_892,
                "digest": f"{abs(hash(m)) % 16**12:012x}" + "0" * 52,
                "details": self._details(),
            }
            for m in self.models
        ]
        await ex.send_json(200, {"models": models}, reply, headers=ex.base_headers(JSON_CT))

    def _details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.architecture,
            "families": [self.architecture],
            "parameter_size": "1.5B",
            "quantization_level": "Q4_K_M",
        }

    async def show(self, ex: Exchange, reply: Reply) -> None:
        if (bad := self._unknown_model(ex)) is not None:
            await ex.prelude(bad)
            return
        arch = self.architecture
        obj = {
            "modelfile": "# Modelfile generated by the fake\nFROM fake\n",
            "parameters": 'stop                           "<|endoftext|>"',
            "template": (
                "{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}"
                "<|fim_middle|>{{- else }}{{ .Prompt }}{{- end }}"
            ),
            "details": self._details(),
            "model_info": {
                "general.architecture": arch,
                "general.parameter_count": 1_543_714_304,
                f"{arch}.context_length": self.context_length,
                f"{arch}.embedding_length": 1536,
                f"{arch}.block_count": 28,
            },
            "capabilities": ["completion", "tools", "insert"],
            "modified_at": "2025-05-01T10:00:00.000000000Z",
        }
        await ex.send_json(200, obj, reply, headers=ex.base_headers(JSON_CT))

    async def version(self, ex: Exchange, reply: Reply) -> None:
        await ex.send_json(200, {"version": "0.9.6"}, reply, headers=ex.base_headers(JSON_CT))

    async def root(self, ex: Exchange, reply: Reply) -> None:
        await ex.send_body(
            200, b"Ollama is running", ex.base_headers("text/plain; charset=utf-8"), reply
        )
