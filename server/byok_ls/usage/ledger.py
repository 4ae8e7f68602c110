"""The usage ledger: ``record()`` on the request path, a writer thread behind it.

``record()`` runs on the asyncio event loop after every upstream request, so it only
appends to a queue and bumps in-memory spend totals (a few hundred nanoseconds). A daemon
thread writes the queue to SQLite in batches, one transaction each. Records stay in the
queue until their transaction commits, so a database that is locked, unwritable, deleted
or damaged loses nothing while the problem lasts (up to ``max_pending`` records): the
ledger reports itself unavailable, keeps serving requests, and tries again later.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.paths import USAGE_FILE, usage_db
from byok_ls.usage import store
from byok_ls.usage.records import Period, UsageRecord, day_bounds, local_day, month_bounds
from byok_ls.usage.report import (
    DEFAULT_GROUP_BY,
    UsageReport,
    empty_report,
    run_query,
    validate_group_by,
)

log = logging.getLogger(__name__)

FILE_NAME = USAGE_FILE
# Rows per transaction: large enough for throughput, small enough that another process
# waiting for the write lock is not held up for long.
_CHUNK = 5000


def default_path() -> Path:
    """``$BYOK_LS_DATA_DIR/usage.sqlite3``, else the platform's user data dir."""
    return usage_db()


class UsageUnavailable(ByokError):
    """The usage database cannot be read; the message says why and what to do."""

    def __init__(self, problem: str) -> None:
        super().__init__(ErrorKind.SERVER_ERROR, f"Usage records are unavailable: {problem}")
        self.problem = problem


