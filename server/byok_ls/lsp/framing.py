"""The stdio message loop: LSP base-protocol framing that survives a misbehaving client.

pygls 2.1's own loop (``pygls.io_.run_async``) trusts its input. Measured against the real
server, it

* never recovers from a frame without a valid ``Content-Length`` or with a wrong one: the
  left-over body bytes and the next header end up on one "header line", and every later
  message is lost (the editor sees a server that hangs);
* dies on ``Content-Length: 99999999999999`` (it allocates the whole body up front);
* drops requests whose ``jsonrpc`` is not ``"2.0"`` or whose params cannot be structured
  without any answer (the client waits forever) and writes such messages, params and all,
  to the log.

This loop keeps pygls' dispatch (``protocol.structure_message`` / ``handle_message``) and
replaces only the reading: it resynchronises on the next ``Content-Length`` header, bounds
what it buffers, and answers what it cannot dispatch with the JSON-RPC error the spec asks
for (-32700 parse error, -32600 invalid request, with the request's id when one can be read).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections import deque
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException, JsonRpcInternalError

log = logging.getLogger(__name__)

#: Largest body this server reads (a 5 MB chat message is fine; a length of 10^14 is not a
#: message). A larger length is answered with -32600 at once and the bytes after it are
#: scanned for the next header like any other junk, so memory stays bounded and the server
#: does not wait for bytes that will never come.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Longest header line kept; longer junk is scanned in pieces of this size.
MAX_LINE_BYTES = 64 * 1024
_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)[ \t]*\r?\n?$", re.IGNORECASE)
_MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
# Enough of a junk piece to keep so a header split across two pieces is still found.
_CARRY = 64

#: Messages handed to pygls per turn of the event loop (see Transport._drain).
DISPATCH_PER_TURN = 8

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


def _finish(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


class _RawReader:
    """``readline``/``read`` over the raw file descriptor with a buffer of our own.

    The reading thread may still be blocked when the server exits; blocked in ``os.read``
    it holds no Python lock, whereas a thread blocked inside ``sys.stdin.buffer`` makes
    interpreter shutdown abort ("could not acquire lock ... at interpreter shutdown").
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.fd = stream.fileno()
        self.buffer = bytearray()
        self.eof = False

    def _fill(self) -> None:
        chunk = os.read(self.fd, 65536)
        if chunk:
            self.buffer += chunk
        else:
            self.eof = True

    def readline(self, limit: int) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self.buffer) >= limit or self.eof:
                return self._take(min(limit, len(self.buffer)))
            self._fill()

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n and not self.eof:
            self._fill()
        return self._take(min(n, len(self.buffer)))

    def _take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


class Transport:
    def __init__(self, protocol: Any, stdin: BinaryIO) -> None:
        self.protocol = protocol
        self.stdin = _RawReader(stdin)
        # Messages read but not yet handed to pygls (touched on the event loop only).
        self._inbox: deque[bytes] = deque()
        self._draining = False

    def _send_error(self, msg_id: Any, code: int, message: str) -> None:
        if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool):
            msg_id = None
        body = json.dumps(
            {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        ).encode()
        writer = self.protocol.writer
        if writer is not None:
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def _next_length(self) -> int | None:
        """Read header lines up to the blank line after a ``Content-Length``; None at EOF."""
        length: int | None = None
        carry = b""
        while True:
            piece = self.stdin.readline(MAX_LINE_BYTES)
            if not piece:
                return None
            line = carry + piece
            carry = b""
            if not piece.endswith(b"\n"):
                # Longer than MAX_LINE_BYTES: junk unless a header starts in it.
                carry = line[-_CARRY:]
                continue
            if line.strip() == b"":
                if length is not None:
                    return length
                continue  # a blank line with no length before it: nothing to read yet
            found = list(_MARKER.finditer(line))
            if not found:
                if b":" not in line:
                    log.warning("ignored %d bytes that are not a message header", len(line))
                continue  # another header (Content-Type) or junk
            # Junk and then a header on one line: what is left of a body whose length
            # was wrong, followed by the next message. Start again at that header.
            match = _HEADER.match(line, found[-1].start())
            value = match.group(1) if match else b""
            if value.isdigit():
                length = int(value)
            else:
                log.warning("ignored a Content-Length header that is not a number")
                length = None

    def _read_messages(self, loop: asyncio.AbstractEventLoop, done: asyncio.Future[None]) -> None:
        """Blocking reads in one thread; each whole message crosses to the loop once
        (a hop per header line costs a completion request several context switches)."""

        def post(callback: Any, *args: Any) -> bool:
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:
                return False  # the loop is gone: the server is exiting
            return True

        try:
            while True:
                length = self._next_length()
                if length is None:
                    break
                if length > MAX_BODY_BYTES:
                    message = f"Message of {length} bytes refused: the limit is {MAX_BODY_BYTES}."
                    if not post(self._send_error, None, INVALID_REQUEST, message):
                        return
                    continue
                body = self.stdin.read(length) if length else b""
                if len(body) < length:
                    break  # the client closed its end in the middle of a message
                if not post(self._receive, loop, body):
                    return
        except Exception:
            log.exception("reading from the client failed")
        finally:
            post(_finish, done)

    def _receive(self, loop: asyncio.AbstractEventLoop, body: bytes) -> None:
        self._inbox.append(body)
        if not self._draining:
            self._draining = True
            loop.call_soon(self._drain, loop)

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hand a few messages to pygls per loop turn, in order.

        A burst of requests read at once would otherwise start every handler in one turn of
        the event loop, and timers, cancellations and answers already on their way would
        wait behind all of them.
        """
        for _ in range(DISPATCH_PER_TURN):
            if not self._inbox:
                break
            self.dispatch(self._inbox.popleft())
        if self._inbox:
            loop.call_soon(self._drain, loop)
        else:
            self._draining = False

    async def run(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        reader = threading.Thread(
            target=self._read_messages, args=(loop, done), name="byok-ls-stdin", daemon=True
        )
        reader.start()
        # The client ends the session by closing stdin (after `exit`); the stop event covers
        # a server asked to stop from inside.
        while not done.done() and not stop.is_set():
            await asyncio.wait([done], timeout=0.5)

    def dispatch(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            self._send_error(None, PARSE_ERROR, f"Parse error: {reason}")
            return
        msg_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            self._send_error(
                msg_id, INVALID_REQUEST, 'Invalid Request: expected an object with "jsonrpc": "2.0"'
            )
            return
        is_request = "id" in data and "method" in data
        if "method" in data and not isinstance(data["method"], str):
            self._send_error(msg_id, INVALID_REQUEST, "Invalid Request: method must be a string")
            return
        try:
            message = self.protocol.structure_message(data)
        except JsonRpcException as exc:
            if is_request:
                self._send_error(msg_id, exc.code, f"{data['method']}: {exc.message}")
            return
        except Exception:
            log.exception("cannot read a %s message", data.get("method", "response"))
            if is_request:
                error = JsonRpcInternalError()
                self._send_error(msg_id, error.code, f"{data['method']}: {error.message}")
            return
        try:
            self.protocol.handle_message(message)
        except Exception:
            log.exception("handling a %s message failed", data.get("method", "response"))
            if is_request:
                self._send_error(msg_id, JsonRpcInternalError.CODE, "Internal error")
