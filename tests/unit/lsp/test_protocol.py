"""The server keeps nothing per notification: pygls' handler futures are forgotten once done."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from byok_ls.lsp.server import build


def message(method: str, params: dict[str, Any], msg_id: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if msg_id is not None:
        out["id"] = msg_id
    return out


async def test_did_change_notifications_leave_no_futures_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 didChange notifications used to leave 10,000 done futures (about 2 KB each)."""
    for name in ("config", "data", "cache"):
        monkeypatch.setenv(f"BYOK_LS_{name.upper()}_DIR", str(tmp_path / name))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyrings.MemoryKeyring")
    server = build()
    protocol = server.protocol
    protocol.set_writer(io.BytesIO())  # type: ignore[arg-type]

    def send(data: dict[str, Any]) -> None:
        protocol.handle_message(protocol.structure_message(data))

    send(message("initialize", {"processId": None, "capabilities": {}, "rootUri": None}, 1))
    uri = (tmp_path / "a.py").as_uri()
    doc = {"uri": uri, "languageId": "python", "version": 1, "text": "# 0\n"}
    send(message("textDocument/didOpen", {"textDocument": doc}))
    for i in range(2_000):
        change = {
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}},
            "text": f"# {i % 10}",
        }
        send(
            message(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [change]},
            )
        )
    await asyncio.sleep(0)  # let callbacks scheduled on the loop run
    assert server.workspace.get_text_document(uri).source == "# 9\n"
    assert len(protocol._request_futures) <= 1
