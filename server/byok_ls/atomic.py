"""Atomic file replacement, and clean-up of what a killed save leaves behind.

A file is replaced through a temp file with a unique name in the same folder, created with
``O_EXCL`` and the final mode every time (a leftover temp file can never lend the target
its mode), then renamed over the target. Temp files left behind by a killed process are
removed at start-up (:func:`remove_stale_temp_files`).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

#: Temp files younger than this may belong to a save in progress in another process.
STALE_TEMP_AGE_S = 60.0
TEMP_SUFFIX = ".tmp"


def temp_path(target: Path) -> Path:
    """A fresh temp name next to ``target``: ``.<name>.<pid>.<random>.tmp``."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def replace_atomically(target: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to a new temp file beside ``target`` and rename it over ``target``.

    The temp file lives in the target's own folder (a rename cannot cross file systems);
    ``O_EXCL`` makes sure it is new, so its mode is ``mode`` and not whatever a stale file
    of the same name had.
    """
    tmp = temp_path(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stale_temp_files(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Delete temp files of ``names`` in ``folder`` older than STALE_TEMP_AGE_S.

    Matches this module's names (``.<name>.*.tmp``) and the fixed ``<name>.tmp`` older
    versions used. Returns what was removed.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        candidate = path.name
        ours = any(
            candidate == f"{name}{TEMP_SUFFIX}"
            or (candidate.startswith(f".{name}.") and candidate.endswith(TEMP_SUFFIX))
            for name in names
        )
        if not ours:
            continue
        try:
            if path.is_symlink() or not path.is_file():
                continue
            if now - path.stat().st_mtime < STALE_TEMP_AGE_S:
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
