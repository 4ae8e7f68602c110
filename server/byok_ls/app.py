"""The services behind every front end (LSP server and CLI), wired together once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from byok_ls.chat import ChatService
from byok_ls.completion.engine import CompletionService
from byok_ls.config.service import ConfigService
from byok_ls.config.store import ConfigStore, data_dir
from byok_ls.embeddings import EmbeddingsService
from byok_ls.routing import Notice, Router
from byok_ls.secrets import KeyStore
from byok_ls.usage import Ledger


class App:
    def __init__(
        self,
        config_dir: Path | None = None,
        *,
        notice: Notice | None = None,
        workspace_roots: Callable[[], Iterable[Path]] = lambda: (),
    ) -> None:
        self.store = ConfigStore(config_dir)
        self.keys = KeyStore(file_store=self.store.directory / "keys.json")
        self.config = ConfigService(self.store, self.keys)
        self._ledger: Ledger | None = None
        self.router = Router(self.config, None, notice)
        self.chat = ChatService(self.router)
        self.completion = CompletionService(self.router, workspace_roots)
        self.embeddings = EmbeddingsService(self.router)

    @property
    def ledger(self) -> Ledger:
        """Opened on first use: start-up stays fast and a CLI listing never touches it."""
        if self._ledger is None:
            self._ledger = Ledger(data_dir() / "usage.sqlite3")
            self.router.ledger = self._ledger
        return self._ledger

    def open_ledger(self) -> None:
        _ = self.ledger

    async def aclose(self) -> None:
        from byok_ls.providers.registry import close_all

        await close_all()
        if self._ledger is not None:
            self._ledger.close()
