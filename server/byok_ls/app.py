"""The services behind every front end (LSP server and CLI), wired together once."""

from __future__ import annotations

from pathlib import Path

from byok_ls.config.service import ConfigService
from byok_ls.config.store import ConfigStore
from byok_ls.secrets import KeyStore


class App:
    def __init__(self, config_dir: Path | None = None) -> None:
        self.store = ConfigStore(config_dir)
        self.keys = KeyStore(file_store=self.store.directory / "keys.json")
        self.config = ConfigService(self.store, self.keys)

    async def aclose(self) -> None:
        """Release network clients and flush records (grows with the services)."""
