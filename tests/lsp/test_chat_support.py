"""Kept for branches written before tests/lsp/editor.py: import from there instead."""

from __future__ import annotations

from tests.lsp.editor import ANTHROPIC_KEY, assert_clean_error, deltas, joined, use_model, user
from tests.lsp.editor import CHAT_KEY as KEY
from tests.lsp.editor import write_settings as set_settings

__all__ = [
    "ANTHROPIC_KEY",
    "KEY",
    "assert_clean_error",
    "deltas",
    "joined",
    "set_settings",
    "use_model",
    "user",
]
