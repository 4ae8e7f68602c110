"""One usage record per upstream attempt, priced with the model's prices."""

from __future__ import annotations

import time

from byok_ls.config.schema import Task
from byok_ls.routing.target import Spent, Target
from byok_ls.usage import Ledger, Prices, UsageRecord, cost_usd
from byok_ls.usage.records import CONVERSATION


def target_cost(target: Target, input_tokens: int, output_tokens: int) -> float | None:
    """USD for one request at the model's prices; None when it has none (local servers)."""
    prices = target.model.prices
    return cost_usd(
        Prices(prices.input_per_mtok, prices.output_per_mtok) if prices else None,
        input_tokens,
        output_tokens,
    )


class UsageRecorder:
    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger

    def record(
        self, target: Target, task: Task, started: float, outcome: str, spent: Spent
    ) -> None:
        """``started`` is the attempt's ``time.perf_counter()``; ``outcome`` "ok", "cancelled"
        or the error kind."""
        if self.ledger is None:
            return
        cost = target_cost(target, spent.input_tokens, spent.output_tokens)
        self.ledger.record(
            UsageRecord(
                ts=time.time(),
                provider_id=target.provider.id,
                model=target.model.name,
                task=task,
                input_tokens=spent.input_tokens,
                output_tokens=spent.output_tokens,
                estimated=spent.estimated,
                cost_usd=cost,
                latency_ms=(time.perf_counter() - started) * 1000,
                outcome=outcome,
                fallback=target.fallback,
                conversation_id=CONVERSATION.get(),
            )
        )
