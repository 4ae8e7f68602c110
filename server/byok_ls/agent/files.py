"""Reading, listing and changing workspace files for the agent, within the workspace rules."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from byok_ls.agent.host import Edit
from byok_ls.attachments import OpenText, read_text
from byok_ls.completion.privacy import mask_secrets
from byok_ls.errors import ByokError
from byok_ls.workspace import Workspace

#: Most lines one read_file answers; the model asks for the next range.
MAX_READ_LINES = 400
#: Most characters one read_file answers (long lines count too).
MAX_READ_CHARS = 40_000
#: Most entries one list_dir answers.
MAX_LIST_ENTRIES = 400


class ToolError(Exception):
    """A tool call that cannot be done; the message goes back to the model as the result."""


def _text(workspace: Workspace, path: str, open_text: OpenText) -> tuple[Path, str]:
    try:
        real = workspace.readable(path, field="path")
        return real, read_text(real, open_text, "path")
    except ByokError as exc:
        raise ToolError(exc.message) from None


def read_file(
    workspace: Workspace,
    open_text: OpenText,
    path: str,
    start_line: int | None = None,
    end_line: int | None = None,
) -> str:
    _, text = _text(workspace, path, open_text)
    lines = text.splitlines(keepends=True)
    first = max(1, start_line or 1)
    last = min(len(lines), end_line or len(lines), first + MAX_READ_LINES - 1)
    if first > max(1, len(lines)):
        raise ToolError(f"path: {path} has {len(lines)} lines; startLine {first} is past the end")
    chunk: list[str] = []
    size = 0
    for number in range(first, last + 1):
        line = lines[number - 1]
        if chunk and size + len(line) > MAX_READ_CHARS:
            last = number - 1
            break
        chunk.append(line[:MAX_READ_CHARS])
        size += len(line)
    body = mask_secrets("".join(chunk))
    if first == 1 and last >= len(lines):
        return body
    return f"[lines {first}-{last} of {len(lines)}]\n{body}"


def list_dir(workspace: Workspace, path: str) -> str:
    try:
        real = workspace.resolve(path or ".", field="path")
    except ByokError as exc:
        raise ToolError(exc.message) from None
    try:
        entries = sorted(os.scandir(real), key=lambda e: e.name)
    except FileNotFoundError:
        raise ToolError(f"path: {path} does not exist") from None
    except NotADirectoryError:
        raise ToolError(f"path: {path} is a file, not a folder: use read_file") from None
    except OSError as exc:
        raise ToolError(f"path: {path} cannot be listed ({exc.strerror or exc})") from None
    names: list[str] = []
    for entry in entries:
        # Secret and ignored files are left out: the model could not read them anyway.
        if workspace.excluded(Path(entry.path)):
            continue
        names.append(entry.name + "/" if entry.is_dir() else entry.name)
    if not names:
        return "(empty folder)"
    if len(names) > MAX_LIST_ENTRIES:
        more = len(names) - MAX_LIST_ENTRIES
        names = [*names[:MAX_LIST_ENTRIES], f"... and {more} more"]
    return "\n".join(names)


def diff(path: str, before: str, after: str) -> str:
    """A unified diff, as the user is shown it."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}" if before else "/dev/null",
        tofile=f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def prepare_edit(
    workspace: Workspace, open_text: OpenText, path: str, old_text: str, new_text: str
) -> tuple[Edit, str]:
    """The edit that replaces the one occurrence of ``old_text``, and its diff."""
    if not old_text:
        raise ToolError("oldText: empty; copy the text to replace from the file")
    real, text = _text(workspace, path, open_text)
    count = text.count(old_text)
    if count == 0:
        raise ToolError(
            f"oldText: not found in {path}; read the file again and copy the text exactly"
        )
    if count > 1:
        raise ToolError(
            f"oldText: occurs {count} times in {path}; include more surrounding lines so "
            "it occurs once"
        )
    start = text.index(old_text)
    after = text[:start] + new_text + text[start + len(old_text) :]
    edit = Edit(real, text, start, start + len(old_text), new_text)
    return edit, diff(workspace.relative(real), text, after)


def prepare_create(workspace: Workspace, path: str, content: str) -> tuple[Edit, str]:
    try:
        real = workspace.resolve(path, field="path")
    except ByokError as exc:
        raise ToolError(exc.message) from None
    if real.exists():
        raise ToolError(f"path: {path} already exists; use propose_edit to change it")
    return Edit(real, "", 0, 0, content, create=True), diff(workspace.relative(real), "", content)
