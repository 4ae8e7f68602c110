"""What usage accounting costs a request, and what a usage report costs through the server.

1. The request path, in process: ``Router.record`` (prices → cost → record → queue) and the
   budget check that runs before every request, each next to ``Ledger.record`` alone and a
   bare ``deque.append`` (the floor); then ``Router.run`` around an attempt that does
   nothing, next to calling that attempt directly.
2. ``byok/usage`` over ROWS (default 1,000,000) rows through the real server (an LSP round
   trip from this process), next to the same report read in process with ``Ledger.query``
   and to a ``byok/status`` round trip (the LSP floor).

Everything runs in throw-away config/data dirs with an in-memory keyring.
Run from the repo root: ``.venv/bin/python benchmarks/bench_usage.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT))

from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import register_lsp_features  # noqa: E402

from benchmarks.bench_ledger import fill, make_record  # noqa: E402
from benchmarks.figures import emit  # noqa: E402
from byok_ls.lsp.converter import raw_converter  # noqa: E402

KEY = "sk-bench-0123456789abcdefghijklmnop"


def us(samples_ns: list[int]) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    samples_ns.sort()
    return statistics.median(samples_ns) / 1000, samples_ns[int(len(samples_ns) * 0.99)] / 1000


def timed_calls(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    timer = time.perf_counter_ns
    samples = []
    for _ in range(calls):
        t0 = timer()
        fn()
        samples.append(timer() - t0)
    return us(samples)


def line(label: str, figures: tuple[float, float], note: str = "") -> None:
    med, p99 = figures
    print(f"  {label:<44} median {med:7.2f} us   p99 {p99:7.2f} us   {note}")


# ---- 1. request path --------------------------------------------------------------------


class Served:
    input_tokens = 1000
    output_tokens = 100
    estimated = False


def bench_request_path(calls: int) -> None:
    from byok_ls import api
    from byok_ls.app import App
    from byok_ls.routing import Target

    app = App()
    svc = app.config
    svc.provider_add(
        api.ProviderAddParams(template="openai", base_url="http://127.0.0.1:9/v1", api_key=KEY)
    )
    svc.provider_update(
        api.ProviderUpdateParams.model_validate(
            {"id": "openai", "budget": {"daily_usd": 1e9, "monthly_usd": 1e9}}
        )
    )
    svc.active_set(api.ActiveSetParams(task="chat", model_id="openai/gpt-4o-mini"))
    router = app.router
    ledger = app.ledger
    ledger.wait_seeded(5)
    target = router.target("openai/gpt-4o-mini", "chat")
    started = time.perf_counter()

    print(f"request path, {calls:,} calls each (writer thread running, timer overhead included):")
    floor: deque[object] = deque()
    rec = make_record(time.time(), 1)
    floor_fig = timed_calls(lambda: floor.append(rec), calls)
    ledger_fig = timed_calls(lambda: ledger.record(rec), calls)
    record_fig = timed_calls(lambda: router.record(target, "chat", started, "ok", 1000, 100), calls)
    budget_fig = timed_calls(lambda: router.over_budget(target), calls)
    line("Router.record (cost + record + queue)", record_fig)
    line("Router.over_budget (daily + monthly limit)", budget_fig)
    line("Ledger.record alone", ledger_fig)
    line("deque.append", floor_fig, "(floor)")
    emit("usage", "Router.record median", record_fig[0], "us", floor_fig[0], "deque.append")
    emit("usage", "Router.record p99", record_fig[1], "us", floor_fig[1], "deque.append")
    emit("usage", "budget check median", budget_fig[0], "us", floor_fig[0], "deque.append")

    async def nothing(target: Target) -> Served:
        return Served()

    async def run_many(call: Callable[[], Awaitable[object]], n: int) -> tuple[float, float]:
        timer = time.perf_counter_ns
        samples = []
        for _ in range(n):
            t0 = timer()
            await call()
            samples.append(timer() - t0)
        return us(samples)

    async def both() -> tuple[tuple[float, float], tuple[float, float]]:
        n = max(1000, calls // 5)
        direct = await run_many(lambda: nothing(target), n)
        routed = await run_many(lambda: router.run("chat", None, nothing), n)
        return routed, direct

    routed, direct = asyncio.run(both())
    line("Router.run around a no-op attempt", routed, "(target, budget, record)")
    line("the no-op attempt called directly", direct, "(floor)")
    emit("usage", "Router.run overhead median", routed[0], "us", direct[0], "direct call")
    ledger.flush(timeout=60)
    ledger.close()


# ---- 2. byok/usage over many rows, through the server ---------------------------------


async def bench_server(rows: int, repeat: int) -> None:
    from byok_ls.usage import Ledger

    data = Path(os.environ["BYOK_LS_DATA_DIR"])
    t0 = time.perf_counter()
    fill(data / "usage.sqlite3", rows)
    print(f"\nbyok/usage over {rows:,} rows (365 days), filled in {time.perf_counter() - t0:.1f} s")

    client = LanguageClient(converter_factory=raw_converter)
    register_lsp_features(client)
    await client.start_io(sys.executable, "-m", "byok_ls", "--stdio", env=dict(os.environ))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=None
        )
    )
    now = time.time()
    queries: list[tuple[str, dict[str, Any]]] = [
        ("default grouping (provider, model, task), all time", {}),
        ("groupBy day, all time", {"groupBy": ["day"]}),
        ("last 30.5 days (partial edge days from rows)", {"since": now - 30.5 * 86400}),
    ]

    async def lsp_ms(method: str, params: dict[str, Any]) -> tuple[float, float, Any]:
        times, result = [], None
        for _ in range(repeat):
            t = time.perf_counter()
            result = await client.protocol.send_request_async(method, params)  # type: ignore[no-untyped-call]
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times), min(times), result

    try:
        await lsp_ms("byok/status", {})  # warm up: the ledger and the handlers are loaded
        status_med, status_min, _ = await lsp_ms("byok/status", {})
        with Ledger(data / "usage.sqlite3") as ledger:
            for label, params in queries:
                med, low, result = await lsp_ms("byok/usage", params)
                assert result["totals"]["requests"] > 0, result
                local = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    ledger.query(params.get("since"), None, params.get("groupBy") or
                                 ("provider", "model", "task"))  # fmt: skip
                    local.append((time.perf_counter() - t) * 1000)
                print(
                    f"  {label:<52} server median {med:6.1f} ms (min {low:6.1f})   "
                    f"in process {statistics.median(local):6.1f} ms   "
                    f"({len(result['rows'])} rows, {result['totals']['requests']:,} requests)"
                )
                emit("usage", f"byok/usage {rows:,} rows: {label}", med, "ms",
                     statistics.median(local), "Ledger.query in process")  # fmt: skip
        print(
            f"  {'byok/status round trip':<52} server median {status_med:6.1f} ms "
            f"(min {status_min:6.1f})   (LSP floor)"
        )
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="byok-bench-usage-") as d:
        for name in ("config", "data", "cache"):
            (Path(d) / name).mkdir()
            os.environ[f"BYOK_LS_{name.upper()}_DIR"] = str(Path(d) / name)
        os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.keyrings.MemoryKeyring"
        bench_request_path(args.calls)
        # A fresh data dir for the report: only the generated rows are in it.
        data = Path(d) / "report-data"
        data.mkdir()
        os.environ["BYOK_LS_DATA_DIR"] = str(data)
        asyncio.run(bench_server(args.rows, args.repeat))


if __name__ == "__main__":
    main()
