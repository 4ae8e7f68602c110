"""Keeping secrets out of completion requests.

Files the user lists in ``.byokignore`` (gitignore syntax, one per workspace root) and
well-known secret files are never sent; in other files, key-shaped strings and private key
blocks are masked before the context leaves the machine.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pathspec

from byok_ls.errors import SECRET_PATTERNS

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

# Shapes not in the shared list (which scrubs outgoing error text); only masking needs them.
_EXTRA_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"npm_[A-Za-z0-9]{36}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
)
_PATTERNS = SECRET_PATTERNS + _EXTRA_PATTERNS

# The recognisable start of a key kept in its placeholder, so the model still sees what kind
# of value sits there (``sk-ant-…REDACTED``) without the value itself.
_KIND = re.compile(
    r"^(?:sk-ant-|sk-proj-|sk-or-v1-|sk-|gsk_|xai-|AIza|gh[pousr]_|github_pat_|AKIA|ASIA|"
    r"xox[abprs]-|hf_|glpat-|[sr]k_(?:live|test)_|npm_|(?i:bearer)\s+)"
)
_PEM = re.compile(
    r"(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)(.*?)(-----END \2PRIVATE KEY-----)", re.DOTALL
)
REDACTED = "REDACTED"


def _placeholder(match: re.Match[str]) -> str:
    kind = _KIND.match(match.group(0))
    return f"{kind.group(0) if kind else ''}…{REDACTED}"


def _pem_placeholder(match: re.Match[str]) -> str:
    # Every line of the body becomes the marker, so the text keeps its line count and the
    # editor's positions still line up with the masked context.
    body = re.sub(r"[^\r\n]+", REDACTED, match.group(3))
    return f"{match.group(1)}{body}{match.group(4)}"


def mask_secrets(text: str) -> str:
    """``text`` with private key blocks and key-shaped strings replaced by placeholders."""
    if "PRIVATE KEY-----" in text:
        text = _PEM.sub(_pem_placeholder, text)
    for pattern in _PATTERNS:
        text = pattern.sub(_placeholder, text)
    return text


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
