"""Abuse at the byte and framing level, through the real server's stdin.

"Never hangs" here means: after any input, once the bytes the framing promised have been
sent, the server answers the next well-formed request within ANSWER_WITHIN_S. A
``Content-Length`` larger than the body legitimately makes the server wait for the missing
bytes (it cannot know they will not come); the tests then send them (filler), and the
server must report the broken message and answer the next request. A length above the
server's limit (64 MiB) is refused at once without waiting. Bytes that are not a frame
(junk, a missing or non-numeric length, the tail of a body whose length was too small)
are skipped up to the next ``Content-Length`` header.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import FakeServer
from tests.lsp.editor import FAULT_KEY as KEY
from tests.lsp.editor import RawServer, files_containing, server_env_for

#: Never given to the server as a key, only hidden inside broken messages: it must not be
#: echoed to stdout or written to the log or any file either.
HIDDEN_KEY = "sk-test-NeverStored-4f9Kq2Lx8Vw3Zt6Rb1Yp"
ANSWER_WITHIN_S = 10
DOC = "file:///work/project/fuzz.py"


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer("openai", expect_key=KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def evil() -> Iterator[FakeServer]:
    """Where a malicious workspace would like the key to go."""
    with FakeServer("openai") as evil:
        yield evil


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    paths = {name: root / name for name in ("config", "data", "cache")}
    for path in paths.values():
        path.mkdir()
    return paths


@pytest.fixture(scope="module")
def server(
    loop: asyncio.AbstractEventLoop, fake: FakeServer, dirs: dict[str, Path]
) -> Iterator[RawServer]:
    """One server for every example (as an editor keeps one); checked for leaks at the end."""
    env = server_env_for(dirs, {"BYOK_LS_LOG_LEVEL": "DEBUG"})
    raw = loop.run_until_complete(RawServer().start(env=env))
    add = {"template": "openai", "baseUrl": fake.api_base, "apiKey": KEY}
    for method, params in [
        ("byok/providers/add", add),
        ("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o-mini"}),
        ("byok/active/set", {"task": "completion", "modelId": "openai/gpt-3.5-turbo-instruct"}),
    ]:
        assert "result" in loop.run_until_complete(raw.request(method, params)), method
    yield raw
    loop.run_until_complete(raw.close())
    assert raw.proc is not None and raw.proc.returncode == 0, bytes(raw.stderr[-3000:])
    for secret in (KEY, HIDDEN_KEY):
        assert secret.encode() not in bytes(raw.stdout), f"{secret} on stdout"
        assert secret.encode() not in bytes(raw.stderr), f"{secret} in the log"
        assert not files_containing(secret, *dirs.values()), f"{secret} written to a file"


def alive(server: RawServer, loop: asyncio.AbstractEventLoop) -> None:
    response = loop.run_until_complete(
        server.request("byok/providers/list", {}, timeout=ANSWER_WITHIN_S)
    )
    assert [p["id"] for p in response["result"]["providers"]] == ["openai"], response


def errors_since(server: RawServer, start: int) -> list[dict[str, Any]]:
    return [m["error"] | {"id": m.get("id")} for m in server.messages[start:] if "error" in m]


def send_and_check(
    server: RawServer, loop: asyncio.AbstractEventLoop, data: bytes, owed: int = 0
) -> list[dict[str, Any]]:
    """Send raw bytes (plus ``owed`` filler bytes the framing still expects), then require an
    answer to a well-formed request. Returns the errors the server sent meanwhile."""
    start = len(server.messages)
    server.send_bytes(data + b" " * owed)
    alive(server, loop)
    return errors_since(server, start)


# ---- one case at a time, with the answer each deserves ------------------------------------

REQUEST = message(jsonrpc="2.0", id="fz-1", method="byok/providers/list", params={})


def test_invalid_json_is_a_parse_error(server: RawServer, loop: asyncio.AbstractEventLoop) -> None:
    errors = send_and_check(server, loop, frame(b'{"jsonrpc": "2.0", "id": 5, "method": '))
    assert [(e["code"], e["id"]) for e in errors] == [(-32700, None)]


def test_wrong_jsonrpc_version_is_an_invalid_request(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    bad = message(
        jsonrpc="1.0",
        id="v1",
        method="byok/providers/add",
        params={"template": "openai", "apiKey": HIDDEN_KEY},
    )
    errors = send_and_check(server, loop, frame(bad))
    assert [(e["code"], e["id"]) for e in errors] == [(-32600, "v1")]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\r\n" + REQUEST, id="no-header"),
        pytest.param(b"Content-Type: application/json\r\n\r\n" + REQUEST, id="no-length"),
        pytest.param(b"Content-Length: twelve\r\n\r\n" + REQUEST, id="length-not-a-number"),
        pytest.param(b"Content-Length: -5\r\n\r\n" + REQUEST, id="negative-length"),
        pytest.param(b"\x00\xff\xfe garbage without a newline", id="junk"),
        pytest.param(b"x" * 200_000 + b"\n", id="long-junk-line"),
    ],
)
def test_frame_without_a_usable_length_is_skipped(
    server: RawServer, loop: asyncio.AbstractEventLoop, data: bytes
) -> None:
    send_and_check(server, loop, data)
    # The skipped request was not run: only requests that were framed get answers.
    assert not [m for m in server.messages if m.get("id") == "fz-1"]


def test_length_smaller_than_the_body(server: RawServer, loop: asyncio.AbstractEventLoop) -> None:
    errors = send_and_check(server, loop, b"Content-Length: 20\r\n\r\n" + REQUEST)
    assert [(e["code"], e["id"]) for e in errors] == [(-32700, None)]


def test_length_larger_than_the_body_waits_for_the_rest(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    start = len(server.messages)

    async def scenario() -> None:
        server.send_bytes(b"Content-Length: 500\r\n\r\n" + REQUEST)
        # The request sent after it is (part of) the promised body: it is not answered ...
        pending = server.request_nowait("byok/providers/list", {})
        await asyncio.sleep(0.5)
        assert not pending.done()
        pending.cancel()
        # ... until the promised bytes are complete; then the broken message is reported
        # and the server reads frames again.
        server.send_bytes(b" " * 500)

    loop.run_until_complete(scenario())
    alive(server, loop)
    assert (-32700, None) in [(e["code"], e["id"]) for e in errors_since(server, start)]


def test_absurd_length_is_refused_without_waiting(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    errors = send_and_check(server, loop, b"Content-Length: 99999999999999\r\n\r\n{}\r\n")
    assert [(e["code"], e["id"]) for e in errors] == [(-32600, None)]


def test_deep_nesting_is_a_parse_error(server: RawServer, loop: asyncio.AbstractEventLoop) -> None:
    body = b'{"jsonrpc": "2.0", "id": 7, "method": "byok/chat", "params": ' + (
        b"[" * 10_000 + b"]" * 10_000 + b"}"
    )
    errors = send_and_check(server, loop, frame(body))
    assert [(e["code"], e["id"]) for e in errors] == [(-32700, None)]


def test_five_megabyte_params_are_read_and_rejected_by_validation(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    huge = "x" * (5 * 1024 * 1024)
    response = loop.run_until_complete(
        server.request("byok/providers/get", {"id": huge}, timeout=ANSWER_WITHIN_S * 3)
    )
    assert response["error"]["data"]["kind"] in ("invalid_params", "not_found"), response["error"]
    assert len(json.dumps(response)) < 10_000, "the error must not echo the 5 MB value"
    alive(server, loop)


def test_unknown_methods(server: RawServer, loop: asyncio.AbstractEventLoop) -> None:
    response = loop.run_until_complete(server.request("byok/nope", {}))
    assert response["error"]["code"] == -32601
    start = len(server.messages)
    server.notify("byok/nope/notification", {"x": 1})
    server.notify("$/someUnknownNotification", {})
    alive(server, loop)
    assert errors_since(server, start) == []


def test_standard_methods_with_bad_params(
    server: RawServer, loop: asyncio.AbstractEventLoop, fake: FakeServer
) -> None:
    def ask(method: str, params: Any) -> dict[str, Any]:
        return loop.run_until_complete(server.request(method, params, timeout=ANSWER_WITHIN_S))

    position = {"line": 0, "character": 0}
    unopened = ask(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": "file:///not/open.py"},
            "position": position,
            "context": {"triggerKind": 1},
        },
    )
    assert unopened["error"]["data"]["kind"] == "not_found", unopened
    missing = ask("textDocument/inlineCompletion", {"textDocument": {"uri": DOC}})
    assert missing["error"]["code"] in (-32602, -32603), missing

    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": DOC, "languageId": "python", "version": 1, "text": "x = 1\n"}},
    )
    for change in (
        {
            "range": {"start": {"line": 99, "character": 0}, "end": {"line": 120, "character": 5}},
            "text": "far away",
        },
        {
            "range": {"start": {"line": 0, "character": 999}, "end": {"line": 0, "character": 3}},
            "text": "backwards",
        },
        {
            "range": {"start": {"line": -1, "character": -1}, "end": {"line": 0, "character": 0}},
            "text": "negative",
        },
        {"range": "not a range", "text": 5},
    ):
        server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": DOC, "version": 2}, "contentChanges": [change]},
        )
    command = ask("workspace/executeCommand", {"command": "byok.no.such.command", "arguments": []})
    assert "error" in command, command
    # The document is still usable after the broken edits.
    done = ask(
        "textDocument/inlineCompletion",
        {"textDocument": {"uri": DOC}, "position": position, "context": {"triggerKind": 1}},
    )
    assert "result" in done, done
    alive(server, loop)


def test_workspace_settings_cannot_redirect_a_stored_key(
    server: RawServer, loop: asyncio.AbstractEventLoop, fake: FakeServer, evil: FakeServer
) -> None:
    for settings_value in (
        {"byok": {"providers": [{"id": "openai", "baseUrl": evil.api_base}]}},
        {"byok": {"providers": [{"id": "openai", "baseUrl": "http://evil.example/v1"}]}},
        {"byok": {"openai": {"baseUrl": evil.api_base, "base_url": evil.api_base}}},
        {"providers": [{"id": "openai", "base_url": evil.api_base}]},
    ):
        server.notify("workspace/didChangeConfiguration", {"settings": settings_value})
    got = loop.run_until_complete(server.request("byok/providers/get", {"id": "openai"}))
    assert got["result"]["provider"]["baseUrl"] == fake.api_base
    before = len(fake.requests)
    answer = loop.run_until_complete(
        server.request("byok/chat", {"messages": [{"role": "user", "content": "hi"}]})
    )
    assert answer["result"]["content"] == "Hello from the fake."
    assert len(fake.requests) == before + 1
    assert fake.requests[-1].header("authorization") == f"Bearer {KEY}"
    assert evil.requests == []


# ---- hypothesis: arbitrary mixtures of broken and valid frames -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)
methods = st.sampled_from(
    [
        "byok/providers/list",
        "byok/providers/add",
        "byok/chat",
        "byok/complete",
        "textDocument/inlineCompletion",
        "textDocument/didChange",
        "workspace/executeCommand",
        "$/cancelRequest",
        "shutdown-not-really",
        "",
    ]
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A JSON-RPC-ish body: right or wrong in any field."""
    msg: dict[str, Any] = {}
    if draw(st.booleans()):
        msg["jsonrpc"] = draw(st.sampled_from(["2.0", "2.0", "1.0", 2, None]))
    if draw(st.booleans()):
        msg["id"] = draw(st.integers(10_000, 10**6) | st.text(max_size=5) | st.none())
    if draw(st.booleans()):
        msg["method"] = draw(methods | st.integers())
    if draw(st.booleans()):
        msg["params"] = draw(json_values | st.just({"apiKey": HIDDEN_KEY}))
    text = json.dumps(msg).encode()
    damage = draw(st.sampled_from(["none", "none", "truncate", "bytes", "array"]))
    if damage == "truncate":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif damage == "bytes":
        text = draw(st.binary(max_size=40)) + text
    elif damage == "array":
        text = b"[" + text + b"]"
    return text


