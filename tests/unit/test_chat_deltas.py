"""DeltaStream: order, completeness and merging of byok/chat/delta notifications."""

from __future__ import annotations

import asyncio
from typing import Any

from byok_ls.chat import Answering
from byok_ls.lsp.chat_stream import DeltaStream
from byok_ls.providers.types import ReasoningDelta, TextDelta, ToolCallDelta


def make() -> tuple[DeltaStream, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    out = DeltaStream("c", sent.append)
    out(Answering("p/m", fallback=False))
    return out, sent


async def test_first_piece_goes_out_at_once_and_a_burst_is_merged() -> None:
    out, sent = make()
    out(TextDelta("a"))
    assert [d["text"] for d in sent] == ["a"]
    out(TextDelta("b"))
    out(TextDelta("c"))
    assert len(sent) == 1  # held until the loop turns
    await asyncio.sleep(0)
    assert [d["text"] for d in sent] == ["a", "bc"]
    out(TextDelta("d"))  # a new burst: immediate again
    assert [d["text"] for d in sent] == ["a", "bc", "d"]
    assert [d["index"] for d in sent] == [0, 1, 2]
    assert sent[0] == {"chatId": "c", "modelId": "p/m", "fallback": False, "index": 0, "text": "a"}


async def test_kinds_never_mix_and_order_is_kept() -> None:
    out, sent = make()
    out(ReasoningDelta("r1"))
    out(ReasoningDelta("r2"))
    out(TextDelta("t1"))
    out(ToolCallDelta(0, "x", "f", ""))
    out(TextDelta("t2"))
    out(TextDelta("t3"))
    out.flush()
    assert [
        (k, v) for d in sent for k, v in d.items() if k in ("text", "reasoning", "toolCall")
    ] == [
        ("reasoning", "r1"),
        ("reasoning", "r2"),
        ("text", "t1"),
        ("toolCall", {"index": 0, "id": "x", "name": "f", "arguments": ""}),
        ("text", "t2t3"),
    ]
    assert [d["index"] for d in sent] == list(range(5))
    await asyncio.sleep(0)
    assert len(sent) == 5  # the scheduled flush finds nothing left


async def test_a_fallback_model_is_named_in_its_pieces() -> None:
    """Pieces after an Answering event carry that attempt's model and fallback flag."""
    out, sent = make()
    out(Answering("q/n", fallback=True))
    out(TextDelta("x"))
    assert sent == [{"chatId": "c", "modelId": "q/n", "fallback": True, "index": 0, "text": "x"}]
