"""What an operation may use besides its params (the server implements it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from byok_ls.app import App

if TYPE_CHECKING:
    from byok_ls.agent.host import Editor


class Ctx(Protocol):
    @property
    def app(self) -> App: ...

    def notify(self, method: str, payload: dict[str, Any]) -> None: ...

    def document(self, uri: str) -> tuple[str, str]:
        """The server's copy of an open document: (text, language id)."""
        ...

    def open_text(self, path: Path) -> str | None:
        """The editor's copy of the file at ``path`` when it is open there (unsaved edits
        included), else None."""
        ...

    def position_encoding(self) -> str:
        """The position encoding negotiated at initialize ("utf-16" unless agreed otherwise)."""
        ...

    def editor(self) -> Editor:
        """The editor as agent mode uses it (approvals, edits, diagnostics)."""
        ...

    def loop_lag_max_ms(self) -> float | None:
        """Longest event-loop stall since the last call, when the lag monitor is on."""
        ...
