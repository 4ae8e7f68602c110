"""Kept for branches written before tests/lsp/editor.py: import from there instead."""

from __future__ import annotations

from tests.lsp import editor
from tests.lsp.editor import (
    DEEPSEEK_IN,
    DEEPSEEK_KEY,
    DEEPSEEK_OUT,
    DOC_TEXT,
    DOC_URI,
    INSTRUCT_IN,
    INSTRUCT_OUT,
    MINI_IN,
    MINI_OUT,
    OPENAI_KEY,
    Session,
    add_deepseek,
    add_openai,
    chat,
    complete,
    cost,
    data,
    generation_requests,
    row_for,
    shown,
    start,
    wait_until,
    write_settings,
)

__all__ = [
    "DEEPSEEK_IN",
    "DEEPSEEK_KEY",
    "DEEPSEEK_OUT",
    "DOC_TEXT",
    "DOC_URI",
    "INSTRUCT_IN",
    "INSTRUCT_OUT",
    "MINI_IN",
    "MINI_OUT",
    "OPENAI_KEY",
    "add_deepseek",
    "add_openai",
    "chat",
    "complete",
    "cost",
    "data",
    "generation_requests",
    "open_document",
    "row_for",
    "shown",
    "start",
    "wait_until",
    "write_settings",
]


async def open_document(session: Session, text: str = DOC_TEXT) -> None:
    """The old awaitable spelling of editor.open_document."""
    editor.open_document(session, text)
