"""Mistral: OpenAI-shaped chat plus the Codestral FIM endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes import presets
from tests.fakes.http import RecordedRequest
from tests.fakes.openai import OpenAIFlavor
from tests.fakes.scripts import DEFAULT_COMPLETION_TEXT, Reply
from tests.fakes.server import Exchange, Route


@dataclass
class MistralFlavor(OpenAIFlavor):
    name: str = "mistral"
    models: list[str] = field(
        default_factory=lambda: ["codestral-latest", "mistral-small-latest", "mistral-large-latest"]
    )
    owned_by: str = "mistralai"
    # Mistral attaches usage to the last chunk of every stream, no stream_options needed.
    usage_in_last_chunk: bool = True
    request_id_header: str = "mistral-correlation-id"
    invalid_key: Callable[[], Reply] = presets.mistral_invalid_key
    missing_key: Callable[[], Reply] = presets.mistral_invalid_key

    def routes(self) -> dict[tuple[str, str], Route]:
        table = super().routes()
        table[("POST", "/v1/fim/completions")] = Route(self.fim)
        return table

    def contract_kind(self, req: RecordedRequest) -> str | None:
        if req.method == "POST" and req.path == "/v1/fim/completions":
            return "mistral.fim"
        return super().contract_kind(req)

    def not_found(self, req: RecordedRequest) -> Reply:
        return Reply(status=404, body={"detail": "Not Found"})

    async def fim(self, ex: Exchange, reply: Reply) -> None:
        # The FIM answer is shaped like a chat completion (message / delta.content).
        await self.send_chat(ex, reply, DEFAULT_COMPLETION_TEXT)
