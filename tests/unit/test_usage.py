"""Usage ledger: costs, saved sums, reports by day, spend totals, and surviving a bad database."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.usage import (
    Ledger,
    Prices,
    UsageRecord,
    UsageUnavailable,
    cost_usd,
    day_bounds,
    default_path,
    local_day,
    month_bounds,
    store,
)

FAST = {"flush_interval_s": 0.02, "retry_s": 0.05, "busy_timeout_ms": 200}


def rec(
    ts: float | None = None,
    provider_id: str = "openai",
    model: str = "gpt-4o",
    task: str = "chat",
    input_tokens: int = 100,
    output_tokens: int = 10,
    *,
    estimated: bool = False,
    cost: float | None = 0.01,
    outcome: str = "ok",
    fallback: bool = False,
) -> UsageRecord:
    return UsageRecord(
        ts=time.time() if ts is None else ts,
        provider_id=provider_id,
        model=model,
        task=task,  # type: ignore[arg-type]
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        estimated=estimated,
        cost_usd=cost,
        latency_ms=12.5,
        outcome=outcome,
        fallback=fallback,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "usage.sqlite3"


@pytest.fixture
def ledger(db_path: Path) -> Iterator[Ledger]:
    with Ledger(db_path, **FAST) as led:  # type: ignore[arg-type]
        yield led


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A zone with DST and a non-UTC midnight, so day grouping must use local time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def rows_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM usage_records").fetchone()[0])


def test_cost_from_prices() -> None:
    """Per-million-token prices turn into dollars; unknown prices stay unknown."""
    assert cost_usd(Prices(2.5, 10.0), 1_000_000, 500_000) == pytest.approx(7.5)
    assert cost_usd(Prices(0.27, 1.10), 1200, 300) == pytest.approx(
        (1200 * 0.27 + 300 * 1.10) / 1e6
    )
    assert cost_usd(Prices(0.0, 0.0), 10, 10) == 0.0
    assert cost_usd(None, 1000, 1000) is None


def test_default_path_follows_data_dir(isolated_dirs: dict[str, Path]) -> None:
    assert default_path() == isolated_dirs["data"] / "usage.sqlite3"


def test_records_appear_after_flush_with_sums_and_grouping(ledger: Ledger, db_path: Path) -> None:
    """Sums per provider/model/task, errors, estimates, fallbacks and unknown costs."""
    ledger.record(rec(input_tokens=100, output_tokens=10, cost=0.01))
    ledger.record(rec(input_tokens=200, output_tokens=20, cost=0.02, outcome="timeout"))
    ledger.record(rec(task="completion", model="gpt-4o", cost=0.005, estimated=True))
    ledger.record(rec(provider_id="ollama", model="qwen", cost=None, fallback=True))
    ledger.record(rec(provider_id="ollama", model="qwen", cost=None, outcome="cancelled"))
    assert ledger.flush()
    assert rows_in(db_path) == 5

    report = ledger.query()
    by_key = {(r.provider_id, r.model, r.task): r for r in report.rows}
    assert set(by_key) == {
        ("ollama", "qwen", "chat"),
        ("openai", "gpt-4o", "chat"),
        ("openai", "gpt-4o", "completion"),
    }
    chat = by_key[("openai", "gpt-4o", "chat")]
    assert (chat.requests, chat.input_tokens, chat.output_tokens) == (2, 300, 30)
    assert chat.cost_usd == pytest.approx(0.03)
    assert (chat.errors, chat.estimated, chat.fallbacks) == (1, False, 0)
    assert by_key[("openai", "gpt-4o", "completion")].estimated is True
    local = by_key[("ollama", "qwen", "chat")]
    assert local.cost_usd is None
    assert (local.errors, local.fallbacks) == (1, 1)

    t = report.totals
    assert (t.requests, t.input_tokens, t.errors, t.fallbacks, t.estimated) == (5, 600, 2, 1, True)
    assert t.cost_usd == pytest.approx(0.035)

    by_provider = ledger.query(group_by=["provider"])
    assert [(r.provider_id, r.model, r.requests) for r in by_provider.rows] == [
        ("ollama", None, 2),
        ("openai", None, 3),
    ]
    data = by_provider.to_json()
    assert data["rows"][0] == {
        "providerId": "ollama",
        "requests": 2,
        "inputTokens": 200,
        "outputTokens": 20,
        "costUsd": None,
        "errors": 1,
        "estimated": False,
        "fallbacks": 1,
    }
    assert "providerId" not in data["totals"]


def test_no_text_columns_in_schema(ledger: Ledger, db_path: Path) -> None:
    """Only identifiers and numbers are stored: no prompt or completion text, ever."""
    ledger.record(rec())
    assert ledger.flush()
    with sqlite3.connect(db_path) as conn:
        records = [r[1] for r in conn.execute("PRAGMA table_info(usage_records)")]
        daily = [r[1] for r in conn.execute("PRAGMA table_info(usage_daily)")]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert records == [
        "ts", "provider_id", "model", "task", "input_tokens", "output_tokens",
        "estimated", "cost_usd", "latency_ms", "outcome", "fallback", "conversation_id",
    ]  # fmt: skip
    assert daily == [
        "day", "provider_id", "model", "task", "requests", "input_tokens", "output_tokens",
        "cost_usd", "priced", "errors", "estimated", "fallbacks",
    ]  # fmt: skip
    assert tables == {"usage_records", "usage_daily"}
    assert {"usage_records_ts", "usage_records_provider_ts"} <= indexes
    assert journal == "wal"


def test_a_report_while_the_schema_is_being_created_is_empty(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer creates the file, then its tables: a report read in between is empty
    (it answered "no such table: usage_daily" on a fresh machine)."""
    release = threading.Event()
    real_open = store.open_db

    def slow_open(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
        release.wait(10)
        return real_open(path, busy_timeout_ms)

    monkeypatch.setattr(store, "open_db", slow_open)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(db_path).close()  # the file exists, its schema does not yet
    led = Ledger(db_path, **FAST)  # type: ignore[arg-type]
    try:
        assert led.query().to_json()["rows"] == []
    finally:
        release.set()
        led.close()


def test_a_version_1_database_gains_the_conversation_column(db_path: Path) -> None:
    """Ledgers written before conversations were recorded keep their rows and take new ones."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "CREATE TABLE usage_records (ts REAL NOT NULL, provider_id TEXT NOT NULL, "
            "model TEXT NOT NULL, task TEXT NOT NULL, input_tokens INTEGER NOT NULL, "
            "output_tokens INTEGER NOT NULL, estimated INTEGER NOT NULL, cost_usd REAL, "
            "latency_ms REAL NOT NULL, outcome TEXT NOT NULL, fallback INTEGER NOT NULL)"
        )
        conn.execute(
            "INSERT INTO usage_records VALUES (1.0, 'old', 'm', 'chat', 1, 1, 0, NULL, 1, 'ok', 0)"
        )
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Ledger(db_path, **FAST) as led:  # type: ignore[arg-type]
        led.record(dataclasses.replace(rec(), conversation_id="chat-7"))
        assert led.flush()
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT provider_id, conversation_id FROM usage_records ORDER BY ts"
        ).fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    assert rows == [("old", None), ("openai", "chat-7")]
    assert version == 2


def test_group_by_day_across_local_midnight(new_york: None, ledger: Ledger) -> None:
    """Days are local calendar days, whichever table a range is read from."""
    midnight = time.mktime((2025, 3, 14, 0, 0, 0, 0, 0, -1))  # local New York midnight
    ledger.record(rec(midnight - 1, cost=0.25))
    ledger.record(rec(midnight - 3600, cost=0.25))
    ledger.record(rec(midnight + 1, cost=1.0))
    assert ledger.flush()

    expected = [("2025-03-13", 2, 0.5), ("2025-03-14", 1, 1.0)]
    whole = ledger.query(group_by=["day"])  # whole days: the daily sums
    edge = ledger.query(midnight - 10, midnight + 10, group_by=["day"])  # partial: raw rows
    mixed = ledger.query(midnight - 86400, midnight + 10, group_by=["day", "provider"])
    for report in (whole, mixed):
        assert [(r.day, r.requests, r.cost_usd) for r in report.rows] == expected
    assert [(r.day, r.requests) for r in edge.rows] == [("2025-03-13", 1), ("2025-03-14", 1)]
    # UTC would put all three on 2025-03-14 (New York is UTC-4/-5).
    assert time.strftime("%Y-%m-%d", time.gmtime(midnight - 3600)) == "2025-03-14"
    assert ledger.query(midnight, midnight + 86400).totals.requests == 1
    assert ledger.query(midnight + 5, midnight + 5).rows == []


def test_query_matches_brute_force_over_random_ranges(new_york: None, ledger: Ledger) -> None:
    """Whatever mix of whole and partial days a range covers, sums equal a plain recount."""
    rng = random.Random(7)
    start = time.mktime((2025, 3, 5, 0, 0, 0, 0, 0, -1))  # spans the 2025-03-09 DST change
    records = [
        rec(
            start + rng.random() * 10 * 86400,
            provider_id=rng.choice(["openai", "anthropic"]),
            task=rng.choice(["chat", "completion"]),
            input_tokens=rng.randint(1, 1000),
            cost=rng.choice([None, 0.5, 0.25]),
            outcome=rng.choice(["ok", "ok", "timeout"]),
        )
        for _ in range(400)
    ]
    for r in records:
        ledger.record(r)
    assert ledger.flush()
    midnights = [day_bounds(start + d * 86400)[0] for d in range(12)]
    for _ in range(150):
        since = rng.choice([None, rng.choice(midnights), start + rng.random() * 11 * 86400])
        until = rng.choice([None, rng.choice(midnights), start + rng.random() * 11 * 86400])
        group_by = rng.choice([["provider", "task"], ["day"], ["day", "provider"], []])
        chosen = [
            r
            for r in records
            if (since is None or r.ts >= since) and (until is None or r.ts < until)
        ]
        expect: dict[tuple[str, ...], tuple[int, int, int]] = {}
        for r in chosen:
            parts = {"day": local_day(r.ts), "provider": r.provider_id, "task": r.task}
            key = tuple(parts[g] for g in ("day", "provider", "task") if g in group_by)
            n, tokens, errors = expect.get(key, (0, 0, 0))
            expect[key] = (n + 1, tokens + r.input_tokens, errors + (r.outcome != "ok"))
        report = ledger.query(since, until, group_by)
        got = {
            tuple(v for v in (row.day, row.provider_id, row.task) if v is not None): (
                row.requests,
                row.input_tokens,
                row.errors,
            )
            for row in report.rows
        }
        assert got == expect, (since, until, group_by)
        assert report.totals.requests == len(chosen)
        priced = [r.cost_usd for r in chosen if r.cost_usd is not None]
        assert report.totals.cost_usd == (pytest.approx(sum(priced)) if priced else None)


def test_unknown_group_by_is_invalid_params(ledger: Ledger) -> None:
    with pytest.raises(ByokError) as err:
        ledger.query(group_by=["provider", "week"])
    assert err.value.kind is ErrorKind.INVALID_PARAMS
    assert err.value.field == "groupBy"


def test_spent_matches_database_and_is_seeded_on_start(db_path: Path) -> None:
    """Budget totals: today and this month per provider, carried over a restart."""
    now = time.time()
    day_start = day_bounds(now)[0]
    month_start = month_bounds(now)[0]
    earlier_this_month = month_start + 1 if month_start < day_start else None
    with Ledger(db_path, **FAST) as first:  # type: ignore[arg-type]
        first.record(rec(now, cost=0.5))
        first.record(rec(now, cost=0.25))
        first.record(rec(now, provider_id="anthropic", cost=2.0))
        first.record(rec(now, cost=None))
        first.record(rec(month_start - 10, cost=100.0))  # last month: in neither total
        if earlier_this_month is not None:
            first.record(rec(earlier_this_month, cost=3.0))  # this month, not today
        assert first.spent("openai", "day") == pytest.approx(0.75)
        assert first.spent("anthropic", "day") == pytest.approx(2.0)
        assert first.spent("mistral", "month") == 0.0
        assert first.flush()
    month_extra = 3.0 if earlier_this_month is not None else 0.0

    with Ledger(db_path, **FAST) as second:  # type: ignore[arg-type]
        assert second.flush()
        assert second.spent("openai", "day") == pytest.approx(0.75)
        assert second.spent("openai", "month") == pytest.approx(0.75 + month_extra)
        assert second.spent("anthropic", "month") == pytest.approx(2.0)
        second.record(rec(time.time(), cost=1.0))
        assert second.spent("openai", "day") == pytest.approx(1.75)
        assert second.flush()
        db = second.query(since=day_start, group_by=["provider"])
        assert {r.provider_id: r.cost_usd for r in db.rows}["openai"] == pytest.approx(1.75)


def test_record_is_harmless_after_close_and_when_full(db_path: Path) -> None:
    led = Ledger(db_path, max_pending=2, **FAST)  # type: ignore[arg-type]
    led.close()
    led.record(rec())  # no writer any more: ignored, no exception
    assert led.pending == 0

    blocked = db_path.with_name("blocked.sqlite3")
    blocked.mkdir()  # unwritable, so records pile up
    with Ledger(blocked, max_pending=2, **FAST) as full:  # type: ignore[arg-type]
        for _ in range(5):
            full.record(rec())
        assert full.pending == 2
        assert full.dropped == 3


@pytest.mark.parametrize("suffixes", [("", "-wal", "-shm"), ("",)], ids=["all", "main-only"])
def test_deleted_database_is_recreated(
    ledger: Ledger, db_path: Path, suffixes: tuple[str, ...]
) -> None:
    """Also when the old -wal is left behind: it must not be replayed into the new file."""
    ledger.record(rec())
    assert ledger.flush()
    for suffix in suffixes:
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    ledger.record(rec(provider_id="anthropic"))
    assert ledger.flush()
    assert ledger.available and ledger.problem is None
    assert rows_in(db_path) == 1
    assert [r.provider_id for r in ledger.query().rows] == ["anthropic"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_orphaned_wal_of_a_deleted_database_is_not_replayed(db_path: Path) -> None:
    with Ledger(db_path, **FAST) as first:  # type: ignore[arg-type]
        first.record(rec())
        assert first.flush()
        wal = Path(str(db_path) + "-wal").read_bytes()
    db_path.unlink()
    Path(str(db_path) + "-wal").write_bytes(wal)  # as if deleted while a server ran
    with Ledger(db_path, **FAST) as second:  # type: ignore[arg-type]
        second.record(rec(provider_id="anthropic"))
        assert second.flush()
        assert [r.provider_id for r in second.query().rows] == ["anthropic"]


def test_corrupt_database_is_moved_aside_and_replaced(ledger: Ledger, db_path: Path) -> None:
    ledger.record(rec())
    assert ledger.flush()
    garbage = db_path.with_name("garbage")
    garbage.write_bytes(b"this is not a database " * 500)
    os.replace(garbage, db_path)
    ledger.record(rec(provider_id="anthropic"))
    assert ledger.flush()
    assert ledger.available
    moved = list(db_path.parent.glob("usage.sqlite3.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes().startswith(b"this is not a database")
    assert ledger.last_repair is not None and str(moved[0]) in ledger.last_repair
    assert rows_in(db_path) == 1


def test_corrupt_database_at_start(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.write_bytes(b"\x00garbage" * 1000)
    with Ledger(db_path, **FAST) as led:  # type: ignore[arg-type]
        led.record(rec())
        assert led.flush()
        assert led.query().totals.requests == 1
    assert len(list(db_path.parent.glob("usage.sqlite3.corrupt-*"))) == 1


def test_damaged_file_that_cannot_be_moved_is_reported(
    ledger: Ledger, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the damaged file can be moved aside, ``problem`` says it is damaged."""
    from byok_ls.usage import store

    def refuse(path: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "move_aside", refuse)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ledger.flush()
    garbage = db_path.with_name("garbage")
    garbage.write_bytes(b"not sqlite" * 100)
    os.replace(garbage, db_path)
    ledger.record(rec())
    assert not ledger.flush()
    assert not ledger.available
    assert ledger.problem is not None and "damaged" in ledger.problem
    with pytest.raises(UsageUnavailable) as err:
        ledger.query()
    assert err.value.message.startswith("Usage records are unavailable: ")
    assert err.value.kind is ErrorKind.SERVER_ERROR

    monkeypatch.undo()
    assert ledger.flush()
    assert ledger.available
    assert rows_in(db_path) == 1


def test_unwritable_location_degrades_and_recovers(ledger: Ledger, db_path: Path) -> None:
    """Tests run as root, so chmod proves nothing: a directory in the file's place does."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ledger.flush()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db_path.mkdir()
    ledger.record(rec(cost=0.5))
    ledger.record(rec(cost=0.5))
    assert not ledger.flush()
    assert not ledger.available
    assert ledger.problem is not None and "Cannot write" in ledger.problem
    assert ledger.spent("openai", "day") == pytest.approx(1.0)  # budgets keep working
    with pytest.raises(UsageUnavailable):
        ledger.query()

    db_path.rmdir()
    assert ledger.flush()  # nothing lost while it was unwritable
    assert ledger.available and ledger.problem is None
    assert rows_in(db_path) == 2


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with Ledger(blocker / "sub" / "usage.sqlite3", **FAST) as led:  # type: ignore[arg-type]
        led.record(rec())
        assert not led.flush()
        assert led.problem is not None and "BYOK_LS_DATA_DIR" in led.problem


def test_locked_database_degrades_and_recovers(ledger: Ledger, db_path: Path) -> None:
    ledger.record(rec())
    assert ledger.flush()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        t0 = time.perf_counter()
        ledger.record(rec(provider_id="anthropic"))
        assert time.perf_counter() - t0 < 0.1  # the request path does not wait for the lock
        assert not ledger.flush()
        assert not ledger.available
        assert ledger.problem is not None and "locked" in ledger.problem
    finally:
        other.execute("COMMIT")
        other.close()
    assert ledger.flush()
    assert ledger.available
    assert rows_in(db_path) == 2


def _write_rows(path: str, worker: int, n: int) -> None:
    led = Ledger(Path(path), flush_interval_s=0.01, busy_timeout_ms=10_000)
    for i in range(n):
        led.record(rec(provider_id=f"p{worker}", input_tokens=i))
        if i % 100 == 0:
            time.sleep(0.001)  # interleave the two writers' transactions
    ok = led.flush(timeout=60)
    led.close()
    if not ok:
        raise SystemExit(f"worker {worker}: {led.problem}")


def test_two_processes_write_concurrently(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_rows, args=(str(db_path), w, 2000)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(90)
    assert [p.exitcode for p in procs] == [0, 0]
    assert rows_in(db_path) == 4000
    with Ledger(db_path, **FAST) as led:  # type: ignore[arg-type]
        report = led.query(group_by=["provider"])
    assert {r.provider_id: r.requests for r in report.rows} == {"p1": 2000, "p2": 2000}
    assert {r.provider_id: r.input_tokens for r in report.rows} == {
        "p1": sum(range(2000)),
        "p2": sum(range(2000)),
    }
