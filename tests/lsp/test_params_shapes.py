"""Every shape JSON-RPC allows for "no params" works, as real clients send them: Neovim's Lua
encoder turns ``{}`` into ``[]``, others send ``null`` or no ``params`` at all. An array for a
method that needs named fields is refused with a message naming those fields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.lsp.editor import OMIT, RawServer, frame

pytestmark = pytest.mark.asyncio(loop_scope="module")

INVALID_PARAMS = -32602
NO_PARAMS_METHODS = [
    "byok/templates/list",
    "byok/providers/list",
    "byok/active/get",
    "byok/status",
    "byok/usage",
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def raw() -> AsyncIterator[RawServer]:
    server = await RawServer().start()
    yield server
    await server.close()


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """Drop what changes from one call to the next."""
    return {k: v for k, v in result.items() if k not in ("checkedAt", "loopLagMaxMs")}


@pytest.mark.parametrize("method", NO_PARAMS_METHODS)
@pytest.mark.parametrize("params", [[], None, OMIT], ids=["array", "null", "absent"])
async def test_no_params_in_any_shape_is_the_same_as_an_empty_object(
    raw: RawServer, method: str, params: Any
) -> None:
    reference = await raw.request(method, {})
    assert "result" in reference, reference
    answer = await raw.request(method, params)
    assert "error" not in answer, answer
    assert comparable(answer["result"]) == comparable(reference["result"])


@pytest.mark.parametrize(
    ("method", "params", "fields"),
    [
        ("byok/providers/get", [], "(id)"),
        ("byok/providers/get", ["openai"], "(id)"),
        ("byok/active/set", [], "(task, modelId)"),
        ("byok/active/set", ["chat", "openai/gpt-4o"], "(task, modelId)"),
        ("byok/chat", [], "(messages)"),
    ],
)
async def test_an_array_for_named_fields_says_which_fields(
    raw: RawServer, method: str, params: list[Any], fields: str
) -> None:
    answer = await raw.request(method, params)
    error = answer["error"]
    assert error["code"] == INVALID_PARAMS
    assert error["message"].startswith(f"params: {method} takes an object with named fields")
    assert fields in error["message"] and "array" in error["message"]
    assert error["data"] == {"kind": "invalid_params", "field": "params"}


async def test_positional_values_for_a_method_without_params_are_refused(raw: RawServer) -> None:
    answer = await raw.request("byok/providers/list", ["unexpected"])
    assert answer["error"]["code"] == INVALID_PARAMS
    assert "takes no params" in answer["error"]["message"]
    # The server keeps serving.
    assert "result" in await raw.request("byok/providers/list", [])


async def test_execute_command_with_an_empty_array_argument(raw: RawServer) -> None:
    """``vim.lsp.buf.execute_command({command=..., arguments={{}}})`` sends ``[[]]``."""
    answer = await raw.request(
        "workspace/executeCommand", {"command": "byok.providers.list", "arguments": [[]]}
    )
    assert answer.get("result") == {"providers": []}, answer


async def test_a_request_cancelled_before_it_started_says_kind_cancelled(raw: RawServer) -> None:
    """Request and cancel in one write: when the cancel is read before the handler starts,
    the handler never runs, and the answer still has the shape of every cancelled byok/*
    request. (Whether the handler got to start is up to the server's read loop, so the pair
    is sent a number of times; an answered request is fine, a bare -32800 is not.)"""
    loop = asyncio.get_running_loop()
    answers = []
    for msg_id in range(5000, 5020):
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        raw._waiters[msg_id] = future
        request = {"jsonrpc": "2.0", "id": msg_id, "method": "byok/status", "params": {}}
        cancel = {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": msg_id}}
        raw.send_bytes(b"".join(frame(m) for m in (request, cancel)))
        answers.append(await asyncio.wait_for(future, 15))
    errors = [a["error"] for a in answers if "error" in a]
    assert errors, "no request was cancelled in time"
    for error in errors:
        assert error["code"] == -32800 and error["data"] == {"kind": "cancelled"}, error
