"""Provider test, model discovery and detection of local servers.

Everything here answers quickly: the test uses short timeouts and no retries so that a dead
host, a slow server or a port that does not speak HTTP gives a verdict within seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from byok_ls.errors import ByokError, ErrorKind

from .base import HttpAdapter
from .errors import BodyTooLarge, map_errors
from .http import join, make_client, read_body, tls_context
from .registry import adapter_for, make_adapter
from .retry import NO_RETRY
from .types import ChatMessage, ChatRequest, DiscoveredModel, Endpoint, ProbeStatus

log = logging.getLogger(__name__)

PROBE_CONNECT_S = 3.0
PROBE_READ_S = 4.0
#: Upper bound for the whole test, whatever the server does.
PROBE_TOTAL_S = 8.0

_STATUS: dict[ErrorKind, ProbeStatus] = {
    ErrorKind.AUTH_FAILED: "auth_failed",
    ErrorKind.OUT_OF_CREDIT: "out_of_credit",
    ErrorKind.RATE_LIMITED: "rate_limited",
    ErrorKind.MODEL_NOT_FOUND: "not_found",
    ErrorKind.UNREACHABLE: "unreachable",
    ErrorKind.INSECURE_URL: "unreachable",
    ErrorKind.TIMEOUT: "timeout",
    ErrorKind.SERVER_ERROR: "server_error",
    ErrorKind.OVERLOADED: "server_error",
    ErrorKind.MISSING_KEY: "missing_key",
}

#: Default loopback ports of the local servers with a built-in template.
DEFAULT_PORTS: Mapping[str, int] = {
    "ollama": 11434,
    "lmstudio": 1234,
    "llamacpp": 8080,
    "vllm": 8000,
}

#: Environment variable that replaces :data:`DEFAULT_PORTS` for detection, e.g.
#: ``BYOK_LS_DETECT_PORTS=ollama=43111,llamacpp=43112`` (only the listed servers are probed).
DETECT_PORTS_ENV = "BYOK_LS_DETECT_PORTS"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    status: ProbeStatus
    latency_ms: int
    message: str
    models_found: int = 0


@dataclass(frozen=True)
class Detected:
    template: str
    base_url: str
    models: list[str] = field(default_factory=list)


def _elapsed_ms(start: float) -> int:
    return round((time.monotonic() - start) * 1000)


async def check_endpoint(
    endpoint: Endpoint,
    model_hint: str | None,
    *,
    client: httpx.AsyncClient | None = None,
) -> CheckResult:
    """The cheapest real call that proves base URL and key work: the model listing, or a
    one-token chat with ``model_hint`` where the provider has no listing."""
    quick = replace(
        endpoint,
        connect_timeout_s=min(endpoint.connect_timeout_s, PROBE_CONNECT_S),
        read_timeout_s=min(endpoint.read_timeout_s, PROBE_READ_S),
    )
    own_client = client is None
    http = client or make_client(quick)
    adapter = make_adapter(quick, client=http, retry=NO_RETRY)
    who = endpoint.provider_name
    start = time.monotonic()
    found = 0
    try:
        async with asyncio.timeout(PROBE_TOTAL_S):
            if endpoint.profile.auth_check_path and isinstance(adapter, HttpAdapter):
                url = join(endpoint.base_url, endpoint.profile.auth_check_path)
                with map_errors(quick, None):
                    await adapter.get_json(url)
            if endpoint.profile.models_path is not None or endpoint.wire_format in (
                "anthropic",
                "ollama",
            ):
                found = len(await adapter.list_models())
            elif model_hint:
                request = ChatRequest(
                    model_hint, (ChatMessage("user", "Reply with OK."),), max_tokens=1
                )
                async for _event in adapter.chat(request, stream=False):
                    pass
            else:
                return CheckResult(
                    False,
                    "not_found",
                    0,
                    f"{who} has no model listing, so it is tested with a model: add one "
                    "first (Configure Providers).",
                )
    except ByokError as error:
        status = _STATUS.get(error.kind, "bad_response")
        return CheckResult(False, status, _elapsed_ms(start), error.message)
    except TimeoutError:
        return CheckResult(
            False,
            "timeout",
            _elapsed_ms(start),
            f"{who} did not answer within {PROBE_TOTAL_S:g} s: check the base URL and that "
            "the server is running.",
        )
    finally:
        if own_client:
            await http.aclose()
    ms = _elapsed_ms(start)
    listed = f"; {found} model{'s' if found != 1 else ''} listed" if found else ""
    return CheckResult(True, "ok", ms, f"{who} answered in {ms} ms{listed}.", found)


async def discover(endpoint: Endpoint) -> list[DiscoveredModel]:
    """The provider's own model listing, with n_ctx where the listing says it."""
    return await adapter_for(endpoint).list_models()