@st.composite
def chunks(draw: st.DrawFn) -> tuple[bytes, int]:
    """Bytes to send and how many more bytes their framing still expects."""
    body = draw(bodies())
    shape = draw(
        st.sampled_from(["frame", "frame", "short", "long", "no-length", "junk", "lowercase"])
    )
    if shape == "frame":
        return frame(body), 0
    if shape == "lowercase":
        return b"content-length:%d\r\n\r\n" % len(body) + body, 0
    if shape == "short":
        cut = draw(st.integers(0, len(body)))
        return b"Content-Length: %d\r\n\r\n" % cut + body, 0
    if shape == "long":
        extra = draw(st.integers(1, 300))
        return b"Content-Length: %d\r\n\r\n" % (len(body) + extra) + body, extra
    if shape == "no-length":
        return b"\r\n" + body, 0
    return draw(st.binary(max_size=200)), 0


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(chunks(), min_size=1, max_size=4))
def test_any_byte_sequence_leaves_the_server_answering(
    server: RawServer, loop: asyncio.AbstractEventLoop, sequence: list[tuple[bytes, int]]
) -> None:
    data = b"".join(chunk for chunk, _ in sequence)
    owed = sum(extra for _, extra in sequence)
    # End on a line break: a half-finished header line would swallow the probe's header.
    if not data.endswith(b"\n"):
        data += b"\r\n"
    send_and_check(server, loop, data, owed=owed)
    assert server.proc is not None and server.proc.returncode is None


