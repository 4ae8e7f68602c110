"""Usage ledger figures: cost of record() on the request path, writer throughput, reports.

Run: .venv/bin/python benchmarks/bench_ledger.py [--rows 1000000]
Everything happens in a temporary directory; nothing touches the user's data dir.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.figures import emit
from byok_ls.usage import Ledger, UsageRecord, UsageReport
from byok_ls.usage.store import open_db

MODELS = [
    ("openai", "gpt-4o", "chat"),
    ("openai", "gpt-4o-mini", "completion"),
    ("anthropic", "claude-sonnet-4-5", "chat"),
    ("deepseek", "deepseek-chat", "completion"),
    ("mistral", "codestral-latest", "completion"),
    ("ollama", "qwen2.5-coder:7b", "completion"),
    ("openai", "text-embedding-3-small", "embeddings"),
]


def make_record(ts: float, i: int) -> UsageRecord:
    provider_id, model, task = MODELS[i % len(MODELS)]
    return UsageRecord(
        ts=ts,
        provider_id=provider_id,
        model=model,
        task=task,  # type: ignore[arg-type]
        input_tokens=800 + i % 1000,
        output_tokens=20 + i % 50,
        estimated=i % 9 == 0,
        cost_usd=None if provider_id == "ollama" else 0.0004,
        latency_ms=180.0,
        outcome="ok" if i % 40 else "timeout",
        fallback=i % 97 == 0,
    )


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    samples_ns.sort()
    return statistics.median(samples_ns) / 1000, samples_ns[int(len(samples_ns) * 0.99)] / 1000


def bench_record(tmp: Path, calls: int) -> None:
    recs = [make_record(time.time(), i) for i in range(calls)]
    timer = time.perf_counter_ns

    floor: deque[UsageRecord] = deque()
    samples = []
    for r in recs:
        t0 = timer()
        floor.append(r)
        samples.append(timer() - t0)
    floor_med, floor_p99 = percentiles(samples)

    with Ledger(tmp / "record.sqlite3") as ledger:
        samples = []
        for r in recs:
            t0 = timer()
            ledger.record(r)
            samples.append(timer() - t0)
        med, p99 = percentiles(samples)
        ledger.flush(timeout=60)
    print(f"record(), {calls:,} calls, writer thread running (timer overhead included in both):")
    print(f"  Ledger.record   median {med:6.2f} us   p99 {p99:6.2f} us")
    print(f"  deque.append    median {floor_med:6.2f} us   p99 {floor_p99:6.2f} us   (floor)")
    emit("usage", "Ledger.record median", med, "us", floor_med, "deque.append")


def bench_flush(tmp: Path, rows: int) -> None:
    now = time.time()
    with Ledger(tmp / "flush.sqlite3", flush_interval_s=3600, batch_rows=10**9) as ledger:
        ledger.flush()  # schema created, seed read: time only the rows
        for i in range(rows):
            ledger.record(make_record(now - i * 0.01, i))
        t0 = time.perf_counter()
        ok = ledger.flush(timeout=600)
        dt = time.perf_counter() - t0
    print(f"background flush: {rows:,} rows in {dt:.2f} s = {rows / dt:,.0f} rows/s (ok={ok})")
    emit("usage", "background flush", rows / dt, "rows/s")


def fill(path: Path, rows: int) -> int:
    """``rows`` records over the last 365 days plus the daily sums the writer keeps; returns
    how many daily sums there are."""
    conn = open_db(path, 5000)
    rng = random.Random(1)
    now = time.time()
    span = 365 * 86400
    batch = []
    for i in range(rows):
        r = make_record(now - span + span * i / rows + rng.random(), i)
        batch.append(
            (r.ts, r.provider_id, r.model, r.task, r.input_tokens, r.output_tokens,
             int(r.estimated), r.cost_usd, r.latency_ms, r.outcome, int(r.fallback), None)
        )  # fmt: skip
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO usage_records VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    # The daily sums the writer keeps up to date, rebuilt here in one statement.
    conn.execute(
        "INSERT INTO usage_daily SELECT date(ts, 'unixepoch', 'localtime'), provider_id, "
        "model, task, COUNT(*), SUM(input_tokens), SUM(output_tokens), TOTAL(cost_usd), "
        "COUNT(cost_usd), SUM(outcome <> 'ok'), SUM(estimated), SUM(fallback) "
        "FROM usage_records GROUP BY 1, 2, 3, 4"
    )
    conn.execute("COMMIT")
    daily: int = conn.execute("SELECT COUNT(*) FROM usage_daily").fetchone()[0]
    conn.close()
    return daily


def bench_query(tmp: Path, rows: int) -> None:
    path = tmp / "query.sqlite3"
    t0 = time.perf_counter()
    daily = fill(path, rows)
    now = time.time()
    print(f"query(): {rows:,} rows over 365 days ({daily:,} daily sums), "
          f"inserted in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    def timed(label: str, fn: Callable[[], object], repeat: int = 5) -> None:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        print(f"  {label:<58} {min(times) * 1000:8.1f} ms  ({result})")

    with Ledger(path) as ledger:
        ledger.flush()

        def summary(report: UsageReport) -> str:
            return f"{len(report.rows)} rows, {report.totals.requests:,} requests"

        timed("default grouping (provider, model, task), all time",
              lambda: summary(ledger.query()))  # fmt: skip
        timed("group_by day, all time", lambda: summary(ledger.query(group_by=["day"])))
        timed("default grouping, last 30.5 days (partial edge days)",
              lambda: summary(ledger.query(since=now - 30.5 * 86400)))  # fmt: skip
        timed("group_by day+provider, since/until mid-day, 90 days",
              lambda: summary(ledger.query(now - 120.3 * 86400, now - 30.7 * 86400,
                                           ["day", "provider"])))  # fmt: skip
        t = time.perf_counter()
        ledger2 = Ledger(path)
        ledger2.flush()
        seeded = time.perf_counter() - t
        ledger2.close()
        label = "Ledger start incl. seeding spend totals from the DB"
        print(f"  {label:<58} {seeded * 1000:8.1f} ms")

    raw = sqlite3.connect(path)
    timed(
        "reference: plain GROUP BY over usage_records, no daily sums",
        lambda: len(
            raw.execute(
                "SELECT provider_id, model, task, COUNT(*), SUM(input_tokens), "
                "SUM(output_tokens), TOTAL(cost_usd), SUM(outcome <> 'ok'), MAX(estimated), "
                "SUM(fallback) FROM usage_records GROUP BY 1, 2, 3"
            ).fetchall()
        ),
        repeat=1,
    )
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--flush-rows", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="byok-ledger-") as d:
        tmp = Path(d)
        bench_record(tmp, args.calls)
        bench_flush(tmp, args.flush_rows)
        bench_query(tmp, args.rows)


if __name__ == "__main__":
    main()
