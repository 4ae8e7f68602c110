"""The workspace folders the editor announced, and the one way to turn a path a client or a
model names into a file the server may touch.

A path is confined when it names a place inside one of the folders *after* every symbolic
link is followed, has no ``..`` part, and (for reading) is neither a secret file nor listed
in ``.byokignore``. Relative paths are taken from the first folder, as DESIGN.md says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from byok_ls.errors import bad_request
from byok_ls.workspace.exclusion import is_excluded


def uri_to_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI; None for any other scheme."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


# A URI scheme of two or more letters (one letter would be a Windows drive).
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


class Workspace:
    """Reads the folder list through ``roots`` on every call: the LSP layer keeps it current
    (``initialize``, ``workspace/didChangeWorkspaceFolders``)."""

    def __init__(self, roots: Callable[[], Iterable[Path]]) -> None:
        self._roots = roots

    def folders(self) -> list[Path]:
        return [Path(root).expanduser() for root in self._roots()]

    def resolve(self, path: str, *, field: str) -> Path:
        """The real location of ``path`` (which may not exist yet), or a ``bad_request``
        naming ``field`` when it lies outside the workspace folders."""
        return self._locate(path, field)[1]

    def readable(self, path: str, *, field: str) -> Path:
        """:meth:`resolve`, refusing secret and ``.byokignore``d files, by the name given
        and by the name a link points at."""
        given, real = self._locate(path, field)
        if self.excluded(given) or self.excluded(real):
            raise bad_request(
                field, f"{path!r} is a secret file or listed in .byokignore, so it is never read"
            )
        return real

    def _locate(self, path: str, field: str) -> tuple[Path, Path]:
        """(the path as named, made absolute; where it really is)."""
        folders = self.folders()
        if not folders:
            raise bad_request(field, "no workspace folder is open, so no file can be used")
        if "\x00" in path:
            raise bad_request(field, "the path contains a NUL character")
        named = uri_to_path(path) if _URI.match(path) else Path(path).expanduser()
        if named is None:
            raise bad_request(field, f"only file: URIs name workspace files, not {path!r}")
        if ".." in named.parts:
            raise bad_request(field, f"{path!r}: paths with '..' are not allowed")
        given = named if named.is_absolute() else folders[0] / named
        if not any(_inside(given, root) for root in folders):
            raise bad_request(field, f"{path!r} is outside the workspace folders")
        try:
            real = given.resolve(strict=False)
            real_roots = [root.resolve(strict=False) for root in folders]
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
            raise bad_request(
                field, f"{path!r} cannot be resolved ({exc.__class__.__name__})"
            ) from exc
        if not any(_inside(real, root) for root in real_roots):
            raise bad_request(
                field, f"{path!r} leads outside the workspace folders through a symbolic link"
            )
        return given, real

    def excluded(self, path: Path) -> bool:
        return is_excluded(path, self.folders())

    def relative(self, path: Path) -> str:
        """``path`` as a model should name it: relative to the first folder when inside it,
        else absolute (paths in the other folders are accepted absolute)."""
        folders = self.folders()
        if folders:
            first = folders[0].resolve(strict=False)
            if _inside(path, first):
                return path.relative_to(first).as_posix() or "."
        return str(path)
