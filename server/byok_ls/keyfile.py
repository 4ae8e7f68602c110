"""The opt-in plain-file key store: ``keys.json``, mode 0600.

Several editor windows may run a server each, all saving to the same file. Every change
therefore runs under a cross-process lock, re-reads the file under that lock and replaces
it atomically, so no acknowledged key is lost to another window's save.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from byok_ls.atomic import replace_atomically


class KeyFile:
    """``{provider id: key}`` in a JSON file only its owner can read."""

    def __init__(self, path: Path, lock_timeout_s: float = 30.0) -> None:
        self.path = path
        self._lock = FileLock(str(path.with_name(f".{path.name}.lock")), timeout=lock_timeout_s)

    def read(self) -> dict[str, str]:
        """The stored keys; an unreadable or broken file reads as empty."""
        try:
            return self._load()
        except OSError:
            return {}

    def _load(self) -> dict[str, str]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def update(self, change: Callable[[dict[str, str]], bool]) -> None:
        """Apply ``change`` to the file as it is now, under the lock; write if it says so.

        Raises OSError when the file cannot be written (the caller words the error).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            # Unreadable is an error here: writing would drop the keys it holds.
            data = self._load()
            if change(data):
                replace_atomically(self.path, json.dumps(data).encode("utf-8"))
