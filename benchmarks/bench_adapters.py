"""What the provider adapters cost on top of the wire.

1. Parsing throughput of a long OpenAI chat SSE stream (50,000 token events): the adapter's
   path (``SSEParser`` + JSON decoding + ``ChoiceParser``) next to two floors over the same
   bytes and chunking: a bare loop that only splits them into lines, and one that splits
   them and decodes each event's JSON (the least any parser must do). Two chunkings: one
   event per read (live streaming) and 16 KiB reads (a backlog read at once).
2. A non-streamed chat call through the adapter vs. the same request sent directly with
   httpx to the same fake provider (p50/p99 and the difference in ms).

Run: ``.venv/bin/python benchmarks/bench_adapters.py`` from the repository root.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from tests.fakes import FakeServer  # noqa: E402

from benchmarks.figures import emit  # noqa: E402
from byok_ls.providers.openai_compat import ChoiceParser, OpenAIAdapter  # noqa: E402
from byok_ls.providers.retry import NO_RETRY  # noqa: E402
from byok_ls.providers.sse import SSEParser  # noqa: E402
from byok_ls.providers.types import (  # noqa: E402
    ChatMessage,
    ChatRequest,
    Endpoint,
    TextDelta,
)

TOKENS = 50_000
RUNS = 5
CALLS = 400


def make_stream(n: int = TOKENS) -> list[bytes]:
    """One SSE event per token, shaped like OpenAI's chat.completion.chunk."""
    words = ["def", " handler", "(", "request", ")", ":", "\n   ", " return", " 42", " ünï"]
    events = []
    for i in range(n):
        chunk = {
            "id": "chatcmpl-AbCdEf0123456789",
            "object": "chat.completion.chunk",
            "created": 1735689600,
            "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_0123456789",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": words[i % len(words)]},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        }
        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


def rechunk(events: list[bytes], size: int) -> list[bytes]:
    blob = b"".join(events)
    return [blob[i : i + size] for i in range(0, len(blob), size)]


def floor_lines(chunks: list[bytes]) -> int:
    """Split into lines and keep the data lines: no decoding, no events."""
    buf = b""
    count = 0
    for chunk in chunks:
        buf += chunk
        end = buf.rfind(b"\n")
        if end < 0:
            continue
        lines, buf = buf[:end].split(b"\n"), buf[end + 1 :]
        for line in lines:
            if line.startswith(b"data: "):
                count += 1
    return count


def floor_json(chunks: list[bytes]) -> int:
    """Split into lines and decode each event's JSON: what any SSE+JSON parser must do."""
    buf = b""
    count = 0
    for chunk in chunks:
        buf += chunk
        end = buf.rfind(b"\n")
        if end < 0:
            continue
        lines, buf = buf[:end].split(b"\n"), buf[end + 1 :]
        for line in lines:
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                json.loads(line[6:])
                count += 1
    return count


def adapter_path(chunks: list[bytes]) -> int:
    """What OpenAIAdapter.run does per streamed chunk (minus the socket)."""
    parser = SSEParser()
    choices = ChoiceParser(None)
    count = 0
    for chunk in chunks:
        for sse in parser.feed(chunk):
            if sse.data == "[DONE]":
                break
            obj = json.loads(sse.data)
            if sse.event == "error" or obj.get("error"):
                raise RuntimeError("error in stream")
            for event in choices.events(obj):
                if isinstance(event, TextDelta):
                    count += 1
    for _ in parser.close():
        pass
    return count


def sse_only(chunks: list[bytes]) -> int:
    parser = SSEParser()
    count = 0
    for chunk in chunks:
        count += len(parser.feed(chunk))
    return count + len(parser.close())


def best_rate(fn: Callable[[list[bytes]], int], chunks: list[bytes]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        fn(chunks)
        best = min(best, time.perf_counter() - start)
    return TOKENS / best


def bench_parsing() -> None:
    events = make_stream()
    mib = sum(map(len, events)) / 2**20
    print(f"SSE parsing: {TOKENS:,} token events, {mib:.1f} MiB (best of {RUNS})")
    for label, chunks in (("one event per read", events), ("16 KiB reads", rechunk(events, 16384))):
        assert adapter_path(chunks) == TOKENS and floor_json(chunks) == TOKENS
        line = best_rate(floor_lines, chunks)
        floor = best_rate(floor_json, chunks)
        sse = best_rate(sse_only, chunks)
        full = best_rate(adapter_path, chunks)
        print(f"  {label}:")
        print(f"    floor: split lines only        {line / 1e6:6.2f} M tokens/s")
        print(f"    floor: split lines + json      {floor / 1e6:6.2f} M tokens/s")
        print(f"    SSEParser alone                {sse / 1e6:6.2f} M tokens/s")
        print(
            f"    adapter (SSE + JSON + events)  {full / 1e6:6.2f} M tokens/s  "
            f"({line / full:.1f}x the line floor, {floor / full:.2f}x the json floor)"
        )
        emit(
            "adapters",
            f"SSE parsing, {label}",
            full / 1e6,
            "M tok/s",
            line / 1e6,
            "split lines only",
        )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench_call() -> None:
    with FakeServer("openai") as fake:
        endpoint = Endpoint(
            provider_id="bench",
            provider_name="Bench",
            wire_format="openai",
            base_url=fake.api_base,
            api_key="sk-bench-0123456789abcdef",
        )
        adapter = OpenAIAdapter(endpoint, retry=NO_RETRY)
        request = ChatRequest("gpt-4o", (ChatMessage("user", "Say hello."),), max_tokens=16)
        body = {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Say hello."}],
            "stream": False,
            "max_tokens": 16,
        }
        url = fake.api_base + "/chat/completions"
        headers = {"Authorization": "Bearer sk-bench-0123456789abcdef"}
        async with httpx.AsyncClient() as direct:

            async def via_adapter() -> None:
                text = "".join(
                    [
                        e.text
                        async for e in adapter.chat(request, stream=False)
                        if isinstance(e, TextDelta)
                    ]
                )
                assert text

            async def via_httpx() -> None:
                response = await direct.post(url, json=body, headers=headers)
                response.raise_for_status()
                assert response.json()["choices"][0]["message"]["content"]

            timings: dict[str, list[float]] = {"adapter": [], "httpx": []}
            for _ in range(20):  # warm both connection pools
                await via_adapter()
                await via_httpx()
            for _ in range(CALLS):  # interleaved, so drift in the fake hits both alike
                for name, call in (("adapter", via_adapter), ("httpx", via_httpx)):
                    start = time.perf_counter()
                    await call()
                    timings[name].append((time.perf_counter() - start) * 1000)
        await adapter.client.aclose()
    print(f"\nNon-streamed chat call against the fake ({CALLS} calls each, interleaved):")
    for name, values in timings.items():
        print(f"  {name:8s} p50 {pct(values, 0.5):6.3f} ms   p99 {pct(values, 0.99):6.3f} ms")
    d50 = pct(timings["adapter"], 0.5) - pct(timings["httpx"], 0.5)
    d99 = pct(timings["adapter"], 0.99) - pct(timings["httpx"], 0.99)
    print(f"  adapter overhead: p50 {d50:+.3f} ms, p99 {d99:+.3f} ms")
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        emit(
            "adapters",
            f"non-streamed call through the adapter, {label}",
            pct(timings["adapter"], q),
            "ms",
            pct(timings["httpx"], q),
            "direct httpx",
        )
    paired = statistics.median(
        a - b for a, b in zip(timings["adapter"], timings["httpx"], strict=True)
    )
    print(f"  median of per-call differences: {paired:+.3f} ms")


def main() -> None:
    bench_parsing()
    asyncio.run(bench_call())


if __name__ == "__main__":
    main()
