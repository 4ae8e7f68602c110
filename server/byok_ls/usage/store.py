"""The SQLite side of the ledger: schema, opening, writing batches, and naming failures.

Two tables are written in the same transaction:

* ``usage_records``: one row per upstream request (what the user can audit);
* ``usage_daily``: the same rows summed per local day, provider, model and task, so reports
  and budget seeding read a few hundred rows instead of scanning millions (SQLite groups by
  sorting, which costs seconds over a million text keys).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock

from byok_ls.usage.records import OK, DayKeys, UsageRecord

#: 2 added usage_records.conversation_id (the chat or agent loop a request belonged to).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_records (
    ts REAL NOT NULL,
    provider_id TEXT NOT NULL,
    model TEXT NOT NULL,
    task TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    estimated INTEGER NOT NULL,
    cost_usd REAL,
    latency_ms REAL NOT NULL,
    outcome TEXT NOT NULL,
    fallback INTEGER NOT NULL,
    conversation_id TEXT
);
CREATE INDEX IF NOT EXISTS usage_records_ts ON usage_records (ts);
CREATE INDEX IF NOT EXISTS usage_records_provider_ts ON usage_records (provider_id, ts);
CREATE TABLE IF NOT EXISTS usage_daily (
    day TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    model TEXT NOT NULL,
    task TEXT NOT NULL,
    requests INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    priced INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    estimated INTEGER NOT NULL,
    fallbacks INTEGER NOT NULL,
    PRIMARY KEY (day, provider_id, model, task)
) WITHOUT ROWID;
"""

_INSERT_RECORD = "INSERT INTO usage_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_UPSERT_DAILY = """
INSERT INTO usage_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, provider_id, model, task) DO UPDATE SET
    requests = requests + excluded.requests,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_usd = cost_usd + excluded.cost_usd,
    priced = priced + excluded.priced,
    errors = errors + excluded.errors,
    estimated = estimated + excluded.estimated,
    fallbacks = fallbacks + excluded.fallbacks
"""

# SQLite primary result codes (sqlite3.h); the extended code's low byte is the primary one.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3,
    5,
    6,
    8,
    10,
    11,
    13,
    14,
    26,
)

ProblemKind = Literal["locked", "corrupt", "unwritable", "full", "newer", "other"]


class NewerSchema(sqlite3.DatabaseError):
    """The file was written by a newer byok-ls; writing to it could damage that version's data."""


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str


def classify(exc: BaseException, path: Path) -> Problem:
    """Name a database failure in words a user can act on."""
    keep = "Usage is kept in memory and saved when it can be."
    if isinstance(exc, NewerSchema):
        return Problem(
            "newer",
            f"The usage database {path} was created by a newer version of byok-ls; "
            "update byok-ls or set BYOK_LS_DATA_DIR to another folder.",
        )
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in (_BUSY, _LOCKED):
            return Problem(
                "locked",
                f"The usage database {path} is locked by another program. {keep}",
            )
        if code in (_CORRUPT, _NOTADB):
            return Problem(
                "corrupt",
                f"The usage database {path} is damaged; it will be moved aside as "
                f"{path.name}.corrupt-<time> and a new one started. {keep}",
            )
        if code == _FULL:
            return Problem("full", f"The disk holding the usage database {path} is full. {keep}")
        if code in (_PERM, _READONLY, _CANTOPEN, _IOERR):
            return Problem(
                "unwritable",
                f"Cannot write the usage database {path} ({exc}). Check that its folder "
                f"is writable, or set BYOK_LS_DATA_DIR to another folder. {keep}",
            )
        return Problem("other", f"The usage database {path} failed: {exc}. {keep}")
    if isinstance(exc, OSError):
        return Problem(
            "unwritable",
            f"Cannot write the usage database {path} ({exc.strerror or exc}). Check that its "
            f"folder is writable, or set BYOK_LS_DATA_DIR to another folder. {keep}",
        )
    return Problem("other", f"The usage database {path} failed: {exc}. {keep}")


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, or None when there is none.

    Compared before each write: a connection keeps writing to a deleted or replaced file's
    old inode, where the rows would be lost, so a change means "reopen".
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def remove_side_files(path: Path) -> None:
    """Delete the -wal/-shm left by a database that no longer exists at ``path``.

    A new database created next to a stale -wal would have the old frames replayed into
    it, which damages it. Call only under :func:`open_lock`.
    """
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def open_lock(path: Path) -> filelock.FileLock:
    """Serialises creating, cleaning up and repairing the database across servers.

    Only opening takes it (rarely); writes rely on SQLite's own locking.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return filelock.FileLock(str(path) + ".lock", timeout=10)


def open_db(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open (creating if needed) the ledger database in WAL mode with the current schema."""
    # isolation_level=None: transactions are begun explicitly with BEGIN IMMEDIATE, which
    # takes the write lock up front; a deferred BEGIN that later upgrades can fail with
    # SQLITE_BUSY without ever calling the busy handler when two processes write.
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL survives a crash of the process; only a power cut can lose the last
        # batch, which is an acceptable price for not fsyncing every 200 ms.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise NewerSchema(f"schema version {version}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if version == 1:
                conn.execute("ALTER TABLE usage_records ADD COLUMN conversation_id TEXT")
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
    except BaseException:
        conn.close()
        raise
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        # The original error is the one worth reporting.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def write_batch(conn: sqlite3.Connection, batch: Sequence[UsageRecord]) -> None:
    """Append ``batch`` and fold it into the daily sums, all in one transaction."""
    day_of = DayKeys()
    rows = []
    daily: dict[tuple[str, str, str, str], list[float]] = {}
    for r in batch:
        rows.append(
            (
                r.ts,
                r.provider_id,
                r.model,
                str(r.task),
                r.input_tokens,
                r.output_tokens,
                int(r.estimated),
                r.cost_usd,
                r.latency_ms,
                str(r.outcome),
                int(r.fallback),
                r.conversation_id,
            )
        )
        key = (day_of(r.ts), r.provider_id, r.model, str(r.task))
        acc = daily.get(key)
        if acc is None:
            acc = daily[key] = [0, 0, 0, 0.0, 0, 0, 0, 0]
        acc[0] += 1
        acc[1] += r.input_tokens
        acc[2] += r.output_tokens
        if r.cost_usd is not None:
            acc[3] += r.cost_usd
            acc[4] += 1
        acc[5] += r.outcome != OK
        acc[6] += r.estimated
        acc[7] += r.fallback
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_RECORD, rows)
        conn.executemany(_UPSERT_DAILY, [(*k, *v) for k, v in daily.items()])
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def spent_since(
    conn: sqlite3.Connection, month_first_day: str, today: str
) -> tuple[dict[str, float], dict[str, float]]:
    """Per provider: (cost today, cost this month), read from the daily sums."""
    day: dict[str, float] = {}
    month: dict[str, float] = {}
    for provider_id, today_cost, month_cost in conn.execute(
        "SELECT provider_id, SUM(CASE WHEN day = ? THEN cost_usd ELSE 0 END), SUM(cost_usd) "
        "FROM usage_daily WHERE day >= ? AND day <= ? GROUP BY provider_id",
        (today, month_first_day, today),
    ):
        day[provider_id] = float(today_cost or 0.0)
        month[provider_id] = float(month_cost or 0.0)
    return day, month


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its WAL/SHM files) to ``<name>.corrupt-<unix time>``.

    The side files must go with it: a stale ``-wal`` next to a fresh database would be
    replayed into it and damage it again. Nothing is deleted, so the user can still
    recover old records from the moved file.
    """
    stamp = int(time.time())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target
