"""One real server shared by the tests of a module, and providers pointed at fakes.

Each test adds its own provider (a fresh id) aimed at its own fake, so tests share the server
process but no provider state (cool-downs, pooled connections, cached adapters).
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from lsprotocol import types

from tests.fakes import FakeServer
from tests.lsp.conftest import Session, start_session, stop_session

KEY = "sk-wire-0123456789abcdefWXYZ"


def server_dirs(root: Path) -> dict[str, Path]:
    dirs = {name: root / name for name in ("config", "data", "cache")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


def server_env_for(dirs: dict[str, Path], extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "BYOK_LS_CONFIG_DIR": str(dirs["config"]),
        "BYOK_LS_DATA_DIR": str(dirs["data"]),
        "BYOK_LS_CACHE_DIR": str(dirs["cache"]),
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.MemoryKeyring",
        # Template tokenizers are hf:// specs: never try to download them here.
        "HF_HUB_OFFLINE": "1",
    }
    env.update(extra or {})
    return env


def write_settings(config_dir: Path, **settings: Any) -> None:
    """Set ``settings`` in config.yaml (a hand edit; the server picks it up on the next call)."""
    path = config_dir / "config.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    data = data or {"version": 1}
    data.setdefault("settings", {}).update(settings)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Shared:
    session: Session
    dirs: dict[str, Path]
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    added: list[str] = field(default_factory=list)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.session.request(method, params)

    async def error(self, method: str, params: Any = None) -> Any:
        return await self.session.error(method, params)

    async def add(
        self,
        template: str,
        base_url: str,
        *,
        key: str | None = KEY,
        key_env: str | None = None,
        models: list[dict[str, Any]] = (),  # type: ignore[assignment]
        **extra: Any,
    ) -> str:
        """Add a provider from ``template`` at ``base_url``; returns its (fresh) id."""
        provider_id = self.new_id(template.replace("_", "-"))
        params: dict[str, Any] = {"template": template, "id": provider_id, "baseUrl": base_url}
        if key is not None:
            params["apiKey"] = key
        if key_env is not None:
            params["apiKeyEnv"] = key_env
        params.update(extra)
        await self.request("byok/providers/add", params)
        self.added.append(provider_id)
        for model in models:
            await self.request("byok/models/add", {"providerId": provider_id, "model": model})
        return provider_id

    async def forget(self) -> None:
        """Remove the providers added so far: every save rewrites the whole config, so a
        config that grows with each test makes every later test slower."""
        while self.added:
            await self.request("byok/providers/remove", {"id": self.added.pop()})

    async def add_fake(self, template: str, fake: FakeServer, **kw: Any) -> str:
        return await self.add(template, fake.api_base, **kw)

    async def chat(self, model_id: str, text: str = "Say hello.", **extra: Any) -> Any:
        params = {"messages": [{"role": "user", "content": text}], "modelId": model_id, **extra}
        return await self.request("byok/chat", params)

    async def chat_error(self, model_id: str, text: str = "Say hello.") -> Any:
        params = {"messages": [{"role": "user", "content": text}], "modelId": model_id}
        return await self.error("byok/chat", params)

    def deltas(self, chat_id: str) -> list[dict[str, Any]]:
        return [d for d in self.session.received("byok/chat/delta") if d["chatId"] == chat_id]

    async def complete(self, model_id: str, before: str, after: str = "\n") -> Any:
        """Open a document with the cursor between ``before`` and ``after`` and complete."""
        uri = f"file:///work/{self.new_id('doc')}.py"
        self.session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=before + after
                )
            )
        )
        lines = before.split("\n")
        position = {"line": len(lines) - 1, "character": len(lines[-1])}
        return await self.request(
            "byok/complete",
            {"textDocument": {"uri": uri}, "position": position, "modelId": model_id},
        )


async def shared_server(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Shared]:
    dirs = server_dirs(tmp_path_factory.mktemp(name))
    if settings:
        write_settings(dirs["config"], **settings)
    session = await start_session(server_env_for(dirs, env))
    try:
        yield Shared(session, dirs)
    finally:
        await stop_session(session)


# Test modules declare ``server`` (module scope) with this, and ``srv`` (per test, cleans
# up the test's providers) with ``each_test``.
module_fixture = pytest_asyncio.fixture(scope="module", loop_scope="module")
each_test = pytest_asyncio.fixture(loop_scope="module")


async def per_test(server: Shared) -> AsyncIterator[Shared]:
    yield server
    await server.forget()
