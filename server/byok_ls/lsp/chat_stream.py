"""``byok/chat/delta`` notifications from a chat's events, batched per event-loop turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from byok_ls import api
from byok_ls.chat import Answering, ChatEvent
from byok_ls.providers.types import ReasoningDelta, TextDelta, ToolCallDelta

Sink = Callable[[dict[str, Any]], None]


def _fragment(piece: ToolCallDelta) -> dict[str, Any]:
    fragment: dict[str, Any] = {"index": piece.index, "arguments": piece.arguments}
    if piece.id:
        fragment["id"] = piece.id
    if piece.name:
        fragment["name"] = piece.name
    return fragment


class DeltaStream:
    """Sends the notifications of one chat, in order, numbered from 0.

    The first piece of a burst goes out at once; pieces of the same kind that follow within
    the same event-loop turn (a backlog read from the socket at once) are merged into one
    notification sent on the next turn, so a fast stream costs the client far fewer
    messages without delaying the first one. ``flush()`` sends what is held back; call it
    before the chat's answer (or error) so the client has every piece first.
    """

    __slots__ = ("_chat_id", "_fallback", "_index", "_model_id", "_pending", "_scheduled", "_sink")

    def __init__(self, chat_id: str, sink: Sink) -> None:
        self._chat_id = chat_id
        self._sink = sink
        self._model_id = ""
        self._fallback = False
        self._index = 0
        #: Held back: ("text" | "reasoning", merged text).
        self._pending: tuple[str, str] | None = None
        self._scheduled = False

    def __call__(self, event: ChatEvent) -> None:
        if isinstance(event, Answering):
            self.flush()
            self._model_id, self._fallback = event.model_id, event.fallback
        elif isinstance(event, TextDelta):
            self._add("text", event.text)
        elif isinstance(event, ReasoningDelta):
            self._add("reasoning", event.text)
        else:
            self.flush()
            self._send(tool_call=_fragment(event))

    def _add(self, kind: str, text: str) -> None:
        if not self._scheduled:
            # First piece of a burst: out at once; later pieces of this loop turn wait.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)
            self.flush()
            self._piece(kind, text)
            return
        pending = self._pending
        if pending is not None and pending[0] == kind:
            self._pending = (kind, pending[1] + text)
        else:
            self.flush()
            self._pending = (kind, text)

    def _flush_soon(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._piece(*pending)

    def _piece(self, kind: str, text: str) -> None:
        if kind == "text":
            self._send(text=text)
        else:
            self._send(reasoning=text)

    def _send(
        self,
        text: str | None = None,
        reasoning: str | None = None,
        tool_call: dict[str, Any] | None = None,
    ) -> None:
        delta = api.ChatDelta(
            chat_id=self._chat_id,
            index=self._index,
            model_id=self._model_id,
            fallback=self._fallback,
            text=text,
            reasoning=reasoning,
            tool_call=tool_call,
        )
        self._sink(delta.model_dump(mode="json", by_alias=True, exclude_none=True))
        self._index += 1