# ---- odd code points and out-of-range numbers ------------------------------------------------


def answer_error(
    server: RawServer, loop: asyncio.AbstractEventLoop, method: str, params: Any
) -> dict[str, Any]:
    response = loop.run_until_complete(server.request(method, params, timeout=ANSWER_WITHIN_S))
    assert "error" in response, response
    error: dict[str, Any] = response["error"]
    return error


@pytest.mark.parametrize("text", ["hi \ud83d there", "\udfff", "a\ud800\ud800b"])
def test_lone_surrogates_in_a_chat_message_are_invalid_params(
    server: RawServer, loop: asyncio.AbstractEventLoop, text: str
) -> None:
    messages = [{"role": "user", "content": "fine"}, {"role": "user", "content": text}]
    error = answer_error(server, loop, "byok/chat", {"messages": messages})
    assert error["code"] == -32602, error
    assert error["data"]["field"] == "messages[1].content", error
    assert error["message"].startswith("messages[1].content:"), error
    alive(server, loop)


def test_lone_surrogates_in_a_document_are_invalid_params_at_completion(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    uri = "file:///work/project/surrogate.py"
    text = "def f():\n    return '\ud800'\n"
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    where = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}
    for method, params in [
        ("byok/complete", where),
        ("textDocument/inlineCompletion", {**where, "context": {"triggerKind": 1}}),
    ]:
        error = answer_error(server, loop, method, params)
        assert error["code"] == -32602, (method, error)
        assert error["data"]["field"] == "textDocument", (method, error)
        assert "line 2" in error["message"], error
    alive(server, loop)


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", [1e20, -1e308, float("inf"), float("-inf"), float("nan"), -1])
def test_usage_times_out_of_range_are_invalid_params(
    server: RawServer, loop: asyncio.AbstractEventLoop, field: str, value: float
) -> None:
    error = answer_error(server, loop, "byok/usage", {field: value})
    assert error["code"] == -32602 and error["data"]["field"] == field, error
    alive(server, loop)


