"""Kept for branches written before tests/lsp/editor.py: import from there instead."""

from __future__ import annotations

from tests.lsp.editor import WIRE_KEY as KEY
from tests.lsp.editor import (
    Shared,
    closed_port,
    each_test,
    module_fixture,
    per_test,
    server_dirs,
    server_env_for,
    shared_server,
    write_settings,
)

__all__ = [
    "KEY",
    "Shared",
    "closed_port",
    "each_test",
    "module_fixture",
    "per_test",
    "server_dirs",
    "server_env_for",
    "shared_server",
    "write_settings",
]
