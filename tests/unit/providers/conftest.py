"""Shared helpers: endpoints, recording mock transports, and the official request schemas."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from byok_ls.providers.registry import close_all
from byok_ls.providers.retry import RetryPolicy
from byok_ls.providers.types import Endpoint, Profile, WireFormat

SPECS = Path("/work/shared/specs")
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
    """Validators for request bodies, with $refs resolved over the whole document."""

    def __init__(self) -> None:
        with open(SPECS / "openai-openapi.yaml", "rb") as f:
            openai = yaml.load(f, Loader=yaml.CSafeLoader)
        anthropic = json.loads((SPECS / "anthropic-openapi.json").read_text())
        self.registry: Registry[Any] = Registry().with_resources(
            [
                ("urn:openai", Resource.from_contents(openai, default_specification=DRAFT202012)),
                (
                    "urn:anthropic",
                    Resource.from_contents(anthropic, default_specification=DRAFT202012),
                ),
            ]
        )

    def validator(self, ref: str) -> jsonschema.protocols.Validator:
        return jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)

    def check(self, ref: str, body: Any) -> None:
        errors = sorted(self.validator(ref).iter_errors(body), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5])

    def openai(self, schema: str, body: Any) -> None:
        self.check(f"urn:openai#/components/schemas/{schema}", body)

    def anthropic_messages(self, body: Any) -> None:
        self.check("urn:anthropic#/components/schemas/CreateMessageParams", body)


@pytest.fixture(scope="session")
def specs() -> Iterator[Specs]:
    yield Specs()


@pytest.fixture(autouse=True)
async def _close_pooled_clients() -> AsyncIterator[None]:
    """Pooled clients belong to one event loop; each test gets a fresh loop."""
    yield
    await close_all()
