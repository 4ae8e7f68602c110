"""Streamed inline completion through the real server: the ghost text is answered as soon as
its cut is decided and the upstream stream is closed then, on every way a completion reaches
a provider (native FIM endpoints, server-built templates, chat fill)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.fakes import FakeServer, Reply
from tests.fakes import Usage as FakeUsage
from tests.lsp.editor import stop_session
from tests.lsp.test_completion import ANTHROPIC_KEY_ENV, Editor, start_editor

pytestmark = pytest.mark.asyncio(loop_scope="module")

DOC = "def add(a, b):\n    \n\n\ndef sub(a, b):\n    return a - b\n"
#: The model's answer at line 1: the body, then it runs on into the next definition.
RAMBLING = "return a + b\n\n\ndef sub(a, b):\n    return a - b\n\n\ndef mul(a, b):\n" + (
    "    return a * b\n" * 20
)
#: Pieces the answer is streamed in, and the pause between them: the whole answer takes
#: 60 x 50 ms = 3 s, far longer than a cut made after the first few pieces.
PIECES, PAUSE_S = 60, 0.05


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def editor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    ed = await start_editor(tmp_path_factory.mktemp("stream"))
    yield ed
    await stop_session(ed.session)


@pytest.fixture(autouse=True)
def fresh_config(editor: Editor) -> None:
    editor.reset()


async def use(editor: Editor, flavor: str, fake: FakeServer) -> None:
    """The flavor's usual completion setup at ``fake``."""
    local = {"base_url": fake.base_url, "key_env": None}
    setups: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "openai": ({"name": "inst", "fim": "native"}, {}),
        "deepseek": (
            {"name": "deepseek-chat"},
            {"template": "deepseek", "base_url": fake.base_url},
        ),
        "mistral": ({"name": "codestral-latest"}, {"template": "mistral"}),
        "ollama": ({"name": "qwen2.5-coder:1.5b"}, {"template": "ollama", **local}),
        "llamacpp": ({"name": "default"}, {"template": "llamacpp", **local}),
        "vllm": ({"name": "sc2", "fim": "template:starcoder2"}, {"template": "vllm"}),
        "chat": ({"name": "gpt-4o-mini", "fim": "chat"}, {}),
        "anthropic": (
            {"name": "claude-haiku-4-5", "fim": "chat"},
            {"template": "anthropic", "base_url": fake.base_url, "key_env": ANTHROPIC_KEY_ENV},
        ),
    }
    model, options = setups[flavor]
    await editor.use(fake, model, **options)


WAYS = ["openai", "deepseek", "mistral", "ollama", "llamacpp", "vllm", "chat", "anthropic"]


@pytest.mark.parametrize("way", WAYS)
async def test_multi_line_answer_is_cut_at_the_block_end_and_the_stream_closed(
    editor: Editor, request: pytest.FixtureRequest, way: str
) -> None:
    """The editor gets the body alone, long before the provider would have finished, and the
    provider sees its connection closed before the end of its answer."""
    flavor = "openai" if way == "chat" else way
    fake: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    await use(editor, way, fake)
    fake.queue(Reply(text=RAMBLING, chunks=PIECES, delay_chunks=PAUSE_S))
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    [sent] = fake.requests
    closed = await asyncio.to_thread(fake.wait_closed_early, 5.0)
    assert closed is sent and not sent.completed
    assert (sent.json or {}).get("stream") is True


async def test_single_line_mode_tells_the_provider_to_stop_at_the_newline(
    editor: Editor, openai_fake: FakeServer
) -> None:
    """Mid-line: ``stop`` starts with a newline, the output budget is a line's, and a
    provider that ignores the stop is cut off at its first newline anyway."""
    await use(editor, "openai", openai_fake)
    openai_fake.queue(Reply(text=" + b)\n" + RAMBLING, chunks=PIECES, delay_chunks=PAUSE_S))
    uri = editor.open("def add(a, b):\n    return (a)\n")
    assert await editor.texts(uri, 1, 13) == [" + b"]
    sent = openai_fake.last.json
    assert sent["stop"][0] == "\n"
    assert sent["max_tokens"] == 64
    await asyncio.to_thread(openai_fake.wait_closed_early, 5.0)


async def test_multi_line_mode_sends_no_newline_stop_and_the_full_budget(
    editor: Editor, vllm_fake: FakeServer
) -> None:
    """At the end of a line the family's stop tokens go up, without the newline."""
    await use(editor, "vllm", vllm_fake)
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    sent = vllm_fake.last.json
    assert "\n" not in sent["stop"] and "<|endoftext|>" in sent["stop"]
    assert sent["max_tokens"] == 128


async def test_a_stream_closed_early_is_billed_for_what_arrived(
    editor: Editor, openai_fake: FakeServer
) -> None:
    """The provider's usage report never arrives on a stream closed early: the ledger counts
    the tokens that did arrive, marked as an estimate; a stream read to its end keeps the
    provider's own figures."""
    await use(editor, "openai", openai_fake)
    openai_fake.queue(
        Reply(text=RAMBLING, chunks=PIECES, delay_chunks=PAUSE_S, usage=FakeUsage(500, 300))
    )
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    pid = editor.provider_id
    row: dict[str, Any] = {}
    for _ in range(100):
        rows = [r for r in await editor.usage_rows() if r["providerId"] == pid]
        if rows and rows[0]["requests"] == 1:
            row = rows[0]
            break
        await asyncio.sleep(0.05)
    assert row["estimated"] is True
    assert 0 < row["outputTokens"] < 300
    assert row["inputTokens"] > 0