class Ledger:
    """Per-request usage records in SQLite, with O(1) spend totals for budget checks."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        flush_interval_s: float = 0.2,
        batch_rows: int = 500,
        busy_timeout_ms: int = 5000,
        retry_s: float = 5.0,
        refresh_s: float = 30.0,
        max_pending: int = 200_000,
    ) -> None:
        self.path = path if path is not None else default_path()
        self._flush_interval_s = flush_interval_s
        self._batch_rows = batch_rows
        self._busy_timeout_ms = busy_timeout_ms
        self._retry_s = retry_s
        self._refresh_s = refresh_s
        self._max_pending = max_pending

        #: False while records cannot be saved or read; ``problem`` says why.
        self.available = True
        self.problem: str | None = None
        #: Set after a damaged database was moved aside: where the old records now are.
        self.last_repair: str | None = None
        #: Records discarded because ``max_pending`` were already waiting for the database.
        self.dropped = 0

        # Guards the queue/totals pair so a refresh from the database never double counts.
        self._lock = threading.Lock()
        self._queue: deque[UsageRecord] = deque()
        self._recorded = 0  # records accepted into the queue, ever
        self._written = 0  # records committed, ever
        self._day_start = self._day_end = self._month_start = self._month_end = 0.0
        self._day_spent: dict[str, float] = {}
        self._month_spent: dict[str, float] = {}
        self._roll(time.time())

        self._wake = threading.Event()
        self._wake.set()  # read spend totals from the database at once, not after a tick
        #: Set once the first read of spend totals from the database finished or failed.
        self._seeded = threading.Event()
        self._cv = threading.Condition()
        self._flush_requested = 0
        self._flush_done = 0
        self._stopping = False
        self._closed = False
        self._check_requested = False  # a reader saw corruption: verify before writing
        self._conn: sqlite3.Connection | None = None
        # (device, inode) of the database and its -wal that the open connection uses, and
        # of the file found at the path by the last open (the one to move if damaged).
        self._identity: tuple[int, int] | None = None
        self._wal_identity: tuple[int, int] | None = None
        self._seen: tuple[int, int] | None = None
        self._thread = threading.Thread(target=self._run, name="byok-ls-usage", daemon=True)
        self._thread.start()
        # Rows still queued at interpreter exit are written unless close() ran first.
        atexit.register(self.close)

    # ----------------------------------------------------------------- request path

    def record(self, rec: UsageRecord) -> None:
        """Queue one record; never blocks on I/O and never raises."""
        try:
            with self._lock:
                if self._closed:
                    return
                if len(self._queue) >= self._max_pending:
                    self.dropped += 1
                    return
                self._queue.append(rec)
                self._recorded += 1
                cost = rec.cost_usd
                if cost:
                    ts = rec.ts
                    if ts >= self._day_end:
                        self._roll(time.time())
                    if self._month_start <= ts < self._month_end:
                        pid = rec.provider_id
                        self._month_spent[pid] = self._month_spent.get(pid, 0.0) + cost
                        if self._day_start <= ts < self._day_end:
                            self._day_spent[pid] = self._day_spent.get(pid, 0.0) + cost
                # Wake the writer once per full batch; setting the Event on every call
                # would cost more than the rest of record() together.
                if len(self._queue) == self._batch_rows:
                    self._wake.set()
        except Exception:  # the request path must survive any bookkeeping bug
            log.exception("usage record dropped")

    def spent(self, provider_id: str, period: Period) -> float:
        """USD spent at ``provider_id`` in the current local day or month (all windows)."""
        now = time.time()
        if not self._day_start <= now < self._day_end:
            with self._lock:
                self._roll(now)
        totals = self._day_spent if period == "day" else self._month_spent
        return totals.get(provider_id, 0.0)

    def _roll(self, now: float) -> None:
        # Caller holds self._lock (or is __init__). A new day/month starts from zero; the
        # next refresh re-reads the database for spend recorded by other processes.
        day = day_bounds(now)
        if day == (self._day_start, self._day_end):
            return
        self._day_start, self._day_end = day
        self._day_spent = {}
        month = month_bounds(now)
        if month != (self._month_start, self._month_end):
            self._month_start, self._month_end = month
            self._month_spent = {}

    @property
    def seeded(self) -> bool:
        """Whether ``spent()`` includes what earlier sessions and other servers recorded."""
        return self._seeded.is_set()

    def wait_seeded(self, timeout: float) -> bool:
        """Block until spend totals were read from the database (or that failed)."""
        return self._seeded.wait(timeout)

    @property
    def pending(self) -> int:
        """Records accepted but not yet saved."""
        return len(self._queue)

    # ----------------------------------------------------------------- control

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything recorded so far now; True when all of it is saved."""
        target = self._recorded
        with self._cv:
            if self._closed and not self._thread.is_alive():
                return self._written >= target
            self._flush_requested += 1
            ticket = self._flush_requested
            self._wake.set()
            self._cv.wait_for(lambda: self._flush_done >= ticket, timeout)
        return self._written >= target

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout``) and stop the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        with self._cv:
            self._stopping = True
            self._wake.set()
        self._thread.join(timeout)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- reports

    def query(
        self,
        since: float | None = None,
        until: float | None = None,
        group_by: Sequence[str] = DEFAULT_GROUP_BY,
    ) -> UsageReport:
        """Sums over [since, until) (unix seconds); blocking, call it off the event loop."""
        dims = validate_group_by(group_by)
        if self._queue and not self._closed:
            self.flush(timeout=1.0)  # so a report includes the request that just finished
        if not self.available:
            raise UsageUnavailable(self.problem or "the usage database cannot be used.")
        if not self.path.exists():
            return empty_report()  # nothing was ever saved here
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_ms / 1000, isolation_level=None
            )
            conn.execute("PRAGMA query_only = ON")
            # The writer creates the file before its schema (one transaction that also sets
            # user_version): a report read in between finds no tables and nothing recorded.
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                return empty_report()
            return run_query(conn, since, until, dims)
        except sqlite3.Error as e:
            problem = store.classify(e, self.path)
            if problem.kind == "corrupt":
                self._check_requested = True
                self._wake.set()
            raise UsageUnavailable(problem.message) from e
        finally:
            if conn is not None:
                conn.close()

    # ----------------------------------------------------------------- writer thread

    def _run(self) -> None:
        next_try = 0.0  # monotonic time of the next write attempt after a failure
        next_refresh = 0.0  # ... of the next re-read of spend totals (0 = at start)
        while True:
            self._wake.wait(self._flush_interval_s)
            self._wake.clear()
            with self._cv:
                ticket, stopping = self._flush_requested, self._stopping
            now = time.monotonic()
            forced = ticket > self._flush_done or stopping
            if forced or now >= next_try:
                refresh = now >= next_refresh
                if self._attempt(refresh):
                    next_try = 0.0
                    if refresh:
                        next_refresh = now + self._refresh_s
                else:
                    next_try = now + self._retry_s
                self._seeded.set()
            with self._cv:
                self._flush_done = ticket
                self._cv.notify_all()
            if stopping:
                self._disconnect()
                return

    def _attempt(self, refresh: bool) -> bool:
        """Write the queue, re-read spend if asked; on failure, describe it and keep rows."""
        if not self._queue and not refresh and self.available and not self._check_requested:
            return True
        damaged: store.Problem | None = None
        try:
            try:
                self._write(refresh)
            except sqlite3.DatabaseError as e:
                damaged = store.classify(e, self.path)
                if damaged.kind != "corrupt":
                    raise
                self._repair(e)
                damaged = None
                self._write(refresh)
        except (sqlite3.Error, OSError) as e:
            self._disconnect()
            # While a damaged file cannot be moved aside, that damage is the problem to
            # report, not the rename error that followed it.
            problem = damaged or store.classify(e, self.path)
            if self.problem != problem.message:
                log.warning("%s", problem.message)
            self.available, self.problem = False, problem.message
            return False
        if not self.available:
            log.info("usage database %s is usable again", self.path)
        self.available, self.problem = True, None
        return True

    def _write(self, refresh: bool) -> None:
        conn = self._connection()
        if self._check_requested:
            self._check_requested = False
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
        while self._queue:
            batch = list(islice(self._queue, _CHUNK))
            store.write_batch(conn, batch)
            # Only this thread pops, and record() only appends on the right, so the left
            # of the queue is exactly the batch that was just committed.
            for _ in batch:
                self._queue.popleft()
            self._written += len(batch)
        if refresh:
            self._refresh(conn)

    def _connection(self) -> sqlite3.Connection:
        identity = store.file_identity(self.path)
        if self._conn is not None and identity != self._identity:
            log.warning("usage database %s was removed or replaced; reopening", self.path)
            our_wal = self._wal_identity
            self._disconnect()
            with store.open_lock(self.path):
                # SQLite keeps a moved database's -wal on close; if that file is still
                # ours it belongs to the old database and must not be replayed into the
                # new one.
                if (
                    our_wal is not None
                    and store.file_identity(store.wal_path(self.path)) == our_wal
                ):
                    store.remove_side_files(self.path)
        if self._conn is None:
            with store.open_lock(self.path):
                if store.file_identity(self.path) is None:
                    store.remove_side_files(self.path)  # orphans of a deleted database
                self._seen = store.file_identity(self.path)
                self._conn = store.open_db(self.path, self._busy_timeout_ms)
                self._identity = store.file_identity(self.path)
                # A database this connection created was not there to be seen before it
                # opened; it is the file to move aside if it is damaged later.
                self._seen = self._identity
                self._wal_identity = store.file_identity(store.wal_path(self.path))
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
            self._identity = self._wal_identity = None

    def _repair(self, cause: sqlite3.DatabaseError) -> None:
        self._disconnect()
        with store.open_lock(self.path):
            # Move only the file that failed: if another server already moved it aside and
            # started a new one, that new file is healthy and is simply opened next.
            current = store.file_identity(self.path)
            if current is None or current != self._seen:
                return
            aside = store.move_aside(self.path)
        self.last_repair = (
            f"The usage database {self.path} was damaged ({cause}); it was moved aside "
            f"to {aside} and a new one was started. Earlier records are in the moved file."
        )
        log.warning("%s", self.last_repair)

    def _refresh(self, conn: sqlite3.Connection) -> None:
        # Seed/refresh spend from the database (which includes other windows' servers),
        # then add what is still queued here, all under the lock so no record is counted
        # twice or missed.
        now = time.time()
        today = local_day(now)
        day, month = store.spent_since(conn, today[:8] + "01", today)
        with self._lock:
            self._roll(now)
            for rec in self._queue:
                cost = rec.cost_usd
                if cost and self._month_start <= rec.ts < self._month_end:
                    month[rec.provider_id] = month.get(rec.provider_id, 0.0) + cost
                    if self._day_start <= rec.ts < self._day_end:
                        day[rec.provider_id] = day.get(rec.provider_id, 0.0) + cost
            self._day_spent, self._month_spent = day, month
