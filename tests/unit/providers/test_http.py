"""Key safety, auth headers, redirects and cancellation of the HTTP layer."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import httpx
import pytest

from byok_ls import __version__
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.http import auth_headers, check_url, make_client
from byok_ls.providers.openai_compat import OpenAIAdapter
from byok_ls.providers.types import ChatMessage, ChatRequest, TextDelta

from .conftest import KEY, NO_RETRY, Recorder, collect, make_endpoint, sse, sse_response

REQ = ChatRequest("gpt-4o", (ChatMessage("user", "hi"),), max_tokens=5)
OK = sse_response(
    sse({"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]})
)


@pytest.mark.parametrize(
    "url", ["http://api.example.com/v1", "http://10.0.0.5:8000/v1", "ftp://example.com/v1"]
)
def test_refuses_key_over_plain_http(url: str) -> None:
    with pytest.raises(ByokError) as info:
        check_url(make_endpoint(base_url=url), url + "/models")
    assert info.value.kind is ErrorKind.INSECURE_URL
    assert KEY not in info.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:11434",
        "http://127.3.4.5:1",
        "http://localhost:1234/v1",
        "http://[::1]:8080",
    ],
)
def test_allows_loopback_http(url: str) -> None:
    check_url(make_endpoint(base_url=url), url + "/x")


def test_allows_http_without_key_or_with_opt_in() -> None:
    check_url(make_endpoint(base_url="http://lan:8000", key=None), "http://lan:8000/v1")
    ep = make_endpoint(base_url="http://lan:8000")
    ep = type(ep)(**{**ep.__dict__, "allow_insecure_http": True})
    check_url(ep, "http://lan:8000/v1")


async def test_insecure_request_is_never_sent() -> None:
    rec = Recorder([OK])
    ep = make_endpoint(base_url="http://api.example.com/v1")
    with pytest.raises(ByokError) as info:
        await collect(OpenAIAdapter(ep, client=rec.client(), retry=NO_RETRY).chat(REQ))
    assert info.value.kind is ErrorKind.INSECURE_URL
    assert rec.requests == []


def test_auth_headers_by_format() -> None:
    openai = auth_headers(make_endpoint())
    assert openai["Authorization"] == f"Bearer {KEY}"
    assert openai["User-Agent"] == f"byok-ls/{__version__}"
    assert "Authorization" not in auth_headers(make_endpoint("ollama", key=None))
    anthropic = auth_headers(make_endpoint("anthropic", anthropic_version="2023-06-01"))
    assert anthropic["x-api-key"] == KEY
    assert anthropic["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in anthropic
    extra = auth_headers(make_endpoint(extra_headers=(("X-Title", "byok-ls"),)))
    assert extra["X-Title"] == "byok-ls"


def test_client_settings() -> None:
    ep = make_endpoint()
    client = make_client(ep)
    assert client.follow_redirects is False
    assert client.timeout.connect == ep.connect_timeout_s
    assert client.timeout.read == ep.read_timeout_s


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_no_key_on_cross_origin_redirect(wire: str) -> None:
    moved = httpx.Response(307, headers={"location": "https://evil.example.net/v1/steal"})
    rec = Recorder([moved, OK])
    base = "https://api.example.com" + ("/v1" if wire == "openai" else "")
    ep = make_endpoint(wire, base)  # type: ignore[arg-type]
    from byok_ls.providers.registry import make_adapter

    with pytest.raises(ByokError) as info:
        await collect(make_adapter(ep, client=rec.client(), retry=NO_RETRY).chat(REQ))
    assert info.value.kind is ErrorKind.BAD_RESPONSE
    assert "evil.example.net" in info.value.message
    assert [r.url.host for r in rec.requests] == ["api.example.com"]


async def test_same_origin_redirect_is_followed_with_key() -> None:
    moved = httpx.Response(308, headers={"location": "/v2/chat/completions"})
    rec = Recorder([moved, OK])
    adapter = OpenAIAdapter(make_endpoint(), client=rec.client(), retry=NO_RETRY)
    assert TextDelta("ok") in await collect(adapter.chat(REQ))
    assert rec.requests[1].url.path == "/v2/chat/completions"
    assert rec.requests[1].headers["authorization"] == f"Bearer {KEY}"
    assert rec.requests[1].content == rec.requests[0].content


async def test_cancelling_the_consumer_closes_the_upstream_connection() -> None:
    closed = asyncio.Event()
    first_sent = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        chunk = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        first_sent.set()
        # Keep the stream open until the client goes away.
        while await reader.read(1024):
            pass
        closed.set()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ep = make_endpoint(base_url=f"http://127.0.0.1:{port}/v1")
    adapter = OpenAIAdapter(ep, client=make_client(ep), retry=NO_RETRY)
    got_text = asyncio.Event()

    async def consume() -> None:
        async for event in adapter.chat(REQ):
            if isinstance(event, TextDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.wait_for(closed.wait(), 5)
    await adapter.client.aclose()
    server.close()
    await server.wait_closed()


async def test_a_localhost_name_that_resolves_elsewhere_gets_the_key_on_loopback_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """*.localhost counts as loopback, so the connection must really go to loopback even
    when a resolver (DNS) answers that name with a remote address."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        seen.append(head)
        body = b'data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    real = socket.getaddrinfo

    def remote_answer(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith("localhost"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", remote_answer)
    ep = make_endpoint(base_url=f"http://evil.localhost:{port}/v1")
    adapter = OpenAIAdapter(ep, client=make_client(ep), retry=NO_RETRY)
    try:
        events = await collect(adapter.chat(REQ))
    finally:
        await adapter.client.aclose()
        server.close()
        await server.wait_closed()
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["ok"]
    assert len(seen) == 1 and f"host: evil.localhost:{port}".encode() in seen[0].lower()
    assert f"Bearer {KEY}".encode() in seen[0]
