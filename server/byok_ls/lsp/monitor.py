"""Opt-in event-loop lag monitor (``BYOK_LS_LOOP_MONITOR=1``).

A task asks to wake up every ``interval_s`` and records how late it actually woke: that
delay is the longest time some callback kept the loop busy (a blocking call on the event
loop shows up here at once). ``byok/status`` reports the maximum since the previous
``byok/status`` answer (or start-up) as ``loopLagMaxMs``, so a caller can measure one phase
(e.g. after warm-up) on its own.
Off by default: it costs a wake-up every ``interval_s``.
"""

from __future__ import annotations

import asyncio
import os

ENV = "BYOK_LS_LOOP_MONITOR"


class LagMonitor:
    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.max_lag_s = 0.0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def enabled() -> bool:
        return os.environ.get(ENV, "") not in ("", "0")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval_s)
            lag = loop.time() - before - self.interval_s
            self.samples += 1
            if lag > self.max_lag_s:
                self.max_lag_s = lag

    def take_max_ms(self) -> float:
        """The largest lag since the last call, in ms; starts a new window."""
        lag, self.max_lag_s = self.max_lag_s, 0.0
        return round(lag * 1000, 1)
