"""Shared helpers: endpoints, recording mock transports, and the official request schemas."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from byok_ls.providers.registry import close_all
from byok_ls.providers.retry import RetryPolicy
from byok_ls.providers.types import Endpoint, Profile, WireFormat
from tests.fakes.contract import load_specs

KEY = "sk-test-0123456789abcdefghijklmnop"


def make_endpoint(
    wire_format: WireFormat = "openai",
    base_url: str = "https://api.example.com/v1",
    *,
    key: str | None = KEY,
    name: str = "Example (work)",
    **profile: Any,
) -> Endpoint:
    return Endpoint(
        provider_id="example",
        provider_name=name,
        wire_format=wire_format,
        base_url=base_url,
        api_key=key,
        profile=Profile(**profile),
    )


@dataclass
class Recorder:
    """A MockTransport handler that records requests and replays scripted responses."""

    responses: list[httpx.Response | Callable[[httpx.Request], httpx.Response]]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return item(request) if callable(item) else item

    @property
    def body(self) -> Any:
        return json.loads(self.requests[-1].content)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self), follow_redirects=False)


def sse(*events: Any, done: bool = True) -> bytes:
    """An SSE body: dicts become ``data:`` lines, (name, dict) pairs named events."""
    out = []
    for event in events:
        if isinstance(event, tuple):
            out.append(f"event: {event[0]}\ndata: {json.dumps(event[1])}\n\n")
        else:
            out.append(f"data: {json.dumps(event)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def sse_response(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "text/event-stream"})


async def no_sleep(_seconds: float) -> None:
    return None


FAST_RETRY = RetryPolicy(sleep=no_sleep)
NO_RETRY = RetryPolicy(max_retries=0)


async def collect(events: Any) -> list[Any]:
    return [e async for e in events]


# ---- official schemas ------------------------------------------------------------------


class Specs:
    """Request bodies checked against the official schemas (loaded once, by
    ``tests/fakes/contract.py``, from the shared specs folder beside the repository)."""

    def __init__(self) -> None:
        self._specs = load_specs()

    def openai(self, schema: str, body: Any) -> None:
        self._specs.assert_valid(f"urn:openai#/components/schemas/{schema}", body)

    def anthropic_messages(self, body: Any) -> None:
        self._specs.assert_valid("urn:anthropic#/components/schemas/CreateMessageParams", body)


@pytest.fixture(scope="session")
def specs() -> Iterator[Specs]:
    yield Specs()


@pytest.fixture(autouse=True)
async def _close_pooled_clients() -> AsyncIterator[None]:
    """Pooled clients belong to one event loop; each test gets a fresh loop."""
    yield
    await close_all()
