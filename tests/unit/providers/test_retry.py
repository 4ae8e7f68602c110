"""Backoff retries transient failures, never auth/credit ones, never after visible output."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.retry import RetryPolicy, retry_call, retry_stream
from byok_ls.providers.types import Event, TextDelta, Usage


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def err(kind: ErrorKind, retry_after: float | None = None) -> ByokError:
    return ByokError(kind, kind.value, retry_after_s=retry_after)


def policy(sleeps: Sleeps, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, random=lambda: 0.5, **kw)  # type: ignore[arg-type]


async def test_backoff_is_exponential_jittered_and_capped() -> None:
    sleeps = Sleeps()
    p = policy(sleeps, max_retries=5, cap_s=2.0, base_s=0.5)
    attempts = 0

    async def call() -> str:
        nonlocal attempts
        attempts += 1
        if attempts <= 5:
            raise err(ErrorKind.SERVER_ERROR)
        return "ok"

    assert await retry_call(p, call) == "ok"
    # equal jitter with random()=0.5: 3/4 of min(cap, base * 2**n)
    assert sleeps.calls == [0.375, 0.75, 1.5, 1.5, 1.5]


@pytest.mark.parametrize(
    "kind", [ErrorKind.AUTH_FAILED, ErrorKind.OUT_OF_CREDIT, ErrorKind.BAD_REQUEST]
)
async def test_never_retries_permanent_failures(kind: ErrorKind) -> None:
    sleeps = Sleeps()

    async def call() -> None:
        raise err(kind)

    with pytest.raises(ByokError):
        await retry_call(policy(sleeps), call)
    assert sleeps.calls == []


async def test_gives_up_after_max_retries() -> None:
    sleeps, calls = Sleeps(), 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise err(ErrorKind.OVERLOADED)

    with pytest.raises(ByokError):
        await retry_call(policy(sleeps), call)
    assert calls == 3 and len(sleeps.calls) == 2


async def test_honours_retry_after_within_cap_and_gives_up_beyond() -> None:
    sleeps, calls = Sleeps(), 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise err(ErrorKind.RATE_LIMITED, 3.0)
        if calls == 2:
            raise err(ErrorKind.RATE_LIMITED, 60.0)
        return "ok"

    with pytest.raises(ByokError) as info:
        await retry_call(policy(sleeps), call)
    assert sleeps.calls == [3.0]
    assert info.value.retry_after_s == 60.0


async def test_stream_retried_before_text_and_early_usage_not_duplicated() -> None:
    sleeps, attempts = Sleeps(), 0

    async def attempt() -> AsyncGenerator[Event, None]:
        nonlocal attempts
        attempts += 1
        yield Usage(10, 0)
        if attempts == 1:
            raise err(ErrorKind.OVERLOADED)
        yield TextDelta("hi")

    events = [e async for e in retry_stream(policy(sleeps), attempt)]
    assert events == [Usage(10, 0), TextDelta("hi")]
    assert attempts == 2


async def test_stream_not_retried_after_text() -> None:
    sleeps, attempts = Sleeps(), 0

    async def attempt() -> AsyncGenerator[Event, None]:
        nonlocal attempts
        attempts += 1
        yield TextDelta("partial")
        raise err(ErrorKind.SERVER_ERROR)

    seen: list[Event] = []
    with pytest.raises(ByokError):
        async for event in retry_stream(policy(sleeps), attempt):
            seen.append(event)
    assert seen == [TextDelta("partial")]
    assert attempts == 1 and sleeps.calls == []
