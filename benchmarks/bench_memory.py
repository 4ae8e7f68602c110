"""Server memory over a long run of completions: RSS after warm-up, after 5,000 and after
40,000 completions (each after a ``didChange``, through ``byok/complete``), and the growth
rate fitted over the second half of the run.

Goal: RSS after 40,000 <= RSS after 5,000 + 5 MB (growth that levels off).

.venv/bin/python benchmarks/bench_memory.py [COMPLETIONS]   (default 40000, ~4 min)

With ``BENCH_TRACEMALLOC=1`` the server runs under tracemalloc and the allocation sites that
grew between the 5,000th completion and the end are printed: where a leak lives.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lsprotocol import types  # noqa: E402
from tests.fakes import FakeServer  # noqa: E402
from tests.lsp.editor import rss_kib, slope_per_1000  # noqa: E402

import bench_completion  # noqa: E402
from benchmarks.figures import emit  # noqa: E402

LANES = 4
CHECKPOINT = 5000
SAMPLE_EVERY = 1000
#: The server under tracemalloc; SIGUSR1 writes a snapshot to $BENCH_SNAPSHOT_DIR/<n>.snap.
TRACED = """
import itertools, os, runpy, signal, sys, tracemalloc
tracemalloc.start(12)
count = itertools.count()
def dump(*_):
    folder = os.environ["BENCH_SNAPSHOT_DIR"]
    tracemalloc.take_snapshot().dump(os.path.join(folder, f"{next(count)}.snap"))
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["byok_ls", "--stdio"]
runpy.run_module("byok_ls", run_name="__main__")
"""


async def run(total: int) -> None:
    traced = os.environ.get("BENCH_TRACEMALLOC") == "1"
    fake = FakeServer("openai")
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        snapshots = Path(tmp) / "snapshots"
        snapshots.mkdir()
        os.environ["BENCH_SNAPSHOT_DIR"] = str(snapshots)
        client = await bench_completion.start_server(Path(tmp), ["-c", TRACED] if traced else None)
        rpc = client.protocol.send_request_async
        assert client._server is not None
        pid = client._server.pid
        try:
            await rpc("byok/providers/add", {"template": "custom", "baseUrl": fake.api_base})
            model = {"name": "inst", "task": "completion", "fim": "native"}
            await rpc("byok/models/add", {"providerId": "custom", "model": model})
            await rpc("byok/active/set", {"task": "completion", "modelId": "custom/inst"})
            uris = [(Path(tmp) / f"lane{k}.py").as_uri() for k in range(LANES)]
            versions = dict.fromkeys(uris, 1)
            for uri in uris:
                client.text_document_did_open(
                    types.DidOpenTextDocumentParams(
                        types.TextDocumentItem(
                            uri=uri,
                            language_id="python",
                            version=1,
                            text="# 0\ndef add(a, b):\n    \n",
                        )
                    )
                )
            counter = iter(range(10**9))
            samples: list[tuple[int, int]] = []
            done = 0

            async def one(uri: str) -> None:
                nonlocal done
                i = next(counter)
                versions[uri] += 1
                # Line 0 changes every time, so the cache never answers.
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(version=versions[uri], uri=uri),
                        [
                            types.TextDocumentContentChangePartial(
                                range=types.Range(types.Position(0, 0), types.Position(1, 0)),
                                text=f"# {i}\n",
                            )
                        ],
                    )
                )
                result = await rpc(
                    "byok/complete",
                    {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 4}},
                )
                assert result["items"], result
                done += 1
                if done % SAMPLE_EVERY == 0:
                    samples.append((done, rss_kib(pid)))
                    if traced and done == min(
                        CHECKPOINT, total // 3 // SAMPLE_EVERY * SAMPLE_EVERY
                    ):
                        os.kill(pid, signal.SIGUSR1)

            async def lane(uri: str, count: int) -> None:
                for _ in range(count):
                    await one(uri)

            started = time.perf_counter()
            await asyncio.gather(*(lane(u, total // LANES) for u in uris))
            elapsed = time.perf_counter() - started
            if traced:
                os.kill(pid, signal.SIGUSR1)
                await asyncio.sleep(3)
        finally:
            await client.shutdown_session()
            await client.stop()
            fake.stop()
        at = dict(samples)
        first, last = samples[0], samples[-1]
        second_half = [s for s in samples if s[0] > total // 2]
        slope = slope_per_1000(second_half)
        print(f"memory: {total:,} completions in {elapsed:.0f} s ({total / elapsed:.0f}/s)")
        print(f"  RSS after {first[0]:,}: {first[1] / 1024:.1f} MB")
        if CHECKPOINT in at:
            print(f"  RSS after {CHECKPOINT:,}: {at[CHECKPOINT] / 1024:.1f} MB")
        print(f"  RSS after {last[0]:,}: {last[1] / 1024:.1f} MB")
        print(f"  growth over the second half: {slope:.1f} KiB per 1,000 completions")
        if CHECKPOINT in at:
            growth = (last[1] - at[CHECKPOINT]) / 1024
            print(f"  growth from {CHECKPOINT:,} to {last[0]:,}: {growth:+.1f} MB (goal <= 5 MB)")
            emit(
                "memory",
                f"RSS after {last[0]:,} completions",
                last[1] / 1024,
                "MB",
                at[CHECKPOINT] / 1024,
                f"RSS after {CHECKPOINT:,}",
            )
        if traced:
            report(snapshots)


def report(snapshots: Path) -> None:
    import tracemalloc

    files = sorted(snapshots.glob("*.snap"), key=lambda p: int(p.stem))
    if len(files) < 2:
        print("  (no tracemalloc snapshots written)")
        return
    before = tracemalloc.Snapshot.load(str(files[0]))
    after = tracemalloc.Snapshot.load(str(files[-1]))
    print("  allocation sites that grew (tracemalloc, traceback):")
    for stat in after.compare_to(before, "traceback")[:8]:
        print(f"    {stat.size_diff / 1024:+9.1f} KiB  {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format()[-12:]:
            print(f"        {line}")


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
    asyncio.run(run(total))


if __name__ == "__main__":
    main()
