"""What the agent loop needs from the editor it runs in (implemented in ``lsp/agent.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Diagnostic:
    path: Path
    line: int  # 0-based, as LSP counts
    character: int
    severity: str  # error | warning | information | hint
    message: str
    source: str | None = None


@dataclass(frozen=True)
class Edit:
    """Replace ``base[start:end]`` with ``new_text`` in the file at ``path``, whose text the
    user has now is ``base``; ``create`` makes a new file holding ``new_text``."""

    path: Path
    base: str
    start: int
    end: int
    new_text: str
    create: bool = False


class Editor(Protocol):
    def open_text(self, path: Path) -> str | None:
        """The editor's copy of an open file (unsaved edits included), else None."""
        ...

    def step(self, payload: dict[str, Any]) -> None:
        """Announce a step (``byok/agent/step``)."""
        ...

    async def approve(self, payload: dict[str, Any]) -> bool:
        """Ask the user (``byok/agent/approve``); False when they reject or cannot be asked."""
        ...

    async def apply(self, edit: Edit) -> str | None:
        """Apply an accepted edit through the editor; None when applied, else why not."""
        ...

    async def diagnostics(self, path: Path | None) -> list[Diagnostic] | None:
        """What the editor shows for ``path`` (all files when None); None if it cannot say."""
        ...

    @property
    def allow_commands(self) -> bool | None:
        """The editor's ``agent.allowCommands`` setting, None when it sent none."""
        ...
