"""``byok/providers/test`` and ``byok/providers/detect`` through the real server.

The test must give the right verdict for every way a provider can be wrong, each within the
probe's cap; the shared server runs with ``read_timeout_s: 1`` so the slow cases are quick.
Detection probes ports given by ``BYOK_LS_DETECT_PORTS``, where the fakes listen.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import yaml

from byok_ls.providers.probe import PROBE_TOTAL_S
from tests.fakes import FakeServer, Reply, presets
from tests.fakes.contract import ContractChecker, Specs
from tests.lsp.editor import WIRE_KEY as KEY
from tests.lsp.editor import Shared, closed_port, each_test, module_fixture, per_test, shared_server

pytestmark = pytest.mark.asyncio(loop_scope="module")

CAP_MS = PROBE_TOTAL_S * 1000
DETECT = {"ollama": closed_port(), "llamacpp": closed_port()}


@module_fixture
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    ports = ",".join(f"{t}={p}" for t, p in DETECT.items())
    async for shared in shared_server(
        tmp_path_factory,
        "probe",
        settings={"read_timeout_s": 1},
        env={"BYOK_LS_DETECT_PORTS": ports},
    ):
        yield shared


@each_test
async def srv(server: Shared) -> AsyncIterator[Shared]:
    async for shared in per_test(server):
        yield shared


async def probe(srv: Shared, provider_id: str) -> dict[str, object]:
    result: dict[str, object] = await srv.request("byok/providers/test", {"id": provider_id})
    assert isinstance(result["latencyMs"], int | float)
    assert 0 <= result["latencyMs"] < CAP_MS
    assert result["ok"] is (result["status"] == "ok")
    assert KEY not in str(result)
    return result


async def test_good_key(srv: Shared, openai_fake: FakeServer) -> None:
    openai_fake.expect_key = KEY
    result = await probe(srv, await srv.add_fake("openai", openai_fake))
    assert (result["status"], result["modelsFound"]) == ("ok", 3)
    assert "3 models" in str(result["message"])
    assert [r.path for r in openai_fake.requests] == ["/v1/models"]
    assert openai_fake.last.header("authorization") == f"Bearer {KEY}"


async def test_bad_key(srv: Shared, openai_fake: FakeServer) -> None:
    openai_fake.expect_key = "sk-some-other-key-000000"
    result = await probe(srv, await srv.add_fake("openai", openai_fake))
    assert result["status"] == "auth_failed"
    assert "key" in str(result["message"])


async def test_missing_key(srv: Shared, openai_fake: FakeServer) -> None:
    """A template that needs a key and a provider without one: told here, nothing sent."""
    openai_fake.expect_key = KEY
    result = await probe(srv, await srv.add_fake("openai", openai_fake, key=None))
    assert result["status"] == "missing_key" and result["ok"] is False
    assert "--ask-key" in result["message"]
    assert openai_fake.requests == []


@pytest.mark.parametrize(
    ("key", "status"), [(KEY, "ok"), ("sk-ant-wrong-0000000000", "auth_failed")]
)
async def test_anthropic_key(
    srv: Shared, anthropic_fake: FakeServer, key: str, status: str
) -> None:
    anthropic_fake.expect_key = KEY
    result = await probe(srv, await srv.add_fake("anthropic", anthropic_fake, key=key))
    assert result["status"] == status
    req = anthropic_fake.last
    assert (req.path, req.header("x-api-key"), req.header("anthropic-version")) == (
        "/v1/models",
        key,
        "2023-06-01",
    )


async def test_ollama_without_key(srv: Shared, ollama_fake: FakeServer) -> None:
    result = await probe(srv, await srv.add_fake("ollama", ollama_fake, key=None))
    assert (result["status"], result["modelsFound"]) == ("ok", 2)
    assert ollama_fake.requests_to("/api/tags")


@pytest.mark.parametrize(
    ("flavor", "template", "reply", "status"),
    [
        ("openai", "openai", presets.openai_insufficient_quota(), "out_of_credit"),
        ("deepseek", "deepseek", presets.deepseek_insufficient_balance(), "out_of_credit"),
        ("openai", "openai", presets.openai_rate_limited(0.05), "rate_limited"),
        ("anthropic", "anthropic", presets.anthropic_overloaded(), "server_error"),
        ("openai", "openai", presets.openai_server_error(), "server_error"),
        ("openai", "openai", Reply(body="<html>It works!</html>"), "bad_response"),
        ("openai", "openai", Reply(delay_headers=10), "timeout"),
        ("openai", "openai", Reply(stall_after=0), "timeout"),
    ],
    ids=[
        "no-credit",
        "deepseek-402",
        "rate-limited",
        "overloaded",
        "server-error",
        "html",
        "slow",
        "stalled-body",
    ],
)
async def test_failing_provider(
    srv: Shared,
    request: pytest.FixtureRequest,
    flavor: str,
    template: str,
    reply: Reply,
    status: str,
) -> None:
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    models_path = "/v1/models" if flavor == "anthropic" else "/models"
    fake.queue(dataclasses.replace(reply, path=models_path))
    result = await probe(srv, await srv.add_fake(template, fake))
    assert result["status"] == status, result["message"]
    # A test is one request: no retries, whatever the failure.
    assert len(fake.requests) == 1


async def test_unreachable_port(srv: Shared) -> None:
    port = closed_port()
    result = await probe(srv, await srv.add("openai", f"http://127.0.0.1:{port}/v1"))
    assert result["status"] == "unreachable"
    assert f"127.0.0.1:{port}" in str(result["message"])


async def listener(greeting: bytes | None) -> tuple[asyncio.Server, int, list[bytes]]:
    """A TCP listener that is not an HTTP server: it greets (or stays silent) and reads."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if greeting is not None:
            writer.write(greeting)
            await writer.drain()
        if greeting is not None and greeting.startswith(b"SSH-"):
            # What sshd does with a client whose first line is not an SSH version string.
            received.append(await reader.readline())
            writer.write(b"Invalid SSH identification string.\r\n")
            writer.close()
            return
        while data := await reader.read(65536):
            received.append(data)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], received


