"""The SSE parser and NDJSON splitter give the same items however the bytes are chunked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from byok_ls.providers.sse import NDJSONSplitter, SSEEvent, SSEParser

STREAM = (
    b": OPENROUTER PROCESSING\r\n\r\n"
    b'data: {"a": 1}\r\n\r\n'
    b"event: content_block_delta\n"
    b'data: {"t": "h\xc3\xa9llo"}\n\n'
    b": keep-alive\n\n"
    b"data: line one\n"
    b"data:line two\n"
    b"id: 7\n"
    b"retry: 100\n\n"
    b"\r\r"
    b"event: ping\rdata: {}\r\r"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent('{"a": 1}'),
    SSEEvent('{"t": "héllo"}', "content_block_delta"),
    SSEEvent("line one\nline two", id="7"),
    SSEEvent("{}", "ping", "7"),
    SSEEvent("[DONE]", id="7"),
]


def parse(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    out = [e for c in chunks for e in parser.feed(c)]
    return out + parser.close()


def test_whole_stream() -> None:
    assert parse([STREAM]) == EXPECTED


def test_byte_by_byte() -> None:
    assert parse([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=30))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert parse(chunks) == EXPECTED


def test_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    assert parse([b"data: x\r", b"\ndata: y\r\n\r\n"]) == [SSEEvent("x\ny")]


def test_unterminated_event_at_close_is_dropped() -> None:
    assert parse([b"data: a\n\ndata: partial"]) == [SSEEvent("a")]


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=10))
def test_ndjson_any_chunking(cuts: list[int]) -> None:
    data = b'{"a":1}\n\n{"b":"\xc3\xa9"}\r\n{"done":true}'
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    splitter = NDJSONSplitter()
    lines = [x for c in chunks for x in splitter.feed(c)] + splitter.close()
    assert [line.strip() for line in lines] == [b'{"a":1}', b'{"b":"\xc3\xa9"}', b'{"done":true}']


LF_STREAM = (
    b'data: {"a": 1}\n\n'
    b'data: {"b": "\xe2\x80\xa8 data: x"}\n\n\n'
    b": keep-alive\n\n"
    b"event: message_delta\ndata: one\ndata: two\n\n"
    b"data: \xc3\xa9\n\n"
    b"id: 4\ndata: last\n\n"
    b"data: [DONE]\n\n"
)
LF_EXPECTED = [
    SSEEvent('{"a": 1}'),
    SSEEvent('{"b": "\u2028 data: x"}'),
    SSEEvent("one\ntwo", "message_delta"),
    SSEEvent("é"),
    SSEEvent("last", id="4"),
    SSEEvent("[DONE]", id="4"),
]


@given(st.lists(st.integers(min_value=0, max_value=len(LF_STREAM)), max_size=30))
def test_any_chunking_of_a_plain_lf_stream(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    bounds = zip([0, *points], [*points, len(LF_STREAM)], strict=True)
    assert parse([LF_STREAM[a:b] for a, b in bounds]) == LF_EXPECTED
