"""Chat streaming through the server against the physical floor, in one run.

1. Time to first delta: ``byok/chat`` request → first ``byok/chat/delta`` through the server,
   vs. httpx streaming the same body straight to the same fake (p50/p99 over RUNS runs).
2. CONCURRENCY chats of TOKENS tokens each at once through one server — every answer checked
   complete and in order — vs. the fake's own rate with httpx at the same concurrency.

The fake runs in this process (``tests.fakes.FakeServer``), the server as a subprocess
(``python -m byok_ls --stdio``) with throw-away config/data dirs.
Run from the repo root: ``.venv/bin/python benchmarks/bench_chat.py``
(``BYOK_BENCH_RUNS``, ``BYOK_BENCH_CONCURRENCY`` change the sizes; ``BYOK_BENCH_PROFILE=FILE``
runs the server under cProfile).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import register_lsp_features  # noqa: E402
from tests.fakes import FakeServer, Reply  # noqa: E402

from benchmarks.figures import emit  # noqa: E402
from byok_ls.lsp.converter import raw_converter  # noqa: E402

RUNS = int(os.environ.get("BYOK_BENCH_RUNS", "50"))
WARMUP = 5
CONCURRENCY = int(os.environ.get("BYOK_BENCH_CONCURRENCY", "50"))
TOKENS = 2000
KEY = "sk-bench-0123456789abcdefghijklmnop"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self.client = LanguageClient(converter_factory=raw_converter)
        register_lsp_features(self.client)
        self.first: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Event] = {}
        self.texts: dict[str, list[str]] = {}
        self.indices: dict[str, list[int]] = {}

        @self.client.feature("byok/chat/delta")
        def on_delta(params: Any) -> None:
            chat_id = params["chatId"]
            if chat_id not in self.first:
                self.first[chat_id] = time.perf_counter()
                event = self.waiting.get(chat_id)
                if event is not None:
                    event.set()
            self.texts.setdefault(chat_id, []).append(params.get("text") or "")
            self.indices.setdefault(chat_id, []).append(params["index"])

    async def request(self, method: str, params: Any) -> Any:
        return await self.client.protocol.send_request_async(method, params)

    async def start(self, env: dict[str, str]) -> None:
        # BYOK_BENCH_PROFILE=FILE: run the server under cProfile (stats written on exit).
        profile = os.environ.get("BYOK_BENCH_PROFILE")
        prefix = ["-m", "cProfile", "-o", profile] if profile else []
        await self.client.start_io(sys.executable, *prefix, "-m", "byok_ls", "--stdio", env=env)
        await self.client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=None,
                workspace_folders=[],
            )
        )
        await self.request(
            "byok/providers/add",
            {"template": "custom", "id": "fake", "baseUrl": self.fake.api_base, "apiKey": KEY},
        )
        await self.request(
            "byok/models/add",
            {"providerId": "fake", "model": {"name": "gpt-4o", "task": "chat", "nCtx": 128000}},
        )
        await self.request("byok/active/set", {"task": "chat", "modelId": "fake/gpt-4o"})

    async def stop(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()

    # ---- time to first delta ----

    async def server_first_delta(self, chat_id: str) -> float:
        event = self.waiting[chat_id] = asyncio.Event()
        start = time.perf_counter()
        pending = self.request("byok/chat", {"messages": _user(), "chatId": chat_id})
        task = asyncio.ensure_future(pending)
        await event.wait()
        elapsed = self.first[chat_id] - start
        await task
        return elapsed


async def direct_first_delta(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    headers = {"Authorization": f"Bearer {KEY}"}
    async with client.stream("POST", url, json=body, headers=headers) as response:
        first = None
        async for line in response.aiter_lines():
            if first is None and line.startswith("data: ") and line != "data: [DONE]":
                chunk = json.loads(line[6:])
                choices = chunk.get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    first = time.perf_counter() - start
        assert first is not None
        return first


async def direct_stream(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str:
    parts: list[str] = []
    headers = {"Authorization": f"Bearer {KEY}"}
    async with client.stream("POST", url, json=body, headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                choices = json.loads(line[6:]).get("choices") or [{}]
                parts.append((choices[0].get("delta") or {}).get("content") or "")
    return "".join(parts)


def _user() -> list[dict[str, str]]:
    return [{"role": "user", "content": "Say hello."}]


def _report(label: str, values: list[float]) -> tuple[float, float]:
    p50, p99 = statistics.median(values) * 1000, pct(values, 0.99) * 1000
    print(f"  {label:<28} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms")
    return p50, p99


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="byok-bench-"))
    env = dict(os.environ)
    for name in ("config", "data", "cache"):
        (tmp / name).mkdir()
        env[f"BYOK_LS_{name.upper()}_DIR"] = str(tmp / name)
    env["PYTHON_KEYRING_BACKEND"] = "tests.support.keyrings.MemoryKeyring"
    fake = FakeServer("openai", expect_key=KEY)
    fake.start()
    bench = Bench(fake)
    await bench.start(env)
    try:
        # The body the server sends, replayed as-is by the direct client.
        await bench.request("byok/chat", {"messages": _user(), "chatId": "probe"})
        body = fake.last.json
        url = fake.api_base + "/chat/completions"
        print(f"byok-ls chat benchmark ({sys.platform}, {os.cpu_count()} CPUs)")
        print(f"\n1. time to first delta, {RUNS} runs each (after {WARMUP} warm-up runs)")
        server_times: list[float] = []
        direct_times: list[float] = []
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            for i in range(WARMUP + RUNS):
                # Alternate so that machine noise hits both sides alike.
                s = await bench.server_first_delta(f"ttfd-{i}")
                d = await direct_first_delta(client, url, body)
                if i >= WARMUP:
                    server_times.append(s)
                    direct_times.append(d)
            s50, s99 = _report("through byok-ls (LSP)", server_times)
            d50, d99 = _report("direct httpx to the fake", direct_times)
            print(f"  {'overhead':<28} p50 {s50 - d50:8.2f} ms   p99 {s99 - d99:8.2f} ms")
            emit("chat", "time to first delta, p50", s50, "ms", d50, "direct httpx")
            emit("chat", "time to first delta, p99", s99, "ms", d99, "direct httpx")

            text = "".join(f"t{i % 1000:03d} " for i in range(TOKENS))
            print(f"\n2. {CONCURRENCY} concurrent chats x {TOKENS} tokens")
            fake.queue(*(Reply(text=text, chunks=TOKENS) for _ in range(CONCURRENCY)))
            start = time.perf_counter()
            answers = await asyncio.gather(
                *(
                    bench.request("byok/chat", {"messages": _user(), "chatId": f"bulk-{i}"})
                    for i in range(CONCURRENCY)
                )
            )
            server_s = time.perf_counter() - start
            lost = 0
            notes = sum(len(bench.indices.get(f"bulk-{i}", [])) for i in range(CONCURRENCY))
            for i, answer in enumerate(answers):
                chat_id = f"bulk-{i}"
                ok = (
                    answer["content"] == text
                    and "".join(bench.texts.get(chat_id, [])) == text
                    and bench.indices.get(chat_id) == list(range(len(bench.indices[chat_id])))
                )
                lost += not ok
            fake.queue(*(Reply(text=text, chunks=TOKENS) for _ in range(CONCURRENCY)))
            start = time.perf_counter()
            direct = await asyncio.gather(
                *(direct_stream(client, url, body) for _ in range(CONCURRENCY))
            )
            direct_s = time.perf_counter() - start
            direct_bad = sum(t != text for t in direct)
        total = CONCURRENCY * TOKENS
        print(
            f"  through byok-ls (LSP)        {total / server_s:10,.0f} tokens/s "
            f"({server_s:.2f} s; {CONCURRENCY - lost}/{CONCURRENCY} complete and in order)"
        )
        print(
            f"  direct httpx to the fake     {total / direct_s:10,.0f} tokens/s "
            f"({direct_s:.2f} s; {CONCURRENCY - direct_bad}/{CONCURRENCY} complete)"
        )
        print(f"  server / fake rate           {direct_s / server_s:10.2f}")
        emit(
            "chat",
            f"{CONCURRENCY} concurrent chats x {TOKENS} tokens ({CONCURRENCY - lost} in order)",
            total / server_s,
            "tok/s",
            total / direct_s,
            "direct httpx, same concurrency",
        )
        print(f"  byok/chat/delta notifications {notes:,} for {total:,} streamed pieces")
        if lost:
            print(f"  LOST OR REORDERED: {lost} chat(s)")
            raise SystemExit(1)
    finally:
        await bench.stop()
        fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