def _base(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _names(obj: Any, key: str, name: str) -> list[str] | None:
    items = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(items, list):
        return None
    return sorted(i[name] for i in items if isinstance(i, dict) and isinstance(i.get(name), str))


async def _get(client: httpx.AsyncClient, url: str) -> Any:
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        return json.loads(await read_body(response))


async def _detect_one(
    client: httpx.AsyncClient, template: str, host: str, port: int, timeout_s: float
) -> Detected | None:
    root = _base(host, port)
    try:
        async with asyncio.timeout(timeout_s * 3):
            if template == "ollama":
                models = _names(await _get(client, root + "/api/tags"), "models", "name")
                return None if models is None else Detected(template, root, models)
            try:
                models = _names(await _get(client, root + "/v1/models"), "data", "id")
            except httpx.HTTPStatusError:
                models = None
            if models is not None:
                base = root if template == "llamacpp" else root + "/v1"
                return Detected(template, base, models)
            if template == "llamacpp":
                # Older llama.cpp builds have no /v1/models but always have /health.
                await _get(client, root + "/health")
                return Detected(template, root, [])
    except (httpx.HTTPError, ValueError, TimeoutError, BodyTooLarge):
        pass
    return None


def detect_ports(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """The ports to probe: :data:`DEFAULT_PORTS`, or what ``BYOK_LS_DETECT_PORTS`` says.

    The variable is a comma-separated list of ``template=port`` pairs naming templates of
    :data:`DEFAULT_PORTS` (``ollama=43111,llamacpp=43112``); when it is set, only those are
    probed, so tests and machines with servers on unusual ports get exact answers. Entries
    that cannot be read are logged and skipped; an empty or unset variable means the defaults.
    """
    raw = (os.environ if environ is None else environ).get(DETECT_PORTS_ENV, "").strip()
    if not raw:
        return dict(DEFAULT_PORTS)
    ports: dict[str, int] = {}
    for entry in raw.split(","):
        template, sep, port = (part.strip() for part in entry.partition("="))
        if not entry.strip():
            continue
        if not sep or template not in DEFAULT_PORTS or not port.isdigit():
            log.warning(
                "%s: ignoring %r (expected <template>=<port>, template one of %s)",
                DETECT_PORTS_ENV,
                entry.strip(),
                ", ".join(DEFAULT_PORTS),
            )
            continue
        if not 0 < int(port) < 65536:
            log.warning("%s: ignoring %r (port out of range)", DETECT_PORTS_ENV, entry.strip())
            continue
        ports[template] = int(port)
    return ports


async def detect_local(
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
    timeout_s: float = 0.3,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Detected]:
    """Local servers answering on their usual loopback ports, probed concurrently.

    Without ``ports`` the ports come from :func:`detect_ports` (the defaults, or the
    ``BYOK_LS_DETECT_PORTS`` environment variable).
    """
    ports = detect_ports() if ports is None else ports
    async with httpx.AsyncClient(
        timeout=timeout_s, follow_redirects=False, verify=tls_context(), transport=transport
    ) as client:
        found = await asyncio.gather(
            *(_detect_one(client, t, host, p, timeout_s) for t, p in ports.items())
        )
    return [d for d in found if d is not None]
