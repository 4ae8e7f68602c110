"""The one interface every wire-format adapter implements, and helpers they share."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import httpx

from byok_ls.errors import ErrorKind

from .errors import MAX_DETAIL, bad_response, make_error, map_errors, quote
from .http import body_chunks, client_for, open_response, read_body
from .retry import DEFAULT_RETRY, RetryPolicy
from .sse import NDJSONSplitter, SSEEvent, SSEParser
from .types import (
    ChatRequest,
    DiscoveredModel,
    Embeddings,
    Endpoint,
    Event,
    FimRequest,
    PromptRequest,
)

#: Longest piece of a body that is not JSON quoted in a message.
SNIPPET = 80


class Adapter(Protocol):
    """A provider reached through one wire format, speaking normalized events."""

    endpoint: Endpoint

    def chat(self, req: ChatRequest, *, stream: bool = True) -> AsyncIterator[Event]: ...

    def fim(self, req: FimRequest, *, stream: bool = False) -> AsyncIterator[Event]: ...

    def prompt(self, req: PromptRequest, *, stream: bool = False) -> AsyncIterator[Event]: ...

    async def embed(self, model: str, inputs: Sequence[str]) -> Embeddings: ...

    async def list_models(self) -> list[DiscoveredModel]: ...


class HttpAdapter:
    """State and plumbing common to the adapters: endpoint, client, retry policy."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.endpoint = endpoint
        self._client = client
        self.retry = retry

    @property
    def client(self) -> httpx.AsyncClient:
        # Resolved lazily so an adapter can be built outside a running event loop.
        return self._client if self._client is not None else client_for(self.endpoint)

    def unsupported(self, model: str | None, what: str) -> Exception:
        who = self.endpoint.provider_name
        return make_error(
            self.endpoint,
            model,
            ErrorKind.BAD_REQUEST,
            f"{who} ({self.endpoint.wire_format} format) has no {what}: pick another way in "
            "the model's settings (Configure Providers).",
        )

    async def get_json(
        self, url: str, *, model: str | None = None, params: Mapping[str, str | int] | None = None
    ) -> Any:
        with map_errors(self.endpoint, model):
            async with open_response(
                self.client, self.endpoint, model, "GET", url, params=params
            ) as response:
                return parse_json(self.endpoint, model, await read_body(response))

    async def post_json(self, url: str, body: Mapping[str, Any], *, model: str | None) -> Any:
        with map_errors(self.endpoint, model):
            async with open_response(
                self.client, self.endpoint, model, "POST", url, body=body
            ) as response:
                return parse_json(self.endpoint, model, await read_body(response))


def parse_json(endpoint: Endpoint, model: str | None, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        snippet = quote(endpoint, raw[:MAX_DETAIL].decode("utf-8", "replace"), SNIPPET)
        raise bad_response(endpoint, model, f"not JSON: {snippet!r}") from exc


def parse_object(endpoint: Endpoint, model: str | None, raw: str | bytes) -> dict[str, Any]:
    """One JSON object (a stream item); anything else is a broken response."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        snippet = quote(endpoint, text[:MAX_DETAIL], SNIPPET)
        raise bad_response(endpoint, model, f"invalid JSON in stream: {snippet!r}") from exc
    if not isinstance(value, dict):
        raise bad_response(endpoint, model, "stream item is not a JSON object")
    return value


async def sse_events(response: httpx.Response) -> AsyncGenerator[SSEEvent, None]:
    parser = SSEParser()
    async for chunk in body_chunks(response):
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event


async def ndjson_objects(
    endpoint: Endpoint, model: str | None, response: httpx.Response
) -> AsyncGenerator[dict[str, Any], None]:
    splitter = NDJSONSplitter()
    async for chunk in body_chunks(response):
        for line in splitter.feed(chunk):
            yield parse_object(endpoint, model, line)
    for line in splitter.close():
        yield parse_object(endpoint, model, line)


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def batches(inputs: Sequence[str], size: int) -> list[Sequence[str]]:
    size = max(1, size)
    return [inputs[i : i + size] for i in range(0, len(inputs), size)]
