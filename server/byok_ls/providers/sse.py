"""Incremental parsers for the two streaming framings providers use: SSE and NDJSON.

Both take raw bytes as they arrive from the socket (chunk boundaries can fall anywhere, even
inside a UTF-8 sequence or between ``\\r`` and ``\\n``) and return complete items. Only whole
lines are decoded, so a split multi-byte character is never seen half.

Speed matters because every streamed token passes through here: the line split is done by
``bytes.splitlines`` (C code, and it splits on exactly the SSE terminators ``\\r\\n``, ``\\r``
and ``\\n``), and the common ``data: ...`` line takes a single prefix test.
"""

from __future__ import annotations

from operator import methodcaller
from typing import NamedTuple


class SSEEvent(NamedTuple):
    """One dispatched server-sent event (``event`` is "message" when the stream names none).

    A NamedTuple rather than a frozen dataclass: one is built per streamed token, and tuple
    construction is several times cheaper.
    """

    data: str
    event: str = "message"
    id: str | None = None


# Building the tuple directly skips NamedTuple's Python-level __new__ (one event per token).
_new_event = tuple.__new__
_is_data = methodcaller("startswith", "data: ")


class SSEParser:
    """Feed bytes, get :class:`SSEEvent` objects (WHATWG event-stream rules)."""

    __slots__ = ("_buf", "_data", "_event", "_held", "_id", "_skip_lf")

    def __init__(self) -> None:
        self._buf = b""
        #: Chunks without any line end, joined once a line ends: appending each one to
        #: ``_buf`` would copy a long line again per chunk (quadratic in its length).
        self._held: list[bytes] = []
        self._data: list[bytes] = []
        self._event = ""
        self._id: str | None = None
        # A chunk that ends in "\r" may be half of "\r\n": the "\n" that may start the next
        # chunk must not count as a second (blank, i.e. dispatching) line.
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if b"\n" not in chunk and b"\r" not in chunk:
            self._held.append(chunk)
            return []
        if self._held:
            chunk = b"".join([*self._held, chunk])
            self._held.clear()
        buf = self._buf + chunk if self._buf else chunk
        if not self._skip_lf and not self._data and not self._event and b"\r" not in buf:
            return self._fast(buf)
        return self._split(buf)

    def _split(self, buf: bytes) -> list[SSEEvent]:
        """The general case: whole lines at a time, keeping only a partial last line."""
        if self._skip_lf and buf[:1] == b"\n":
            buf = buf[1:]
        self._skip_lf = False
        end = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
        if end < 0:
            self._buf = buf
            return []
        self._buf = buf[end + 1 :]
        if buf[end] == 13 and not self._buf:  # trailing "\r"
            self._skip_lf = True
        # splitlines() on text that ends in a terminator yields no trailing empty item, so a
        # blank line right at the end ("...\n\n") shows up as one empty string: dispatch.
        return self._lines(buf[: end + 1].splitlines())

    def _fast(self, buf: bytes) -> list[SSEEvent]:
        """The common case ("\n" line ends, no event pending): whole events at a time.

        Everything up to the last blank line is complete events; each one that is a single
        ``data:`` line (nearly all of them) becomes an event without a line-by-line pass.
        """
        end = buf.rfind(b"\n\n")
        if end < 0:
            # No complete event yet: take the complete lines now, so a stream of lines that
            # never ends an event is not kept (and copied again) as one growing buffer.
            return self._split(buf)
        if end == len(buf) - 2 and buf.find(b"\n") == end and buf.startswith(b"data: "):
            # The live-streaming case: one chunk, one token event.
            self._buf = b""
            return [
                _new_event(SSEEvent, (buf[6:end].decode("utf-8", "replace"), "message", self._id))
            ]
        self._buf = buf[end + 2 :]
        text = buf[:end].decode("utf-8", "replace")  # one decode for the whole batch
        blocks = text.split("\n\n")
        ident = self._id
        # No "\n" besides the separators and every block a data line: map straight across.
        if text.count("\n") == 2 * len(blocks) - 2 and all(map(_is_data, blocks)):
            return [_new_event(SSEEvent, (b[6:], "message", ident)) for b in blocks]
        out: list[SSEEvent] = []
        for block in blocks:
            if block:
                out.extend(self._lines([line.encode() for line in block.split("\n")] + [b""]))
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream: a final unterminated line counts; an undispatched event is dropped."""
        rest, self._buf = self._buf + b"".join(self._held), b""
        self._held.clear()
        events = self._lines([rest]) if rest else []
        self._data.clear()
        self._event = ""
        return events

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        data = self._data  # raw bytes of the pending event's data lines
        for line in lines:
            if line[:6] == b"data: ":
                data.append(line[6:])
            elif not line:
                if data:
                    # Decoded once per event, not per line; most events have one line.
                    raw = data[0] if len(data) == 1 else b"\n".join(data)
                    out.append(
                        SSEEvent(raw.decode("utf-8", "replace"), self._event or "message", self._id)
                    )
                    data.clear()
                self._event = ""
            elif line[:1] == b":":
                continue  # comment: ": keep-alive", ": OPENROUTER PROCESSING"
            else:
                name, sep, value = line.partition(b":")
                if sep and value[:1] == b" ":
                    value = value[1:]
                if name == b"data":
                    data.append(value)
                elif name == b"event":
                    self._event = value.decode("utf-8", "replace")
                elif name == b"id" and b"\0" not in value:
                    self._id = value.decode("utf-8", "replace")
                # "retry" and unknown fields are ignored, as the spec says.
        return out


class NDJSONSplitter:
    """Feed bytes, get complete non-blank lines (one JSON document each, still undecoded)."""

    __slots__ = ("_buf", "_held")

    def __init__(self) -> None:
        self._buf = b""
        self._held: list[bytes] = []  # chunks without a line end (see SSEParser._held)

    def feed(self, chunk: bytes) -> list[bytes]:
        if b"\n" not in chunk:
            self._held.append(chunk)
            return []
        if self._held:
            chunk = b"".join([*self._held, chunk])
            self._held.clear()
        buf = self._buf + chunk if self._buf else chunk
        end = buf.rfind(b"\n")
        if end < 0:
            self._buf = buf
            return []
        self._buf = buf[end + 1 :]
        return [line for line in buf[:end].split(b"\n") if line.strip()]

    def close(self) -> list[bytes]:
        rest, self._buf = self._buf + b"".join(self._held), b""
        self._held.clear()
        return [rest] if rest.strip() else []