# ---- the end of a session --------------------------------------------------------------------


def test_requests_after_shutdown_are_invalid_requests_and_exit_is_clean(
    loop: asyncio.AbstractEventLoop,
) -> None:
    raw = loop.run_until_complete(RawServer().start(env={"HF_HUB_OFFLINE": "1"}))
    try:
        done = loop.run_until_complete(raw.request("shutdown", None, timeout=ANSWER_WITHIN_S))
        assert done.get("result", "missing") is None, done
        inline = {
            "textDocument": {"uri": DOC},
            "position": {"line": 0, "character": 0},
            "context": {"triggerKind": 1},
        }
        for method, params in [
            ("byok/providers/list", {}),
            ("shutdown", None),
            ("textDocument/inlineCompletion", inline),
        ]:
            late = loop.run_until_complete(raw.request(method, params, timeout=ANSWER_WITHIN_S))
            assert late.get("error", {}).get("code") == -32600, (method, late)
        raw.notify("exit", None)
        assert raw.proc is not None
        assert loop.run_until_complete(asyncio.wait_for(raw.proc.wait(), ANSWER_WITHIN_S)) == 0
    finally:
        loop.run_until_complete(raw.close())


def test_exit_without_shutdown_exits_with_code_one(loop: asyncio.AbstractEventLoop) -> None:
    raw = loop.run_until_complete(RawServer().start(env={"HF_HUB_OFFLINE": "1"}))
    try:
        alive_list = loop.run_until_complete(raw.request("byok/providers/list", {}))
        assert "result" in alive_list
        raw.notify("exit", None)
        assert raw.proc is not None
        assert loop.run_until_complete(asyncio.wait_for(raw.proc.wait(), ANSWER_WITHIN_S)) == 1
    finally:
        loop.run_until_complete(raw.close())
