"""HTTP plumbing shared by the adapters: pooled clients, key safety, auth headers.

Key safety rules (DESIGN.md, API keys):
- a key never travels over plain ``http://`` unless the host is loopback or the provider
  opted in with ``allow_insecure_http``;
- redirects are followed by hand and only within the same origin (scheme, host, port), so a
  key is never replayed to another site — httpx's own redirect handling would drop
  ``Authorization`` but keep Anthropic's ``x-api-key``.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from byok_ls import __version__
from byok_ls.errors import ErrorKind
from byok_ls.loopback import is_localhost_name, is_loopback_host

from .errors import MAX_ERROR_BODY, BodyTooLarge, classify, make_error
from .types import Endpoint

USER_AGENT = f"byok-ls/{__version__}"
MAX_REDIRECTS = 5
#: Largest one-piece provider body read (model listings, non-streamed answers), counted
#: after decompression: a gzip bomb or a 1 GB body must not be read whole.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Largest streamed answer read (all events together, after decompression).
MAX_STREAM_BYTES = 64 * 1024 * 1024

_clients: dict[Endpoint, httpx.AsyncClient] = {}


async def loopback_address(host: str, port: int | None) -> str:
    """The loopback address to connect to for a ``localhost`` name (RFC 6761).

    Such names count as loopback for the plain-http rule, so the connection must really
    stay on this machine: the system resolver may ask DNS, whose answer is not trusted.
    Only loopback answers are used; without one the name means 127.0.0.1.
    """
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        infos = []
    for family, *_rest, sockaddr in infos:
        address = str(sockaddr[0])
        if (
            family in (socket.AF_INET, socket.AF_INET6)
            and ipaddress.ip_address(address.partition("%")[0]).is_loopback
        ):
            return f"[{address}]" if ":" in address else address
    return "127.0.0.1"


async def pinned(endpoint: Endpoint, url: httpx.URL) -> tuple[httpx.URL, dict[str, str]]:
    """Where to connect for ``url``, and the Host header that keeps the name the server sees.

    A key sent over plain http to a ``localhost`` name goes to the loopback address that
    name was resolved to here, never to whatever a later lookup returns.
    """
    if url.scheme != "http" or not endpoint.api_key or not is_localhost_name(url.host):
        return url, {}
    address = await loopback_address(url.host, url.port or 80)
    host_header = url.netloc.decode("ascii").rpartition("@")[2]
    return url.copy_with(host=address.strip("[]")), {"Host": host_header}


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, port)


def join(base_url: str, path: str) -> str:
    """``base_url`` + ``path`` with exactly one slash between them."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def root_url(base_url: str, strip: str = "/v1") -> str:
    """The server root for formats whose paths are absolute (Anthropic, Ollama, llama.cpp)."""
    base = base_url.rstrip("/")
    return base[: -len(strip)] if base.endswith(strip) else base


def check_url(endpoint: Endpoint, url: str | httpx.URL) -> None:
    """Refuse to send the key in clear text to anything but this machine."""
    parsed = httpx.URL(url)
    who = endpoint.provider_name or endpoint.provider_id
    if parsed.scheme not in ("http", "https"):
        raise make_error(
            endpoint,
            None,
            ErrorKind.INSECURE_URL,
            f"The base URL of {who} must start with https:// (or http:// for a local server).",
        )
    if (
        parsed.scheme == "http"
        and endpoint.api_key
        and not endpoint.allow_insecure_http
        and not is_loopback_host(parsed.host)
    ):
        raise make_error(
            endpoint,
            None,
            ErrorKind.INSECURE_URL,
            f"Refusing to send the API key of {who} over plain http:// to {parsed.host}: use "
            "https://, or set allow_insecure_http: true for this provider if the network is "
            "trusted.",
        )


