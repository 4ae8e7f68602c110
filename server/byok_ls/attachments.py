"""What the user attached to a chat question (``byok/chat`` ``context``), turned into text the
model reads in front of the question.

A selection carries its own text; a file is read by the server from the workspace (the
editor's unsaved copy when the file is open there) and never from outside the workspace
folders, a secret file or a ``.byokignore``d one. Key-shaped strings are masked in both, as
in inline completion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from byok_ls import api
from byok_ls.completion.privacy import mask_secrets
from byok_ls.errors import bad_request
from byok_ls.providers.types import ChatMessage, ContentPart, TextPart
from byok_ls.workspace import Workspace, uri_to_path

#: Largest attachment read whole; a bigger file must be attached as a line range.
MAX_FILE_CHARS = 256_000

#: The editor's copy of an open file (unsaved edits included), or None when it is not open.
OpenText = Callable[[Path], str | None]


def read_text(path: Path, open_text: OpenText, field: str) -> str:
    """The file's text as the user sees it; ``field`` names it in errors."""
    text = open_text(path)
    if text is not None:
        return text
    try:
        if path.stat().st_size > MAX_FILE_CHARS * 4:
            raise bad_request(
                field, f"{path.name} is too large to attach whole: attach a line range"
            )
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise bad_request(field, f"{path.name} does not exist") from None
    except IsADirectoryError:
        raise bad_request(field, f"{path.name} is a folder, not a file") from None
    except OSError as exc:
        raise bad_request(field, f"{path.name} cannot be read ({exc.strerror or exc})") from None


def _where(item: api.ContextItem) -> str:
    """Which lines are attached (1-based, as editors show them), or "" for all of them."""
    if item.range is None:
        return ""
    return f" (lines {item.range.start.line + 1}-{item.range.end.line + 1})"


def _lines(text: str, item: api.ContextItem) -> tuple[str, str]:
    """The attached lines and their label."""
    if item.range is None:
        return text, ""
    first, last = item.range.start.line, item.range.end.line
    lines = text.splitlines(keepends=True)
    return "".join(lines[first : last + 1]), _where(item)


def _block(kind: str, name: str, where: str, text: str) -> str:
    fence = "````" if "```" in text else "```"
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{kind} {name}{where}:\n{fence}\n{body}{fence}\n"


def render(items: Sequence[api.ContextItem], workspace: Workspace, open_text: OpenText) -> str:
    """The attachments as one text block, in the order given."""
    blocks: list[str] = []
    for i, item in enumerate(items):
        field = f"context[{i}]"
        path = uri_to_path(item.uri)
        if item.kind == "selection":
            if item.text is None:
                raise bad_request(f"{field}.text", "a selection carries its text")
            if path is not None and workspace.excluded(path):
                raise bad_request(
                    f"{field}.uri",
                    f"{path.name} is a secret file or listed in .byokignore, so nothing from "
                    "it is sent",
                )
            name = workspace.relative(path.resolve()) if path is not None else item.uri
            blocks.append(_block("Selected in", name, _where(item), mask_secrets(item.text)))
            continue
        real = workspace.readable(item.uri, field=f"{field}.uri")
        text, where = _lines(read_text(real, open_text, f"{field}.uri"), item)
        if len(text) > MAX_FILE_CHARS:
            raise bad_request(
                f"{field}.uri",
                f"{real.name} has {len(text)} characters, more than {MAX_FILE_CHARS} can be "
                "attached: attach a line range",
            )
        blocks.append(_block("File", workspace.relative(real), where, mask_secrets(text)))
    return "\n".join(blocks)


def attach(
    messages: tuple[ChatMessage, ...],
    items: Sequence[api.ContextItem],
    workspace: Workspace,
    open_text: OpenText,
) -> tuple[ChatMessage, ...]:
    """``messages`` with the attachments put in front of the last user message."""
    if not items:
        return messages
    block = render(items, workspace, open_text)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role != "user":
            continue
        content: str | tuple[ContentPart, ...]
        if isinstance(message.content, str):
            content = f"{block}\n{message.content}"
        else:
            content = (TextPart(block), *message.content)
        changed = dataclasses.replace(message, content=content)
        return (*messages[:index], changed, *messages[index + 1 :])
    raise bad_request("context", "attachments need a user message to go with")
