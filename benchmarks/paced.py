"""A provider that answers at a real pace: OpenAI-style ``/v1/completions`` over SSE, the
first token after ``ttft_s``, then one token every ``per_token_s``.

It counts the tokens it sent before the client closed the stream, which is what a real
provider bills. Sockets have TCP_NODELAY set, as a real server's do (see TESTING.md).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Roughly how a BPE tokenizer splits code: a word with its leading space, a run of
#: spaces, a newline, a punctuation character.
_TOKEN = re.compile(r" ?\w+|\n|[ \t]+|[^\w\s]")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@dataclass
class Served:
    sent: int = 0
    total: int = 0
    closed_early: bool = False
    body: dict[str, object] = field(default_factory=dict)
    #: perf_counter() when the request arrived, and when each token left.
    received_at: float = 0.0
    sent_at: list[float] = field(default_factory=list)

    def decided_after(self, needed: int) -> float:
        """Seconds from the request to the token that decides the cut: the ideal wait."""
        return self.sent_at[min(needed, len(self.sent_at)) - 1] - self.received_at


class PacedProvider:
    def __init__(
        self, answer: Callable[[dict[str, object]], str], ttft_s: float, per_token_s: float
    ) -> None:
        self.answer = answer
        self.ttft_s = ttft_s
        self.per_token_s = per_token_s
        self.served: list[Served] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = json.loads(await reader.readexactly(length)) if length else {}
        served = Served(body=body, received_at=time.perf_counter())
        self.served.append(served)
        pieces = tokens(self.answer(body))[: int(body.get("max_tokens") or 128)]
        served.total = len(pieces)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
        )
        await writer.drain()
        gone = asyncio.ensure_future(reader.read(1))  # b"": the client closed the stream
        await asyncio.sleep(self.ttft_s)
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(self.per_token_s)
            if gone.done():
                served.closed_early = True
                return False
            event = {"choices": [{"index": 0, "text": piece, "finish_reason": None}]}
            frame = b"data: " + json.dumps(event).encode() + b"\n\n"
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            await writer.drain()
            served.sent_at.append(time.perf_counter())
            served.sent += 1
        done = {"choices": [{"index": 0, "text": "", "finish_reason": "length"}]}
        for frame in (b"data: " + json.dumps(done).encode() + b"\n\n", b"data: [DONE]\n\n"):
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        gone.cancel()
        return True