def auth_headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    headers.update(dict(endpoint.profile.extra_headers))
    if endpoint.wire_format == "anthropic":
        headers["anthropic-version"] = endpoint.profile.anthropic_version
        if endpoint.api_key:
            headers["x-api-key"] = endpoint.api_key
    elif endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    return headers


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one loads the CA bundle, which
    takes a noticeable fraction of a second and would block the event loop per endpoint."""
    return httpx.create_ssl_context()


def make_client(
    endpoint: Endpoint, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=endpoint.connect_timeout_s,
        read=endpoint.read_timeout_s,
        write=max(endpoint.connect_timeout_s, 10.0),
        pool=endpoint.connect_timeout_s,
    )
    return httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, verify=tls_context(), transport=transport
    )


def client_for(endpoint: Endpoint) -> httpx.AsyncClient:
    """One pooled client per endpoint (same config, same connections)."""
    client = _clients.get(endpoint)
    if client is None or client.is_closed:
        client = _clients[endpoint] = make_client(endpoint)
    return client


async def close_clients() -> None:
    clients = list(_clients.values())
    _clients.clear()
    for client in clients:
        await client.aclose()


def _redirect_target(response: httpx.Response, method: str, url: httpx.URL) -> httpx.URL | None:
    """The same-origin URL to follow from ``url`` (as asked, before pinning), None to stop."""
    location = response.headers.get("location")
    if not response.is_redirect or location is None:
        return None
    if response.status_code not in (307, 308) and method != "GET":
        return None  # 301/302/303 would turn a POST into a GET: not what was asked for.
    target = url.join(location)
    if origin(target) != origin(url):
        return None
    return target


@asynccontextmanager
async def open_response(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    model: str | None,
    method: str,
    url: str,
    *,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[httpx.Response]:
    """Send a request and yield the (unread, streaming) 2xx response.

    Error statuses are read (bounded) and raised as classified ByokErrors. The response is
    closed on exit, including when the consuming task is cancelled, which closes the
    upstream connection.
    """
    all_headers = auth_headers(endpoint)
    if headers:
        all_headers.update(headers)
    content = None
    if body is not None:
        content = json.dumps(body, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json"
    target = httpx.URL(url)
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(endpoint, target)
        connect_to, host = await pinned(endpoint, target)
        request = client.build_request(
            method, connect_to, content=content, params=params, headers={**all_headers, **host}
        )
        response = await client.send(request, stream=True)
        try:
            if response.is_redirect:
                next_url = _redirect_target(response, method, target)
                if next_url is None:
                    raise _redirect_refused(endpoint, model, response, target)
                target, params = next_url, None  # the Location already carries the query
                continue
            if response.status_code >= 400:
                raw = b""
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) >= MAX_ERROR_BODY:
                        break
                raise classify(endpoint, model, response.status_code, response.headers, raw)
            yield response
            return
        finally:
            await response.aclose()
    raise make_error(
        endpoint,
        model,
        ErrorKind.BAD_RESPONSE,
        f"{endpoint.provider_name} redirected too many times: check the base URL.",
    )


def _redirect_refused(
    endpoint: Endpoint, model: str | None, response: httpx.Response, url: httpx.URL
) -> Exception:
    location = response.headers.get("location", "")
    host = url.join(location).host if location else "?"
    return make_error(
        endpoint,
        model,
        ErrorKind.BAD_RESPONSE,
        f"{endpoint.provider_name} redirected the request to {host} (HTTP "
        f"{response.status_code}); the API key is only sent to the provider's own base URL, "
        "so it was not followed: set the base URL to where the API really lives.",
    )


async def body_chunks(
    response: httpx.Response, limit: int = MAX_STREAM_BYTES, what: str = "stream"
) -> AsyncIterator[bytes]:
    """The decoded body, raising BodyTooLarge once more than ``limit`` bytes arrived.

    httpx decompresses one network chunk at a time (at most about 64 KiB of compressed
    input), so the overshoot before the check is bounded too.
    """
    seen = 0
    async for chunk in response.aiter_bytes():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(limit, what)
        yield chunk


async def read_body(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole decoded body of a one-piece answer, at most ``limit`` bytes."""
    parts = [chunk async for chunk in body_chunks(response, limit, "body")]
    return b"".join(parts)
