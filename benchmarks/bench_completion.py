"""What the server adds to an inline completion, next to the physical floor.

(a) ``byok/complete`` over LSP (the real server process on stdio, the document changed before
    every request so the cache never answers) against a direct httpx call with the same
    body to the same loopback fake, interleaved; p50/p99 of both and their difference.
    Targets: the server adds at most 1 ms at p50 and 5 ms at p99.
(c) Streamed completion at a real pace: a provider that sends its first token after 150 ms
    and then one every 25 ms (``paced.py``), for two cursor shapes (mid-line ``return (a|)``
    and a blank line inside a function): time to ghost text next to the ideal (the moment
    the provider sent the token that decides the cut) and tokens generated next to the
    tokens needed. Goals: ghost text <= ideal + 20 ms at p50; generated <= needed + 8.
(b) Prompt building for a 10,000-line file with the real BPE tokenizer at n_ctx 8192 next
    to one tokenization of the final prompt (``bench_prompt.py``).

Run: ``.venv/bin/python benchmarks/bench_completion.py [requests]`` (default 400); with
``BENCH_PROFILE=/tmp/server.prof`` the server runs under cProfile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import importlib.util  # noqa: E402

from benchmarks.figures import emit  # noqa: E402

if importlib.util.find_spec("sniffio") is None:
    # The same as the server does (completion/engine.py): without it httpcore retries a
    # failing ``import sniffio`` on every request, which would slow the direct floor too.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

import httpx  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402
from pytest_lsp.client import register_lsp_features  # noqa: E402
from tests.fakes import FakeServer  # noqa: E402

import bench_prompt  # noqa: E402
import paced  # noqa: E402
from byok_ls.lsp.converter import raw_converter  # noqa: E402

WARMUP = 30
DOC = "def add(a, b):\n    \n\nprint(add(1, 2))\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def start_server(home: Path, python_args: list[str] | None = None) -> LanguageClient:
    """The real server on stdio, its directories under ``home``; ``python_args`` replace
    ``-m byok_ls --stdio`` (a wrapper that starts it under a profiler)."""
    env = dict(os.environ)
    for name in ("config", "data", "cache"):
        (home / name).mkdir()
        env[f"BYOK_LS_{name.upper()}_DIR"] = str(home / name)
    env["PYTHON_KEYRING_BACKEND"] = "tests.support.keyrings.MemoryKeyring"
    env["HF_HUB_OFFLINE"] = "1"
    # The server imports the test keyring from this checkout (tests.support.keyrings).
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), str(ROOT / "server")))
    client = LanguageClient(converter_factory=raw_converter)
    register_lsp_features(client)
    client.feature("byok/config/changed")(lambda params: None)
    # BENCH_PROFILE=out.prof runs the server under cProfile (written at shutdown).
    profile = os.environ.get("BENCH_PROFILE")
    args = ["-m", "cProfile", "-o", profile] if profile else []
    command = python_args or [*args, "-m", "byok_ls", "--stdio"]
    await client.start_io(sys.executable, *command, env=env)
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        )
    )
    await client.initialize_session(types.InitializeParams(capabilities=caps))
    return client


async def latency(requests: int) -> None:
    fake = FakeServer("openai")
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        client = await start_server(Path(tmp))
        rpc = client.protocol.send_request_async
        try:
            await rpc("byok/providers/add", {"template": "custom", "baseUrl": fake.api_base})
            model = {"name": "inst", "task": "completion", "fim": "native"}
            await rpc("byok/models/add", {"providerId": "custom", "model": model})
            await rpc("byok/active/set", {"task": "completion", "modelId": "custom/inst"})
            uri = (Path(tmp) / "bench.py").as_uri()
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(uri=uri, language_id="python", version=1, text=DOC)
                )
            )
            version = 1

            async def through_server() -> float:
                nonlocal version
                version += 1
                # One more character on the last line: a new prefix, so no cache hit.
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                        [
                            types.TextDocumentContentChangePartial(
                                range=types.Range(types.Position(4, 0), types.Position(4, 0)),
                                text="x",
                            )
                        ],
                    )
                )
                params = {
                    "textDocument": {"uri": uri},
                    "position": {"line": 1, "character": 4},
                }
                start = time.perf_counter()
                result = await rpc("byok/complete", params)
                elapsed = time.perf_counter() - start
                assert result["items"], result
                return elapsed

            await through_server()
            body: dict[str, Any] = fake.last.json
            url = fake.api_base + "/completions"
            async with httpx.AsyncClient() as direct:

                async def straight() -> float:
                    start = time.perf_counter()
                    response = await direct.post(url, json=body)
                    response.raise_for_status()
                    response.json()
                    return time.perf_counter() - start

                server_s: list[float] = []
                direct_s: list[float] = []
                for i in range(WARMUP + requests):
                    s, d = await through_server(), await straight()
                    if i >= WARMUP:
                        server_s.append(s)
                        direct_s.append(d)
            # The JSON-RPC round trip alone (a method the server does not have): what any
            # request costs between this client and the server before the server's own work.
            floor_s: list[float] = []
            for _ in range(WARMUP + requests):
                start = time.perf_counter()
                with contextlib.suppress(JsonRpcException):
                    await rpc("bench/no-such-method", {})
                floor_s.append(time.perf_counter() - start)
            floor_s = floor_s[WARMUP:]
        finally:
            await client.shutdown_session()
            await client.stop()
            fake.stop()
    print(f"(a) completion latency, {requests} requests each, interleaved, loopback fake")
    rows = []
    for label, p in (("p50", 0.5), ("p99", 0.99)):
        s, d = percentile(server_s, p) * 1000, percentile(direct_s, p) * 1000
        rows.append((label, s, d, s - d))
        emit("completion", f"latency through the server, {label}", s, "ms", d, "direct httpx")
        print(
            f"    {label}: through server {s:7.2f} ms   direct httpx {d:7.2f} ms   "
            f"added {s - d:6.2f} ms"
        )
    print(
        f"    mean added: {(statistics.mean(server_s) - statistics.mean(direct_s)) * 1000:.2f} ms"
        "   (targets: added p50 <= 1 ms, p99 <= 5 ms)"
    )
    floor50 = percentile(floor_s, 0.5) * 1000
    print(
        f"    JSON-RPC round trip alone (unknown method): p50 {floor50:.2f} ms, "
        f"p99 {percentile(floor_s, 0.99) * 1000:.2f} ms; "
        f"added beyond it at p50: {rows[0][3] - floor50:.2f} ms"
    )
    emit(
        "completion",
        "added latency beyond the JSON-RPC round trip, p50",
        rows[0][3] - floor50,
        "ms",
        floor50,
        "JSON-RPC round trip alone",
    )


TTFT_S, PER_TOKEN_S = 0.150, 0.025
MORE = "".join(f"\n\ndef f{i}(a, b):\n    return a * b + {i}\n" for i in range(40))


@dataclass(frozen=True)
class Shape:
    name: str
    document: str
    line: int
    character: int
    #: What the model answers (the provider cuts it at max_tokens).
    answer: str
    #: The ghost text a user should see.
    shown: str


SHAPES = [
    Shape(
        "mid-line `return (a|)`",
        "def add(a, b):\n    return (a)\n\n\ndef sub(a, b):\n    return a - b\n",
        1,
        13,
        " + b)\n" + MORE,
        " + b",
    ),
    Shape(
        "blank line inside a function",
        "def area(r):\n    \n\n\ndef perimeter(r):\n    return 2 * 3.14159 * r\n",
        1,
        4,
        "if r < 0:\n        raise ValueError(r)\n    return 3.14159 * r * r\n\n\n"
        "def perimeter(r):\n    return 2 * 3.14159 * r\n" + MORE,
        "if r < 0:\n        raise ValueError(r)\n    return 3.14159 * r * r",
    ),
]


def tokens_needed(shape: Shape) -> int:
    """Tokens until the ghost text is certain, counted on the answer alone: through the
    newline ending a single-line suggestion, or through the first character of the first
    non-blank line after a block."""
    pieces = paced.tokens(shape.answer)
    text = ""
    for count, piece in enumerate(pieces, 1):
        text += piece
        if "\n" not in shape.shown:
            if text.startswith(shape.shown) and "\n" in text:
                return count
        elif text.startswith(shape.shown) and text[len(shape.shown) :].strip():
            return count
    return len(pieces)


async def paced_shape(shape: Shape, requests: int) -> None:
    provider = paced.PacedProvider(lambda body: shape.answer, TTFT_S, PER_TOKEN_S)
    provider.start()
    with tempfile.TemporaryDirectory() as tmp:
        client = await start_server(Path(tmp))
        rpc = client.protocol.send_request_async
        try:
            await rpc("byok/providers/add", {"template": "custom", "baseUrl": provider.api_base})
            model = {"name": "inst", "task": "completion", "fim": "native"}
            await rpc("byok/models/add", {"providerId": "custom", "model": model})
            await rpc("byok/active/set", {"task": "completion", "modelId": "custom/inst"})
            uri = (Path(tmp) / "paced.py").as_uri()
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(
                        uri=uri, language_id="python", version=1, text="#\n" + shape.document
                    )
                )
            )
            waits: list[float] = []
            for version in range(2, requests + 4):
                # A new first line every time: the cache never answers.
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                        [
                            types.TextDocumentContentChangePartial(
                                range=types.Range(types.Position(0, 0), types.Position(0, 1)),
                                text=f"#{version}",
                            )
                        ],
                    )
                )
                position = {"line": shape.line + 1, "character": shape.character}
                start = time.perf_counter()
                result = await rpc(
                    "byok/complete", {"textDocument": {"uri": uri}, "position": position}
                )
                waits.append(time.perf_counter() - start)
                shown = [item["insertText"] for item in result["items"]]
                assert shown == [shape.shown], (shown, shape.shown)
        finally:
            await client.shutdown_session()
            await client.stop()
            provider.stop()
    waits = waits[3:]  # the first requests load the HTTP stack
    needed = tokens_needed(shape)
    served = provider.served[3:]
    # The ideal: the moment the provider sent the deciding token, measured in this run (a
    # loaded machine's timers run late for the provider too).
    ideal = statistics.median(s.decided_after(needed) for s in served) * 1000
    nominal = (TTFT_S + (needed - 1) * PER_TOKEN_S) * 1000
    generated = statistics.median(s.sent for s in served)
    total = statistics.median(s.total for s in served)
    p50, p99 = percentile(waits, 0.5) * 1000, percentile(waits, 0.99) * 1000
    early = sum(s.closed_early for s in served)
    print(f"    {shape.name}: shown {len(paced.tokens(shape.shown))} tokens")
    print(
        f"      time to ghost text p50 {p50:7.1f} ms (p99 {p99:7.1f})   ideal {ideal:7.1f} ms "
        f"(nominal pace {nominal:.0f} ms)   over ideal {p50 - ideal:+6.1f} ms (goal <= +20)"
    )
    print(
        f"      tokens generated {generated:.0f} (the whole answer: {total:.0f})   needed "
        f"{needed}   extra {generated - needed:+.0f} (goal <= +8); stream closed early in "
        f"{early} of {len(served)}"
    )
    emit("completion", f"time to ghost text, {shape.name}, p50", p50, "ms", ideal, "ideal")
    emit("completion", f"tokens generated, {shape.name}", generated, "tokens", needed, "needed")


async def paced_all(requests: int) -> None:
    print(
        f"(c) streamed completion, provider pace: first token {TTFT_S * 1000:.0f} ms, then "
        f"{PER_TOKEN_S * 1000:.0f} ms a token; {requests} requests per shape"
    )
    for shape in SHAPES:
        await paced_shape(shape, requests)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    asyncio.run(latency(requests))
    asyncio.run(paced_all(max(10, min(40, requests // 10))))
    print("(b) prompt building, 10,000-line file, real BPE tokenizer, n_ctx 8192")
    bench_prompt.main()


if __name__ == "__main__":
    main()
