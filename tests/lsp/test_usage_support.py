"""Shared set-up for the usage, budget and fallback tests (no tests in this module)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes import FakeServer
from tests.lsp.conftest import Session, start_session

OPENAI_KEY = "sk-test-usageOpenAI-0123456789abcdWXYZ"
DEEPSEEK_KEY = "sk-test-usageDeepSeek-0123456789abQRST"
# gpt-4o-mini's prices in the openai template, USD per million tokens.
MINI_IN, MINI_OUT = 0.15, 0.6
# gpt-3.5-turbo-instruct's prices in the openai template.
INSTRUCT_IN, INSTRUCT_OUT = 1.5, 2.0
# deepseek-chat's prices in the deepseek template.
DEEPSEEK_IN, DEEPSEEK_OUT = 0.28, 0.42

DOC_URI = "file:///work/project/main.py"
DOC_TEXT = "def add(a, b):\n    \n"


async def start(env: dict[str, str] | None = None) -> Session:
    """A real server that never tries to download a tokenizer (counts are then estimates)."""
    return await start_session({"HF_HUB_OFFLINE": "1", **(env or {})})


def cost(input_tokens: int, output_tokens: int, price_in: float, price_out: float) -> float:
    return (input_tokens * price_in + output_tokens * price_out) / 1e6


def write_settings(config_dir: Path, **settings: Any) -> None:
    """Start from a config file that only holds settings (before the server starts)."""
    (config_dir / "config.yaml").write_text(yaml.safe_dump({"version": 1, "settings": settings}))


async def add_openai(session: Session, fake: FakeServer, **extra: Any) -> None:
    await session.request(
        "byok/providers/add",
        {"template": "openai", "baseUrl": fake.api_base, "apiKey": OPENAI_KEY, **extra},
    )


async def add_deepseek(session: Session, fake: FakeServer) -> None:
    await session.request(
        "byok/providers/add",
        {"template": "deepseek", "baseUrl": fake.api_base, "apiKey": DEEPSEEK_KEY},
    )


async def chat(session: Session, text: str = "Say hello.", **extra: Any) -> Any:
    return await session.request(
        "byok/chat", {"messages": [{"role": "user", "content": text}], **extra}
    )


async def open_document(session: Session, text: str = DOC_TEXT) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=DOC_URI, language_id="python", version=1, text=text
            )
        )
    )


async def complete(session: Session, line: int = 1, character: int = 4) -> Any:
    return await session.request(
        "byok/complete",
        {"textDocument": {"uri": DOC_URI}, "position": {"line": line, "character": character}},
    )


def generation_requests(fake: FakeServer) -> list[Any]:
    """Requests that asked the fake for text (not model listings or control calls)."""
    return [r for r in fake.requests if r.path.endswith(("/chat/completions", "/completions"))]


def shown(session: Session, needle: str) -> list[str]:
    """window/showMessage texts received so far that contain ``needle``."""
    return [m.message for m in session.client.messages if needle in m.message]


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def data(err: JsonRpcException) -> dict[str, Any]:
    """The ``error.data`` object of a domain error."""
    assert isinstance(err.data, dict), err
    return err.data


def row_for(report: Any, **match: str) -> Any:
    rows = [r for r in report["rows"] if all(r.get(k) == v for k, v in match.items())]
    assert len(rows) == 1, (match, report["rows"])
    return rows[0]
