"""One adapter per configured endpoint, chosen by wire format."""

from __future__ import annotations

import httpx

from .anthropic import AnthropicAdapter
from .base import Adapter
from .http import close_clients
from .llamacpp import LlamaCppAdapter
from .mistral import MistralAdapter
from .ollama import OllamaAdapter
from .openai_compat import OpenAIAdapter
from .retry import DEFAULT_RETRY, RetryPolicy
from .types import Endpoint

_ADAPTERS = {
    "openai": OpenAIAdapter,
    "anthropic": AnthropicAdapter,
    "ollama": OllamaAdapter,
    "llamacpp": LlamaCppAdapter,
    "mistral": MistralAdapter,
}

# Keyed by the whole (frozen) Endpoint and the retry policy: a changed base URL, key or
# profile gets a fresh adapter, an unchanged one keeps its warm connections. Bounded, since
# every key change makes a new endpoint.
_cache: dict[tuple[Endpoint, RetryPolicy], Adapter] = {}
_MAX_CACHED = 64


def make_adapter(
    endpoint: Endpoint,
    *,
    client: httpx.AsyncClient | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Adapter:
    """A new, uncached adapter (tests and probes pass their own client or retry policy)."""
    cls = _ADAPTERS[endpoint.wire_format]
    adapter: Adapter = cls(endpoint, client=client, retry=retry)
    return adapter


def adapter_for(endpoint: Endpoint, retry: RetryPolicy = DEFAULT_RETRY) -> Adapter:
    adapter = _cache.get((endpoint, retry))
    if adapter is None:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        adapter = _cache[(endpoint, retry)] = make_adapter(endpoint, retry=retry)
    return adapter


async def close_all() -> None:
    """Close every pooled connection (server shutdown)."""
    _cache.clear()
    await close_clients()
