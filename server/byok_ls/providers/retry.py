"""Retries with capped exponential backoff and jitter, for transient provider failures.

Only ``RETRY_KINDS`` (rate_limited, overloaded, server_error) are retried; auth and credit
failures never are (retrying cannot fix them and may lock the key). A stream is retried only
until it has produced something the user could have seen (text, reasoning, a tool call):
after that a retry would duplicate output, so the error goes to the caller.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TypeVar

from byok_ls.errors import RETRY_KINDS, ByokError

from .types import Event, ReasoningDelta, TextDelta, ToolCallDelta

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    #: Retries after the first attempt (so ``max_retries + 1`` attempts in all).
    max_retries: int = 2
    #: Longest single wait, seconds. A provider asking for longer makes us give up instead.
    cap_s: float = 8.0
    #: First backoff step, seconds; doubles every attempt.
    base_s: float = 0.5
    #: Injectable so tests do not wait.
    sleep: Sleep = field(default=asyncio.sleep, compare=False)
    #: Injectable randomness in [0, 1) for the jitter.
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, error: ByokError) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), None to give up."""
        if error.kind not in RETRY_KINDS or attempt >= self.max_retries:
            return None
        if error.retry_after_s is not None:
            return error.retry_after_s if error.retry_after_s <= self.cap_s else None
        backoff = min(self.cap_s, self.base_s * 2.0**attempt)
        # "Equal jitter": half fixed, half random, so retries of many clients spread out
        # while each still waits a meaningful minimum.
        return backoff / 2 + backoff / 2 * self.random()


NO_RETRY = RetryPolicy(max_retries=0)
DEFAULT_RETRY = RetryPolicy()

_VISIBLE = (TextDelta, ReasoningDelta, ToolCallDelta)


async def retry_call(policy: RetryPolicy, call: Callable[[], Awaitable[T]]) -> T:
    attempt = 0
    while True:
        try:
            return await call()
        except ByokError as error:
            wait = policy.delay(attempt, error)
            if wait is None:
                raise
        await policy.sleep(wait)
        attempt += 1


async def retry_stream(
    policy: RetryPolicy, open_stream: Callable[[], AsyncGenerator[Event, None]]
) -> AsyncGenerator[Event, None]:
    """Yield the events of ``open_stream()``, starting it again on a retryable failure.

    Events before the first visible one (e.g. Anthropic's input usage) are held back so a
    retried attempt does not report them twice.
    """
    attempt = 0
    while True:
        held: list[Event] = []
        visible = False
        try:
            # aclosing: when our consumer stops early, the attempt's response closes now.
            async with aclosing(open_stream()) as events:
                async for event in events:
                    if visible:
                        yield event
                    elif isinstance(event, _VISIBLE):
                        visible = True
                        for early in held:
                            yield early
                        held.clear()
                        yield event
                    else:
                        held.append(event)
            for early in held:
                yield early
            return
        except ByokError as error:
            wait = None if visible else policy.delay(attempt, error)
            if wait is None:
                raise
        await policy.sleep(wait)
        attempt += 1
