"""llama.cpp server: native /infill and /completion, plus its OpenAI-compatible paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes import presets
from tests.fakes.http import Headers, RecordedRequest
from tests.fakes.openai import OpenAIFlavor, completion_tokens_of, prompt_tokens_of, sse
from tests.fakes.scripts import DEFAULT_COMPLETION_TEXT, Reply, split_text
from tests.fakes.server import Exchange, Route

STOP_TYPES = {"stop": "eos", "length": "limit"}


@dataclass
class LlamaCppFlavor:
    name: str = "llamacpp"
    api_path: str = ""
    model: str = "qwen2.5-coder-1.5b-q8_0.gguf"
    n_ctx: int = 4096
    n_ctx_train: int = 32768
    #: Router mode (``--models-dir``): every generation request must name its model, and
    #: ``/props`` without ``?model=`` has no context size.
    router: bool = False
    openai: OpenAIFlavor = field(init=False)

    def __post_init__(self) -> None:
        meta = {
            "meta": {
                "vocab_type": 2,
                "n_vocab": 151936,
                "n_ctx_train": self.n_ctx_train,
                "n_embd": 1536,
                "n_params": 1_543_714_304,
                "size": 1_640_000_000,
            }
        }
        # llama.cpp answers the OpenAI paths both with and without the /v1 prefix.
        self.openai = OpenAIFlavor(
            name="llamacpp",
            prefixes=("/v1", ""),
            models=[self.model],
            owned_by="llamacpp",
            model_extra=meta,
            # llama-server's default --reasoning-format puts thinking in reasoning_content.
            reasoning_field="reasoning_content",
            invalid_key=presets.llamacpp_invalid_key,
            missing_key=presets.llamacpp_invalid_key,
        )

    def routes(self) -> dict[tuple[str, str], Route]:
        table = dict(self.openai.routes())
        table.update(
            {
                ("POST", "/infill"): Route(self.infill),
                ("POST", "/completion"): Route(self.completion),
                ("GET", "/health"): Route(self.health, generative=False),
                ("GET", "/v1/health"): Route(self.health, generative=False),
                ("GET", "/props"): Route(self.props, generative=False),
            }
        )
        return table

    def auth_failure(self, req: RecordedRequest, expect_key: str) -> Reply | None:
        if req.path in ("/health", "/v1/health", "/v1/models", "/models"):
            return None  # public endpoints, as in llama-server
        return self.openai.auth_failure(req, expect_key)

    def not_found(self, req: RecordedRequest) -> Reply:
        body = {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}
        return Reply(status=404, body=body)

    def contract_kind(self, req: RecordedRequest) -> str | None:
        if req.method == "POST" and req.path == "/infill":
            return "llamacpp.infill"
        if req.method == "POST" and req.path == "/completion":
            return "llamacpp.completion"
        return self.openai.contract_kind(req)

    def response_headers(self, req: RecordedRequest) -> Headers:
        return [("server", "llama.cpp"), ("access-control-allow-origin", "")]

    def error_frame(self, payload: Any) -> bytes:
        return b"error: " + sse(payload)[len(b"data: ") :]

    async def _router_refuses(self, ex: Exchange, reply: Reply) -> bool:
        """llama-server's router answer to a request that names no model."""
        if not self.router or ex.body.get("model"):
            return False
        message = "model name is missing from the request"
        error = {"code": 400, "message": message, "type": "invalid_request_error"}
        await ex.send_json(400, {"error": error}, reply)
        return True

    async def infill(self, ex: Exchange, reply: Reply) -> None:
        if await self._router_refuses(ex, reply):
            return
        b = ex.body
        prompt = (
            f"<|fim_prefix|>{b.get('input_prefix', '')}<|fim_suffix|>"
            f"{b.get('input_suffix', '')}<|fim_middle|>{b.get('prompt', '')}"
        )
        await self._generate(ex, reply, prompt)

    async def completion(self, ex: Exchange, reply: Reply) -> None:
        if await self._router_refuses(ex, reply):
            return
        prompt = ex.body.get("prompt", "")
        await self._generate(ex, reply, prompt if isinstance(prompt, str) else str(prompt))

    async def _generate(self, ex: Exchange, reply: Reply, prompt: str) -> None:
        body = ex.body
        text = reply.resolved_text(DEFAULT_COMPLETION_TEXT)
        evaluated, predicted = prompt_tokens_of(body), completion_tokens_of(reply, text)
        if reply.usage is not None:
            evaluated, predicted = reply.usage.input_tokens, reply.usage.output_tokens
        finish = reply.finish_reason or "stop"
        final: dict[str, Any] = {
            "index": 0,
            "content": text,
            "tokens": [],
            "id_slot": 0,
            "stop": True,
            "model": self.model,
            "tokens_predicted": predicted,
            "tokens_evaluated": evaluated,
            "generation_settings": {
                "n_predict": body.get("n_predict", -1),
                "temperature": body.get("temperature", 0.8),
                "stop": body.get("stop", []),
            },
            "prompt": prompt,
            "has_new_line": "\n" in text,
            "truncated": False,
            "stop_type": STOP_TYPES.get(finish, finish),
            "stopping_word": "",
            "tokens_cached": evaluated,
            "timings": {
                "prompt_n": evaluated,
                "prompt_ms": 12.5,
                "predicted_n": predicted,
                "predicted_ms": 40.1,
            },
        }
        if not body.get("stream"):
            await ex.send_json(200, final, reply)
            return
        pieces = split_text(text, reply.chunks)
        frames = [
            sse(
                {
                    "index": 0,
                    "content": p,
                    "tokens": [1000 + i],
                    "stop": False,
                    "id_slot": -1,
                    "tokens_predicted": i + 1,
                    "tokens_evaluated": evaluated,
                }
            )
            for i, p in enumerate(pieces)
        ]
        frames.append(sse({**final, "content": ""}))
        await ex.send_stream(frames, reply)

    async def health(self, ex: Exchange, reply: Reply) -> None:
        await ex.send_json(200, {"status": "ok"}, reply)

    async def props(self, ex: Exchange, reply: Reply) -> None:
        asked = ex.req.query.get("model", [""])[0]
        n_ctx = 0 if self.router and asked != self.model else self.n_ctx
        obj = {
            "default_generation_settings": {"n_ctx": n_ctx, "params": {"n_predict": -1}},
            "total_slots": 1,
            "model_path": f"/models/{self.model}",
            "chat_template": "",
            "build_info": "b5000-fake",
        }
        await ex.send_json(200, obj, reply)
