"""What one upstream request cost: the record, prices, and local calendar periods.

A record holds numbers and identifiers only. Prompt and completion text never enter the
ledger, so the usage database is safe to share when asking for help with a bill.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

Task = Literal["chat", "completion", "embeddings", "test"]
Period = Literal["day", "month"]

#: The conversation the running request belongs to. Set by the chat service for the task
#: that serves one ``byok/chat`` call and read when the router writes the usage record, so
#: the id reaches the ledger without every layer in between passing it along.
CONVERSATION: ContextVar[str | None] = ContextVar("byok_conversation", default=None)

#: ``outcome`` of a request that succeeded; anything else is an ``ErrorKind`` value
#: (``cancelled`` included) and counts as an error in reports.
OK = "ok"


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One upstream request: who served it, how many tokens, what it cost, how it ended."""

    ts: float  # unix seconds at which the request was sent
    provider_id: str
    model: str
    task: Task
    input_tokens: int
    output_tokens: int
    estimated: bool  # tokens counted by us because the provider reported none
    cost_usd: float | None  # None when the model has no known price (e.g. local servers)
    latency_ms: float
    outcome: str  # "ok" or an ErrorKind value such as "timeout" or "cancelled"
    fallback: bool  # served by a fallback model after the active one failed
    #: The chat (``chatId``) the request belonged to: every step of an agent loop shares it.
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per million tokens, as published by the provider."""

    input_per_mtok: float
    output_per_mtok: float


def cost_usd(prices: Prices | None, input_tokens: int, output_tokens: int) -> float | None:
    """The cost of one request, or None when the model's prices are unknown."""
    if prices is None:
        return None
    return (
        input_tokens * prices.input_per_mtok + output_tokens * prices.output_per_mtok
    ) / 1_000_000


def _local_midnight(year: int, month: int, day: int) -> float:
    # mktime normalises day 32 / month 13 into the next month / year, and isdst=-1 lets
    # the C library pick the right offset on DST transition days.
    return time.mktime((year, month, day, 0, 0, 0, 0, 0, -1))


def day_bounds(ts: float) -> tuple[float, float]:
    """[start, end) of the local calendar day containing ``ts``."""
    t = time.localtime(ts)
    return (
        _local_midnight(t.tm_year, t.tm_mon, t.tm_mday),
        _local_midnight(t.tm_year, t.tm_mon, t.tm_mday + 1),
    )


def month_bounds(ts: float) -> tuple[float, float]:
    """[start, end) of the local calendar month containing ``ts``."""
    t = time.localtime(ts)
    return _local_midnight(t.tm_year, t.tm_mon, 1), _local_midnight(t.tm_year, t.tm_mon + 1, 1)


def local_day(ts: float) -> str:
    """The local calendar day of ``ts`` as ``YYYY-MM-DD`` (sorts like the dates it names)."""
    return time.strftime("%Y-%m-%d", time.localtime(ts))


class DayKeys:
    """``local_day`` for runs of timestamps, recomputed only when a day boundary is crossed.

    The writer labels every row with its day; records arrive in near time order, so one
    cached day makes labelling a batch cost a float comparison per row.
    """

    __slots__ = ("_end", "_key", "_start")

    def __init__(self) -> None:
        self._start = 0.0
        self._end = 0.0
        self._key = ""

    def __call__(self, ts: float) -> str:
        if not self._start <= ts < self._end:
            self._start, self._end = day_bounds(ts)
            self._key = local_day(ts)
        return self._key
