"""What a fake answers: the scripted `Reply` and the queue that hands replies out."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JSON = Any

DEFAULT_CHAT_TEXT = "Hello from the fake."
DEFAULT_COMPLETION_TEXT = "return a + b"


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model makes; streamed as id+name first, then argument fragments."""

    name: str
    arguments: str = "{}"
    id: str | None = None
    fragments: int = 3


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass
class Reply:
    """One scripted answer.

    Frame counters (`cut_after`, `stall_after`, `reset_after`, `error_after`, `garbage_after`)
    count the frames of the body as written: SSE events (comments included), NDJSON lines, or
    for a non-streamed body the halves of it (0 = right after the headers).
    """

    text: str | None = None
    chunks: int = 3
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    # Non-2xx answers and overrides of the whole body.
    status: int = 200
    body: JSON | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Only consumed by the request to this path, full or under the provider's base URL
    # (None: the next request to any generation endpoint).
    path: str | None = None
    # Timing and transport faults.
    delay_headers: float = 0.0
    delay_chunks: float = 0.0
    stall_after: int | None = None
    cut_after: int | None = None
    reset_after: int | None = None
    close_before_headers: bool = False
    reset_before_headers: bool = False
    garbage: bytes | None = None
    garbage_after: int = 0
    raw: bytes | None = None
    huge_bytes: int | None = None
    # Error delivered inside a 200 stream after K frames; the flavor frames it.
    stream_error: JSON | None = None
    error_after: int = 1

    def resolved_text(self, default: str) -> str:
        text = self.text if self.text is not None else default
        if self.huge_bytes:
            unit = text or "x"
            text = (unit * (self.huge_bytes // len(unit) + 1))[: self.huge_bytes]
        return text

    def to_json(self) -> dict[str, JSON]:
        out = dataclasses.asdict(self)
        for key in ("garbage", "raw"):
            value = getattr(self, key)
            out[key] = value.decode("latin-1") if value is not None else None
        return out

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Reply:
        """Build a Reply from JSON (the CLI control API); `preset` names an error preset."""
        from tests.fakes.presets import PRESETS

        data = dict(data)
        preset = data.pop("preset", None)
        base = PRESETS[preset]() if preset else cls()
        if "tool_calls" in data:
            data["tool_calls"] = [ToolCall(**tc) for tc in data["tool_calls"]]
        if data.get("usage") is not None:
            data["usage"] = Usage(**data["usage"])
        for key in ("garbage", "raw"):
            if isinstance(data.get(key), str):
                data[key] = data[key].encode("latin-1")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        return dataclasses.replace(base, **data)


def split_text(text: str, parts: int) -> list[str]:
    """Split into `parts` non-empty pieces (fewer if the text is shorter)."""
    if not text:
        return []
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    out: list[str] = []
    start = 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out


def estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


class ReplyQueue:
    """Thread-safe FIFO: tests queue from their thread, the fake pops in its loop thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[Reply] = deque()

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._items.extend(replies)

    def pop_for(self, path: str, generative: bool, api_path: str = "") -> Reply | None:
        """The first reply meant for this request; `Reply.path` is the full path or the path
        under the provider's base URL ("/completions" is /v1/completions on OpenAI)."""
        with self._lock:
            for i, reply in enumerate(self._items):
                targets = (reply.path, api_path + reply.path) if reply.path else None
                if (path in targets) if targets else generative:
                    del self._items[i]
                    return reply
            return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
