"""Byte-level HTTP/1.1 plumbing: request parsing, the recorded request, response writing."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.scripts import Reply

Headers = list[tuple[str, str]]

MAX_HEAD = 64 * 1024
# RecordedRequest has a field named `time`, which hides the module inside the class body.
_monotonic = time.monotonic

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Site Overloaded",
}


class BadRequest(Exception):
    pass


class CloseConnection(Exception):
    """The script ends the exchange by dropping the connection (RST when `reset`)."""

    def __init__(self, reset: bool = False) -> None:
        super().__init__("reset" if reset else "close")
        self.reset = reset


class ClientGone(Exception):
    pass


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float
    status: int | None = None
    # The whole response reached the socket.
    completed: bool = False
    # The client closed its side before the response was complete.
    closed_early: bool = False
    finished_at: float | None = None
    reply: Reply | None = None
    # Which client connection carried it: equal ids mean a reused keep-alive connection.
    connection: int = 0
    started: float = field(default_factory=_monotonic)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def to_public_json(self) -> dict[str, Any]:
        """JSON view with credential values replaced by "present"."""
        headers = {
            k: ("present" if k in ("authorization", "x-api-key", "api-key") else v)
            for k, v in self.headers.items()
        }
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "json": self.json,
            "body": None if self.json is not None else self.body.decode("utf-8", "replace"),
            "time": self.time,
            "status": self.status,
            "completed": self.completed,
            "closed_early": self.closed_early,
            "finished": self.finished,
            "connection": self.connection,
        }


_connection_ids = itertools.count(1)


class Connection:
    """One client socket; keeps unread bytes so a pipelined request is never lost."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False
        self.id = next(_connection_ids)

    async def _fill(self) -> None:
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
            raise asyncio.IncompleteReadError(bytes(self.buf), None)
        self.buf += data

    async def read_until(self, sep: bytes, limit: int = MAX_HEAD) -> bytes:
        while (i := self.buf.find(sep)) < 0:
            if len(self.buf) > limit:
                raise BadRequest("head too large")
            await self._fill()
        out = bytes(self.buf[: i + len(sep)])
        del self.buf[: i + len(sep)]
        return out

    async def read_exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            await self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def read_request(self) -> RecordedRequest | None:
        try:
            head = await self.read_until(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head[:-4].decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError as e:
            raise BadRequest(f"bad request line {lines[0]!r}") from e
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(f"bad header line {line!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if headers.get("expect", "").lower() == "100-continue":
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await self._read_body(headers)
        url = urlsplit(target)
        parsed: Any = None
        if body and "json" in headers.get("content-type", "application/json"):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        if version == "HTTP/1.0" and "connection" not in headers:
            headers["connection"] = "close"
        return RecordedRequest(
            method=method.upper(),
            path=url.path,
            query=parse_qs(url.query),
            headers=headers,
            body=body,
            json=parsed,
            time=time.time(),
            connection=self.id,
        )

    async def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size_line = await self.read_until(b"\r\n")
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while await self.read_until(b"\r\n") != b"\r\n":
                        pass
                    return bytes(body)
                body += await self.read_exactly(size)
                await self.read_exactly(2)
        length = int(headers.get("content-length", "0") or "0")
        return await self.read_exactly(length) if length else b""

    async def watch_eof(self) -> None:
        """Returns when the client closes its side; any early bytes are kept for later."""
        while True:
            data = await self.reader.read(65536)
            if not data:
                self.eof = True
                return
            self.buf += data

    async def write(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise ClientGone
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as e:
            raise ClientGone from e

    def abort(self, reset: bool) -> None:
        if reset:
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER with a zero timeout turns close() into an RST.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


def status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n".encode()


def encode_head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    out = bytearray(status_line(status))
    out += f"date: {formatdate(usegmt=True)}\r\n".encode()
    for name, value in headers:
        out += f"{name}: {value}\r\n".encode("latin-1")
    out += b"\r\n"
    return bytes(out)


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def dumps(obj: Any) -> bytes:
    # Compact separators match what OpenAI and Anthropic put on the wire.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
