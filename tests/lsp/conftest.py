"""Start the real server process and talk to it as an editor does."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

from byok_ls.lsp.converter import raw_converter


@dataclass
class Session:
    """A started server plus what it sent us."""

    client: LanguageClient
    notifications: dict[str, list[Any]] = field(default_factory=dict)

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.client.protocol.send_request_async(method, params)

    async def error(self, method: str, params: Any = None) -> JsonRpcException:
        """Send a request that must fail; return the JSON-RPC error."""
        with pytest.raises(JsonRpcException) as info:
            await self.request(method, params)
        return info.value

    def received(self, method: str) -> list[Any]:
        return self.notifications.setdefault(method, [])


def capabilities() -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    # The presets predate LSP 3.18's inline completion.
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # server_env replaces the whole environment; start from ours (isolated by tests/conftest).
    env = dict(os.environ)
    env.update(extra or {})
    return env


async def start_session(
    env: dict[str, str] | None = None, workspace: Path | None = None
) -> Session:
    # Results and notifications of byok/* methods stay plain JSON, as an editor sees them.
    client = LanguageClient(converter_factory=raw_converter)
    register_lsp_features(client)
    session = Session(client)
    for method in (
        "byok/config/changed",
        "byok/chat/delta",
        "byok/usage/warning",
        "byok/agent/step",
    ):

        def record(params: Any, method: str = method) -> None:
            session.received(method).append(params)

        client.feature(method)(record)
    await client.start_io(sys.executable, "-m", "byok_ls", "--stdio", env=server_env(env))
    folders = []
    if workspace is not None:
        folders.append(types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            root_uri=workspace.as_uri() if workspace is not None else None,
            workspace_folders=folders,
        )
    )
    return session


async def stop_session(session: Session) -> None:
    try:
        await session.client.shutdown_session()
    finally:
        await session.client.stop()


@pytest_asyncio.fixture
async def lsp() -> AsyncIterator[Session]:
    session = await start_session()
    yield session
    await stop_session(session)