@pytest.mark.parametrize(
    ("greeting", "status"),
    [
        (b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", "bad_response"),
        (b"\x00\x01\x02garbage\xff\xfe not http at all\r\n\r\n", "bad_response"),
        (None, "timeout"),
    ],
    ids=["ssh-banner", "garbage", "silent"],
)
async def test_non_http_listener(srv: Shared, greeting: bytes | None, status: str) -> None:
    server, port, received = await listener(greeting)
    try:
        result = await probe(srv, await srv.add("openai", f"http://127.0.0.1:{port}/v1"))
    finally:
        server.close()
    assert result["status"] == status, result["message"]
    assert b"GET /v1/models" in b"".join(received)


async def test_key_is_not_sent_over_plain_http_after_a_hand_edit(srv: Shared) -> None:
    pid = await srv.add("custom", "http://byok-test.invalid/v1", allowInsecureHttp=True)
    # The user takes the opt-in back by hand; the stored key must not go out in clear text.
    path = srv.dirs["config"] / "config.yaml"
    data = yaml.safe_load(path.read_text())
    entry = next(p for p in data["providers"] if p["id"] == pid)
    entry["allow_insecure_http"] = False
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = await probe(srv, pid)
    assert result["status"] == "unreachable"
    assert "Refusing to send the API key" in str(result["message"])


async def test_unknown_provider(srv: Shared) -> None:
    err = await srv.error("byok/providers/test", {"id": "nobody"})
    assert err.data["kind"] == "not_found"


# ---- detection on injected ports --------------------------------------------------------


async def test_detect_nothing_running(srv: Shared) -> None:
    assert await srv.request("byok/providers/detect", {}) == {"found": []}


async def test_detect_finds_ollama_and_llamacpp(srv: Shared, contract_specs: Specs) -> None:
    ollama = FakeServer("ollama", port=DETECT["ollama"], contract=ContractChecker(contract_specs))
    llamacpp = FakeServer(
        "llamacpp", port=DETECT["llamacpp"], contract=ContractChecker(contract_specs)
    )
    with ollama, llamacpp:
        result = await srv.request("byok/providers/detect", {})
    found = sorted(result["found"], key=lambda d: d["template"])
    assert found == [
        {
            "template": "llamacpp",
            "baseUrl": f"http://127.0.0.1:{DETECT['llamacpp']}",
            "models": ["qwen2.5-coder-1.5b-q8_0.gguf"],
        },
        {
            "template": "ollama",
            "baseUrl": f"http://127.0.0.1:{DETECT['ollama']}",
            "models": ["llama3.2:latest", "qwen2.5-coder:1.5b"],
        },
    ]
    # Only the injected ports were probed, each with the server's own listing path.
    assert [r.path for r in ollama.requests] == ["/api/tags"]
    assert llamacpp.requests[0].path == "/v1/models"
