"""An editor stand-in for agent mode: answers approvals as scripted, applies workspace edits
to the files on disk as an editor saving them would, and shares scripted diagnostics."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import pytest_asyncio

from tests.fakes import FakeServer
from tests.lsp.editor import ANTHROPIC_KEY, Session, start_session, stop_session, use_model

AGENT = {"tools": True, "agent": True}


def _path(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def _offset(text: str, line: int, character: int) -> int:
    """A UTF-16 LSP position as a str index (the stand-in negotiates UTF-16)."""
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[:line])
    units = 0
    for i, ch in enumerate(lines[line] if line < len(lines) else ""):
        if units >= character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + (len(lines[line]) if line < len(lines) else 0)


def apply_text_edits(text: str, edits: list[dict[str, Any]]) -> str:
    spans = []
    for e in edits:
        start, end = e["range"]["start"], e["range"]["end"]
        spans.append(
            (
                _offset(text, start["line"], start["character"]),
                _offset(text, end["line"], end["character"]),
                e["newText"],
            )
        )
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@dataclass
class EditorStandIn:
    """What a user at the editor does: answers approvals in order (True when none left)."""

    session: Session
    answers: list[bool] = field(default_factory=list)
    asked: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[dict[str, Any]] | None = None
    #: Set: approvals wait for it (a user who has not answered yet).
    hold: asyncio.Event | None = None

    def install(self) -> None:
        client = self.session.client
        converter = client.protocol._converter

        def plain(params: Any) -> Any:
            return params if isinstance(params, dict) else converter.unstructure(params)

        async def approve(params: Any) -> dict[str, bool]:
            self.asked.append(plain(params))
            if self.hold is not None:
                await self.hold.wait()
            return {"approved": self.answers.pop(0) if self.answers else True}

        def apply_edit(params: Any) -> dict[str, Any]:
            params = plain(params)
            self.edits.append(params)
            edit = params["edit"]
            for uri, edits in (edit.get("changes") or {}).items():
                path = _path(uri)
                path.write_text(apply_text_edits(path.read_text(), edits))
            for change in edit.get("documentChanges") or []:
                if change.get("kind") == "create":
                    path = _path(change["uri"])
                    if path.exists():
                        return {"applied": False, "failureReason": "exists"}
                    path.write_text("")
                elif "textDocument" in change:
                    path = _path(change["textDocument"]["uri"])
                    path.write_text(apply_text_edits(path.read_text(), change["edits"]))
            return {"applied": True}

        def diagnostics(params: Any) -> dict[str, Any]:
            if self.diagnostics is None:
                raise LookupError("no diagnostics in this editor")
            uri = plain(params).get("uri")
            return {"diagnostics": [d for d in self.diagnostics if uri in (None, d["uri"])]}

        client.feature("byok/agent/approve")(approve)
        client.feature("workspace/applyEdit")(apply_edit)
        client.feature("byok/agent/diagnostics")(diagnostics)

    def steps(self, chat_id: str) -> list[dict[str, Any]]:
        return [s for s in self.session.received("byok/agent/step") if s["chatId"] == chat_id]

    def finished(self, chat_id: str) -> list[dict[str, Any]]:
        return [s for s in self.steps(chat_id) if s["status"] != "running"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    print('hello')\n")
    (root / "README.md").write_text("# Demo\n")
    (root / ".env").write_text("OPENAI_API_KEY=sk-live-do-not-read\n")
    (tmp_path / "outside.txt").write_text("private notes\n")
    return root


@pytest_asyncio.fixture
async def agent_lsp(project: Path) -> AsyncIterator[Session]:
    session = await start_session(workspace=project)
    yield session
    await stop_session(session)


@pytest.fixture
def editor(agent_lsp: Session) -> EditorStandIn:
    stand_in = EditorStandIn(agent_lsp)
    stand_in.install()
    return stand_in


#: (fake fixture, template, key) of each tool-calling wire format.
FORMATS = {
    "openai": ("openai_fake", "openai", "sk-test-ChatKey-0123456789abcdefWXYZ"),
    "anthropic": ("anthropic_fake", "anthropic", ANTHROPIC_KEY),
    "ollama": ("ollama_fake", "ollama", None),
}


async def use_agent_model(
    lsp: Session, fake: FakeServer, wire: str, name: str = "agent-model", **caps: bool
) -> str:
    _, template, key = FORMATS[wire]
    model = {"name": name, "capabilities": {**AGENT, **caps}}
    return await use_model(lsp, fake, model, template=template, key=key)


async def conversation_rows(data_dir: Path, chat_id: str, count: int) -> list[tuple[Any, ...]]:
    """The usage records of one conversation, once the ledger has written ``count`` of them."""
    rows: list[tuple[Any, ...]] = []
    for _ in range(200):
        path = data_dir / "usage.sqlite3"
        if path.exists():
            with sqlite3.connect(path) as db:
                rows = db.execute(
                    "SELECT task, outcome, input_tokens, output_tokens FROM usage_records "
                    "WHERE conversation_id = ? ORDER BY ts",
                    (chat_id,),
                ).fetchall()
            db.close()
            if len(rows) >= count:
                return rows
        await asyncio.sleep(0.05)
    return rows
