"""Spend limits per provider: a request to a provider whose budget is used up is refused,
and the user is warned once at 80 % and once at 100 % (per period and limit)."""

from __future__ import annotations

import asyncio
import time

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.routing.target import Notice, Target
from byok_ls.usage import Ledger, Period, local_day

#: Share of a budget at which the client is warned (once per provider, period and limit).
BUDGET_WARNING = 0.8
#: Longest wait for the ledger's first read of today's spend before a budget check.
SEED_WAIT_S = 2.0

_PERIODS: tuple[tuple[Period, str], ...] = (("day", "daily"), ("month", "monthly"))


class Budgets:
    def __init__(self, ledger: Ledger | None, notice: Notice) -> None:
        self.ledger = ledger
        self.notice = notice
        #: (provider id, warning) pairs already shown; a success does not clear them.
        self._warned: set[tuple[str, str]] = set()

    def spent(self, provider_id: str, period: Period) -> float:
        return self.ledger.spent(provider_id, period) if self.ledger is not None else 0.0

    def _limits(self, target: Target) -> list[tuple[Period, str, float]]:
        budget = target.provider.budget
        if budget is None or self.ledger is None:
            return []
        found = [
            (period, adjective, budget.daily_usd if period == "day" else budget.monthly_usd)
            for period, adjective in _PERIODS
        ]
        return [(period, adjective, limit) for period, adjective, limit in found if limit]

    async def ready(self, target: Target) -> None:
        """Before the first budget check, let the ledger read what was spent earlier today."""
        ledger = self.ledger
        if target.provider.budget is not None and ledger is not None and not ledger.seeded:
            await asyncio.to_thread(ledger.wait_seeded, SEED_WAIT_S)

    def refusal(self, target: Target) -> ByokError | None:
        """Refuse a request to a provider whose daily or monthly budget is used up."""
        self.warn(target)
        for period, adjective, limit in self._limits(target):
            spent = self.spent(target.provider.id, period)
            if spent >= limit:
                return ByokError(
                    ErrorKind.BUDGET_EXCEEDED,
                    f"{target.provider.name} reached its {adjective} budget "
                    f"(${spent:.4f} of ${limit:.4f}); the request was not sent. Raise the "
                    "budget, wait for the next "
                    f"{period}, or switch the active model (Configure Providers).",
                    provider_id=target.provider.id,
                    model=target.model.name,
                    extra={"period": period, "spentUsd": spent, "budgetUsd": limit},
                )
        return None

    def warn(self, target: Target) -> None:
        """Warn once when a budget passes 80 %, and once when it is used up."""
        name = target.provider.name
        for period, adjective, limit in self._limits(target):
            spent = self.spent(target.provider.id, period)
            if spent < BUDGET_WARNING * limit:
                continue
            when = local_day(time.time())
            when = when if period == "day" else when[:7]
            early = f"budget80-{period}-{when}-{limit}"
            if spent >= limit:
                key = f"budget100-{period}-{when}-{limit}"
                message = (
                    f"{name} has used its {adjective} budget "
                    f"(${spent:.4f} of ${limit:.4f}): further requests to it are refused"
                    " (or go to a fallback model) until the next "
                    f"{period} or until the budget is raised."
                )
            else:
                key = early
                message = (
                    f"{name} has used {spent / limit:.0%} of its {adjective} "
                    f"budget (${spent:.4f} of ${limit:.4f})."
                )
            if (target.provider.id, key) not in self._warned:
                # Crossing 100 % in one step also covers the 80 % warning.
                self._warned.update({(target.provider.id, key), (target.provider.id, early)})
                self.notice("warning", message)
