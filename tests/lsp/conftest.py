"""Fixtures of the LSP tests; the editor driver itself is tests/lsp/editor.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.lsp.editor import Session, capabilities, server_env, start_session, stop_session

__all__ = ["Session", "capabilities", "server_env", "start_session", "stop_session"]


@pytest_asyncio.fixture
async def lsp() -> AsyncIterator[Session]:
    session = await start_session()
    yield session
    await stop_session(session)
