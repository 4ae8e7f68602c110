"""The services behind every front end (LSP server and CLI), wired together once.

Services that pull in the HTTP stack or tokenizers are built on first use, so the editor
gets its ``initialize`` answer without waiting for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from byok_ls.atomic import remove_stale_temp_files
from byok_ls.config.service import ConfigService
from byok_ls.config.store import ConfigStore
from byok_ls.paths import CONFIG_FILE
from byok_ls.secrets import KeyStore

if TYPE_CHECKING:
    from byok_ls.agent.loop import AgentService
    from byok_ls.chat import ChatService
    from byok_ls.completion.engine import CompletionService
    from byok_ls.embeddings import EmbeddingsService
    from byok_ls.provider_ops import ProviderOps
    from byok_ls.routing import Notice, Router
    from byok_ls.usage import Ledger
    from byok_ls.workspace import Workspace


#: The opt-in plain-file key store, next to config.yaml.
KEY_FILE = "keys.json"


class App:
    def __init__(
        self,
        config_dir: Path | None = None,
        *,
        notice: Notice | None = None,
        workspace_roots: Callable[[], Iterable[Path]] = lambda: (),
    ) -> None:
        self.store = ConfigStore(config_dir)
        self.keys = KeyStore(file_store=self.store.directory / KEY_FILE)
        # What a save killed half-way left behind (kill -9, power loss).
        remove_stale_temp_files(self.store.directory, (CONFIG_FILE, CONFIG_FILE + ".bak", KEY_FILE))
        self.config = ConfigService(self.store, self.keys)
        self._notice = notice
        self._workspace_roots = workspace_roots

    @cached_property
    def ledger(self) -> Ledger:
        """Opened on first use: start-up stays fast and a CLI listing never touches it.
        The router is built with it, so usage and budgets count from the first request."""
        from byok_ls.usage import Ledger

        return Ledger()

    @cached_property
    def router(self) -> Router:
        from byok_ls.routing import Router

        return Router(self.config, self.ledger, self._notice)

    @cached_property
    def provider_ops(self) -> ProviderOps:
        from byok_ls.provider_ops import ProviderOps

        return ProviderOps(self)

    @cached_property
    def chat(self) -> ChatService:
        from byok_ls.chat import ChatService

        return ChatService(self.router)

    @cached_property
    def completion(self) -> CompletionService:
        from byok_ls.completion.engine import CompletionService

        return CompletionService(self.router, self._workspace_roots)

    @cached_property
    def agent(self) -> AgentService:
        from byok_ls.agent.loop import AgentService

        return AgentService(self.chat, self.workspace, lambda: self.config.config.settings.agent)

    @cached_property
    def workspace(self) -> Workspace:
        from byok_ls.workspace import Workspace

        return Workspace(self._workspace_roots)

    @cached_property
    def embeddings(self) -> EmbeddingsService:
        from byok_ls.embeddings import EmbeddingsService

        return EmbeddingsService(self.router)

    def open_ledger(self) -> None:
        _ = self.ledger

    async def aclose(self) -> None:
        if "router" in self.__dict__:
            from byok_ls.providers.registry import close_all

            await close_all()
        if "ledger" in self.__dict__:
            self.ledger.close()
