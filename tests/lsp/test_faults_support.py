"""Kept for branches written before tests/lsp/editor.py: import from there instead."""

from __future__ import annotations

from tests.lsp.editor import (
    CHAT_MODEL,
    COMPLETION_MODEL,
    DOC_URI,
    chat,
    complete,
    files_containing,
    generation_requests,
    open_document,
    rss_kib,
    server_pid,
    start,
    use_openai,
    wait_until,
    write_settings,
)
from tests.lsp.editor import FAULT_KEY as KEY

__all__ = [
    "CHAT_MODEL",
    "COMPLETION_MODEL",
    "DOC_URI",
    "KEY",
    "chat",
    "complete",
    "files_containing",
    "generation_requests",
    "open_document",
    "rss_kib",
    "server_pid",
    "start",
    "use_openai",
    "wait_until",
    "write_settings",
]
