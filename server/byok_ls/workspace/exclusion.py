"""Files no part of which may be read for a model: secret files by name and the files the
user lists in ``.byokignore`` (gitignore syntax, one file per workspace root).

Shared by inline completion (nothing is sent from such a file) and by chat context and agent
tools (such a file is never read).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pathspec

IGNORE_FILE = ".byokignore"

#: File names (shell patterns, matched case-insensitively) that hold secrets by convention.
SECRET_FILE_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "*.p12",
    "*.pfx",
    "credentials",
    "credentials.json",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "secrets.y*ml",
)


def is_secret_file(path: Path) -> bool:
    """Whether the file name is one that conventionally holds credentials."""
    name = path.name.lower()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SECRET_FILE_PATTERNS)


class _IgnoreFiles:
    """Parsed ``.byokignore`` files, re-read when their modification time changes."""

    def __init__(self) -> None:
        # Keyed by root; the stamp (mtime, size) also catches edits within one mtime tick.
        self._specs: dict[Path, tuple[tuple[int, int], pathspec.GitIgnoreSpec | None]] = {}
        self._lock = threading.Lock()

    def spec_for(self, root: Path) -> pathspec.GitIgnoreSpec | None:
        file = root / IGNORE_FILE
        try:
            st = file.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (-1, -1)
        with self._lock:
            cached = self._specs.get(root)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        spec = None
        if stamp != (-1, -1):
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        with self._lock:
            self._specs[root] = (stamp, spec)
        return spec

    def clear(self) -> None:
        with self._lock:
            self._specs.clear()


_ignore_files = _IgnoreFiles()


def _relative(path: Path, root: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        pass
    try:
        return PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except (ValueError, OSError):
        return None


def is_excluded(path: Path, workspace_roots: Iterable[Path]) -> bool:
    """Whether no part of this file may be sent to a model."""
    if is_secret_file(path):
        return True
    path = path.expanduser()
    for root in workspace_roots:
        root = root.expanduser()
        rel = _relative(path, root)
        if rel is None:
            continue
        spec = _ignore_files.spec_for(root)
        if spec is not None and spec.match_file(str(rel)):
            return True
    return False


def clear_ignore_cache() -> None:
    """Forget parsed ignore files (tests; the mtime check handles edits in normal use)."""
    _ignore_files.clear()
