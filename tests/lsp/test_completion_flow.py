"""Inline completion under real editor traffic: cancellation, superseding keystrokes, every
error kind reaching the client, and backing off a failing provider (told once)."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from pytest_lsp.client import register_lsp_features

from byok_ls.lsp.converter import raw_converter
from tests.fakes import FakeServer, Reply, presets
from tests.lsp.editor import capabilities, server_env, stop_session
from tests.lsp.test_completion import (
    DOC,
    Editor,
    inline_params,
    server_dirs,
    start_editor,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

REQUEST_CANCELLED = -32800


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def editor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    ed = await start_editor(tmp_path_factory.mktemp("completion-flow"))
    yield ed
    await stop_session(ed.session)


@pytest.fixture(autouse=True)
def fresh_config(editor: Editor) -> None:
    editor.reset()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def told(editor: Editor, pid: str) -> list[Any]:
    """window/showMessage notices about provider ``pid``."""
    return [m for m in editor.messages if f"Provider {pid}" in m.message]


# ---- cancellation ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["byok/complete", "textDocument/inlineCompletion"])
async def test_cancel_request_closes_the_upstream_connection(
    editor: Editor, openai_fake: FakeServer, method: str
) -> None:
    await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    uri = editor.open(DOC)
    openai_fake.script(text="too late", delay_headers=30)
    params: Any = (
        inline_params(uri, 1, 4)
        if method.startswith("textDocument/")
        else {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}
    )
    protocol = editor.session.client.protocol
    pending = asyncio.ensure_future(
        protocol.send_request_async(method, params, msg_id=f"cancel-{method}")
    )
    await openai_fake.wait_for_async(lambda rs: len(rs) == 1)
    protocol.notify("$/cancelRequest", types.CancelParams(id=f"cancel-{method}"))
    with pytest.raises(JsonRpcException) as info:
        await pending
    assert info.value.code == REQUEST_CANCELLED
    # The same shape as a cancelled chat, so a client handles both one way.
    assert info.value.data == {"kind": "cancelled"}
    assert info.value.message == "The completion request was cancelled."
    [request] = await openai_fake.wait_for_async(lambda rs: rs[0].finished)
    assert request.closed_early and not request.completed
    # Asking again works (nothing was cached from the cancelled request).
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    assert len(openai_fake.requests) == 2


# ---- superseding ---------------------------------------------------------------------------


async def test_rapid_typing_keeps_one_request_in_flight(
    editor: Editor, openai_fake: FakeServer
) -> None:
    await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    # Slow enough that every answer is still pending when the next keystroke arrives.
    openai_fake.queue(*[Reply(text="return a + b", delay_headers=0.3) for _ in range(100)])
    uri = editor.open("def add(a, b):\n    \n")
    pending = []
    for i in range(100):
        editor.edit(uri, (1, 4 + i), (1, 4 + i), "x")
        pending.append(
            asyncio.ensure_future(
                editor.session.request(
                    "textDocument/inlineCompletion", inline_params(uri, 1, 5 + i)
                )
            )
        )
    results: list[types.InlineCompletionList] = await asyncio.gather(*pending)
    assert [str(i.insert_text) for i in results[-1].items] == ["return a + b"]
    requests = await openai_fake.wait_for_async(lambda rs: all(r.finished for r in rs))
    assert openai_fake.max_in_flight <= 1
    # The answered request carried the document as it was after the last keystroke.
    assert requests[-1].json["prompt"] == "def add(a, b):\n    " + "x" * 100
    # Every other request was dropped by the server (closed early), unless it had already
    # been answered before the next keystroke; superseded ones get an empty list, not an error.
    completed = [r for r in requests if r.completed]
    assert requests[-1] in completed
    assert all(r.closed_early for r in requests if not r.completed)
    assert sum(1 for r in results if r.items) == len(completed)


# ---- errors reach the client as data.kind -------------------------------------------------


ERRORS: list[tuple[str, Callable[[], Reply]]] = [
    ("auth_failed", presets.openai_invalid_key),
    ("out_of_credit", presets.openai_insufficient_quota),
    ("rate_limited", lambda: presets.openai_rate_limited(1.0)),
    ("server_error", presets.openai_server_error),
    ("model_not_found", lambda: presets.openai_model_not_found("inst")),
    ("bad_response", lambda: Reply(status=200, body="<html>proxy login</html>")),
]


@pytest.mark.parametrize(("kind", "reply"), ERRORS, ids=[k for k, _ in ERRORS])
async def test_provider_errors_reach_the_client_as_data_kind(
    editor: Editor, openai_fake: FakeServer, kind: str, reply: Callable[[], Reply]
) -> None:
    await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    uri = editor.open(DOC)
    openai_fake.queue(reply(), reply())
    err = await editor.complete_error(uri, 1, 4)
    assert err.data["kind"] == kind
    assert err.data["providerId"] == editor.provider_id
    assert "sk-test" not in err.message
    err = await editor.inline_error(uri, 1, 4)
    assert err.data["kind"] == kind


async def test_deepseek_402_is_out_of_credit(editor: Editor, deepseek_fake: FakeServer) -> None:
    await editor.use(
        deepseek_fake,
        {"name": "deepseek-chat"},
        template="deepseek",
        base_url=deepseek_fake.base_url,
    )
    deepseek_fake.queue(presets.deepseek_insufficient_balance())
    err = await editor.inline_error(editor.open(DOC), 1, 4)
    assert (err.data["kind"], err.data["status"]) == ("out_of_credit", 402)


async def test_unreachable_provider(editor: Editor) -> None:
    await editor.use(
        None, {"name": "inst", "fim": "native"}, base_url=f"http://127.0.0.1:{closed_port()}/v1"
    )
    err = await editor.inline_error(editor.open(DOC), 1, 4)
    assert err.data["kind"] == "unreachable"


async def test_slow_provider_times_out_and_is_disconnected(
    editor: Editor, openai_fake: FakeServer
) -> None:
    editor.settings["completion_timeout_s"] = 0.5
    await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    openai_fake.script(text="too late", delay_headers=30)
    err = await editor.complete_error(editor.open(DOC), 1, 4)
    assert err.data["kind"] == "timeout"
    assert "completion_timeout_s" in err.message
    [request] = await openai_fake.wait_for_async(lambda rs: rs[0].finished)
    assert request.closed_early


async def test_context_window_too_small_for_the_answer(
    editor: Editor, openai_fake: FakeServer
) -> None:
    await editor.use(openai_fake, {"name": "inst", "fim": "native", "n_ctx": 100})
    err = await editor.inline_error(editor.open(DOC), 1, 4)
    assert err.data["kind"] == "context_too_long"
    assert "n_ctx" in err.message
    assert openai_fake.requests == []


# ---- a failing provider is not hit on every keystroke, and the user is told once ----------


async def type_and_ask(editor: Editor, uri: str, keystrokes: int) -> list[str]:
    """Type one character at a time after "    " on line 1, asking after each; error kinds."""
    kinds = []
    for i in range(keystrokes):
        editor.edit(uri, (1, 4 + i), (1, 4 + i), "z")
        err = await editor.inline_error(uri, 1, 5 + i)
        kinds.append(err.data["kind"])
    return kinds


@pytest.mark.parametrize(
    ("kind", "reply"),
    [
        ("out_of_credit", presets.openai_insufficient_quota),
        ("rate_limited", lambda: presets.openai_rate_limited(1.0)),
    ],
)
async def test_failing_provider_is_skipped_and_told_once(
    editor: Editor, openai_fake: FakeServer, kind: str, reply: Callable[[], Reply]
) -> None:
    await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    openai_fake.queue(*[reply() for _ in range(10)])
    uri = editor.open("def add(a, b):\n    \n")
    assert await type_and_ask(editor, uri, 10) == [kind] * 10
    assert len(openai_fake.requests) == 1
    notices = told(editor, editor.provider_id)
    assert len(notices) == 1 and notices[0].type == types.MessageType.Error


async def test_unreachable_provider_is_skipped_and_told_once(editor: Editor) -> None:
    await editor.use(
        None, {"name": "inst", "fim": "native"}, base_url=f"http://127.0.0.1:{closed_port()}/v1"
    )
    uri = editor.open("def add(a, b):\n    \n")
    assert await type_and_ask(editor, uri, 10) == ["unreachable"] * 10
    assert len(told(editor, editor.provider_id)) == 1
    # Only the first keystroke tried to connect: one attempt in the usage ledger.

    async def attempts() -> int:
        rows = await editor.usage_rows()
        return sum(r["requests"] for r in rows if r["providerId"] == editor.provider_id)

    for _ in range(100):
        if await attempts():
            break
        await asyncio.sleep(0.05)
    assert await attempts() == 1


# ---- a client that negotiates UTF-8 positions ----------------------------------------------


async def test_utf8_position_encoding_is_honoured(tmp_path: Path, openai_fake: FakeServer) -> None:
    env = server_dirs(tmp_path / "utf8")
    client = LanguageClient(converter_factory=raw_converter)
    register_lsp_features(client)
    await client.start_io(sys.executable, "-m", "byok_ls", "--stdio", env=server_env(env))
    caps = capabilities()
    caps.general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
    )
    result = await client.initialize_session(
        types.InitializeParams(capabilities=caps, workspace_folders=[])
    )
    try:
        assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
        await client.protocol.send_request_async(
            "byok/providers/add",
            {"template": "custom", "id": "u8", "baseUrl": openai_fake.api_base},
        )
        await client.protocol.send_request_async(
            "byok/models/add",
            {"providerId": "u8", "model": {"name": "inst", "task": "completion", "fim": "native"}},
        )
        await client.protocol.send_request_async(
            "byok/active/set", {"task": "completion", "modelId": "u8/inst"}
        )
        uri = (tmp_path / "u.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text="s = 'é😀'\n")
            )
        )
        # "s = '" is 5 bytes, "é" 2, "😀" 4: byte 11 is right after the emoji.
        await client.protocol.send_request_async(
            "byok/complete",
            {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 11}},
        )
        await client.protocol.send_request_async(
            "textDocument/inlineCompletion", inline_params(uri, 0, 7)
        )
        first, second = (r.json for r in openai_fake.requests)
        assert (first["prompt"], first["suffix"]) == ("s = 'é😀", "'\n")
        assert (second["prompt"], second["suffix"]) == ("s = 'é", "😀'\n")
    finally:
        await client.shutdown_session()
        await client.stop()
