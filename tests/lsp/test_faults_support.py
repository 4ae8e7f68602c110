"""Shared set-up for the fault, fuzz and soak tests (no tests in this module)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lsprotocol import types

from tests.fakes import FakeServer
from tests.lsp.conftest import Session, start_session

#: A recognisable key: every test that uses it checks it never shows up where it must not.
KEY = "sk-test-Hardening-Q7xV2mZ9pL4wK8rT-WXYZ"
CHAT_MODEL = "openai/gpt-4o-mini"
COMPLETION_MODEL = "openai/gpt-3.5-turbo-instruct"
DOC_URI = "file:///work/project/main.py"


async def start(env: dict[str, str] | None = None) -> Session:
    """A real server that never tries to download a tokenizer (counts are then estimates)."""
    return await start_session({"HF_HUB_OFFLINE": "1", **(env or {})})


def write_settings(config_dir: Path, **settings: Any) -> None:
    """A config file that only holds settings, written before the server starts."""
    (config_dir / "config.yaml").write_text(yaml.safe_dump({"version": 1, "settings": settings}))


async def use_openai(session: Session, fake: FakeServer, key: str = KEY) -> None:
    """The openai template pointed at ``fake``, active for chat and completion."""
    fake.expect_key = key
    await session.request(
        "byok/providers/add", {"template": "openai", "baseUrl": fake.api_base, "apiKey": key}
    )
    await session.request("byok/active/set", {"task": "chat", "modelId": CHAT_MODEL})
    await session.request("byok/active/set", {"task": "completion", "modelId": COMPLETION_MODEL})


async def chat(session: Session, text: str = "Say hello.", **extra: Any) -> Any:
    return await session.request(
        "byok/chat", {"messages": [{"role": "user", "content": text}], **extra}
    )


def open_document(session: Session, text: str, uri: str = DOC_URI, version: int = 1) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


async def complete(session: Session, line: int, character: int, uri: str = DOC_URI) -> Any:
    return await session.request(
        "byok/complete",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )


def generation_requests(fake: FakeServer) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith(("/chat/completions", "/completions"))]


def server_pid(session: Session) -> int:
    process = session.client._server
    assert process is not None
    return process.pid


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (psutil is not a dependency)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def files_containing(secret: str, *roots: Path) -> list[Path]:
    """Every file under ``roots`` whose bytes contain ``secret``."""
    needle = secret.encode()
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]
