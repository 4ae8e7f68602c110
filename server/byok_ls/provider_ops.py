"""Provider operations that reach the network or the ledger: test, discover, detect, usage
and status. One implementation answers the LSP methods and the CLI verbs alike, in the
``api`` result types (the CLI's ``--json`` prints the same objects the LSP answers)."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from byok_ls import api
from byok_ls.config.schema import Provider
from byok_ls.providers.types import Endpoint

if TYPE_CHECKING:
    from byok_ls.app import App

#: Grouping of a usage report when none is asked for.
DEFAULT_GROUP_BY: list[api.GroupBy] = ["provider", "model", "task"]


class ProviderOps:
    def __init__(self, app: App) -> None:
        self.app = app

    def _endpoint(self, provider_id: str) -> tuple[Provider, Endpoint]:
        self.app.store.reload_if_changed()
        provider = self.app.config.provider(provider_id)
        return provider, self.app.config.endpoint(provider)

    async def test(self, params: api.ProviderIdParams) -> api.TestResult:
        """The cheapest real call that proves the provider's URL and key work."""
        from byok_ls.providers import probe

        provider, endpoint = self._endpoint(params.id)
        missing = self.app.config.missing_key(provider, endpoint)
        if missing is not None:
            return api.TestResult(
                ok=False,
                status="missing_key",
                latency_ms=0,
                message=missing.message,
                models_found=0,
            )
        hint = next((m.name for m in provider.models if m.task == "chat"), None)
        found = await probe.check_endpoint(
            endpoint, hint or (provider.models[0].name if provider.models else None)
        )
        return api.TestResult.model_validate(asdict(found))

    async def discover(self, params: api.ProviderIdParams) -> api.DiscoverResult:
        from byok_ls.providers import probe

        provider, endpoint = self._endpoint(params.id)
        missing = self.app.config.missing_key(provider, endpoint)
        if missing is not None:
            raise missing
        found = await probe.discover(endpoint)
        return api.DiscoverResult(
            models=[api.DiscoveredModelView(name=m.name, task=m.task, n_ctx=m.n_ctx) for m in found]
        )

    async def detect(self) -> api.DetectResult:
        """Local servers on their default loopback ports; ``BYOK_LS_DETECT_PORTS``
        (``ollama=43111,llamacpp=43112``) replaces those ports (see ``probe.detect_ports``)."""
        from byok_ls.providers import probe

        found = await probe.detect_local(probe.detect_ports())
        return api.DetectResult(
            found=[
                api.DetectedView(template=d.template, base_url=d.base_url, models=d.models)
                for d in found
            ]
        )

    async def usage(self, params: api.UsageParams) -> api.UsageResult:
        group_by = params.group_by or DEFAULT_GROUP_BY
        ledger = self.app.ledger
        report = await asyncio.to_thread(ledger.query, params.since, params.until, group_by)
        return api.UsageResult.model_validate(report.to_json())

    def status(self, loop_lag_max_ms: float | None = None) -> api.StatusResult:
        app = self.app
        app.store.reload_if_changed()
        ledger, router = app.ledger, app.router
        rows = []
        for provider in app.config.config.providers:
            health = router.health.get(provider.id)
            cool_down_s, cool_down_kind = router.cool_down(provider)
            budget = provider.budget
            rows.append(
                api.ProviderStatus(
                    id=provider.id,
                    last_outcome=health.last_outcome if health else None,
                    # Rounded up: a provider still skipped never reads as 0.
                    cool_down_s=math.ceil(cool_down_s * 10) / 10,
                    cool_down_kind=cool_down_kind,
                    spent_today_usd=round(ledger.spent(provider.id, "day"), 6),
                    budget_daily_usd=budget.daily_usd if budget else None,
                    spent_month_usd=round(ledger.spent(provider.id, "month"), 6),
                    budget_monthly_usd=budget.monthly_usd if budget else None,
                )
            )
        problem = app.store.problem
        return api.StatusResult(
            providers=rows,
            config_problem=str(problem) if problem else None,
            usage_problem=None if ledger.available else ledger.problem,
            usage_repair=ledger.last_repair,
            checked_at=time.time(),
            loop_lag_max_ms=loop_lag_max_ms,
        )
