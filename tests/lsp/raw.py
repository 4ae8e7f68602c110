"""Kept for branches written before tests/lsp/editor.py: import from there instead."""

from __future__ import annotations

from tests.lsp.editor import OMIT, RawServer

__all__ = ["OMIT", "RawServer"]
