"""DeltaStream: order, completeness and merging of byok/chat/delta notifications."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from byok_ls.chat import ChatState, DeltaStream


def make() -> tuple[DeltaStream, list[dict[str, Any]], ChatState]:
    sent: list[dict[str, Any]] = []
    state = ChatState("c")
    target: Any = SimpleNamespace(model_id="p/m", fallback=False)
    return DeltaStream(state, target, sent.append), sent, state


async def test_first_piece_goes_out_at_once_and_a_burst_is_merged() -> None:
    out, sent, state = make()
    out.add("text", "a")
    assert [d["text"] for d in sent] == ["a"]
    assert state.delivered
    out.add("text", "b")
    out.add("text", "c")
    assert len(sent) == 1  # held until the loop turns
    await asyncio.sleep(0)
    assert [d["text"] for d in sent] == ["a", "bc"]
    out.add("text", "d")  # a new burst: immediate again
    assert [d["text"] for d in sent] == ["a", "bc", "d"]
    assert [d["index"] for d in sent] == [0, 1, 2]
    assert sent[0] == {"chatId": "c", "modelId": "p/m", "fallback": False, "index": 0, "text": "a"}


async def test_kinds_never_mix_and_order_is_kept() -> None:
    out, sent, _ = make()
    out.add("reasoning", "r1")
    out.add("reasoning", "r2")
    out.add("text", "t1")
    out.tool_call({"index": 0, "id": "x", "name": "f", "arguments": ""})
    out.add("text", "t2")
    out.add("text", "t3")
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
