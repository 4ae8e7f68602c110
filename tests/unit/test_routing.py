"""Router rules without a server: budgets, warnings, cool-downs, notices, fallback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from byok_ls import api
from byok_ls.app import App
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.routing import Router, Spent, Target
from byok_ls.usage import Ledger, UsageRecord


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Served:
    def __init__(self, input_tokens: int = 1000, output_tokens: int = 100) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.estimated = False


def make_app(tmp_path: Path, **budget: float) -> App:
    app = App(tmp_path / "config")
    svc = app.config
    for template in ("openai", "deepseek"):
        svc.provider_add(
            api.ProviderAddParams(
                template=template,
                base_url="http://127.0.0.1:9/v1",
                api_key="sk-test-0123456789abcdef",
            )
        )
    if budget:
        svc.provider_update(
            api.ProviderUpdateParams.model_validate({"id": "openai", "budget": budget})
        )
    svc.active_set(
        api.ActiveSetParams(
            task="chat", model_id="openai/gpt-4o-mini", fallbacks=["deepseek/deepseek-chat"]
        )
    )
    return app


def router_for(app: App, ledger: Ledger | None, clock: Clock) -> tuple[Router, list[str]]:
    notices: list[str] = []
    router = Router(app.config, ledger, lambda level, msg: notices.append(msg), clock)
    return router, notices


def record(cost: float, provider: str = "openai") -> UsageRecord:
    return UsageRecord(
        time.time(), provider, "gpt-4o-mini", "chat", 1, 1, False, cost, 1.0, "ok", False
    )


async def test_spend_from_earlier_sessions_counts_before_the_first_request(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, daily_usd=0.01)
    db = tmp_path / "usage.sqlite3"
    with Ledger(db) as earlier:
        earlier.record(record(0.02))
    # A writer that would otherwise first look at the database only after a long tick.
    with Ledger(db, flush_interval_s=30) as ledger:
        router, _ = router_for(app, ledger, Clock())
        calls: list[str] = []

        async def attempt(target: Target) -> Served:
            calls.append(target.model_id)
            return Served()

        _, target = await router.run("chat", None, attempt)
        assert calls == ["deepseek/deepseek-chat"] and target.fallback


async def test_budget_warning_is_shown_once_per_period_and_limit(tmp_path: Path) -> None:
    app = make_app(tmp_path, daily_usd=1.0, monthly_usd=100.0)
    with Ledger(tmp_path / "usage.sqlite3") as ledger:
        router, notices = router_for(app, ledger, Clock())

        async def attempt(target: Target) -> Served:
            ledger.record(record(0.3))
            return Served(0, 0)

        for _ in range(3):  # 0.3, 0.6, 0.9: one warning, after the third request
            await router.run("chat", None, attempt)
        assert [n for n in notices if "budget" in n] == [
            "OpenAI has used 90% of its daily budget ($0.9000 of $1.0000)."
        ]
        await router.run("chat", None, attempt)  # 1.2: used up, said once
        with pytest.raises(ByokError):  # refused, and the fallback is ours to fake failing
            await router.run("chat", "openai/gpt-4o-mini", attempt)
        assert len([n for n in notices if "has used its daily budget" in n]) == 1
        assert len([n for n in notices if "% of its daily budget" in n]) == 1


async def test_cool_down_expires_and_a_new_key_lifts_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    clock = Clock()
    router, notices = router_for(app, None, clock)
    calls: list[str] = []

    async def exhausted(target: Target) -> Served:
        calls.append(target.model_id)
        if target.provider.id == "openai":
            raise ByokError(ErrorKind.OUT_OF_CREDIT, "no credit", provider_id="openai")
        return Served()

    for _ in range(3):
        await router.run("chat", None, exhausted)
    assert calls == ["openai/gpt-4o-mini"] + ["deepseek/deepseek-chat"] * 3
    assert notices == [
        "OpenAI is out of credit; using deepseek/deepseek-chat for chat until it is fixed."
    ]
    openai = app.config.provider("openai")
    remaining, kind = router.cool_down(openai)
    assert remaining == 600 and kind == "out_of_credit"
    clock.now += 599
    await router.run("chat", None, exhausted)
    assert calls[-1] == "deepseek/deepseek-chat"
    clock.now += 2
    assert router.cool_down(openai) == (0.0, None)
    await router.run("chat", None, exhausted)
    assert calls[-2:] == ["openai/gpt-4o-mini", "deepseek/deepseek-chat"]
    assert len(notices) == 1  # the same problem is not announced twice

    app.config.provider_update(
        api.ProviderUpdateParams(id="openai", api_key="sk-test-another-key-0123456789")
    )
    assert router.cool_down(app.config.provider("openai")) == (0.0, None)
    calls.clear()
    await router.run("chat", None, exhausted)
    assert calls == ["openai/gpt-4o-mini", "deepseek/deepseek-chat"]


async def test_no_fallback_after_output_was_delivered(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    router, _ = router_for(app, None, Clock())
    calls: list[str] = []

    async def broken_stream(target: Target) -> Served:
        calls.append(target.model_id)
        raise ByokError(ErrorKind.SERVER_ERROR, "stream broke")

    class Shown:
        def __init__(self, shown: Spent | None) -> None:
            self._shown = shown

        async def __call__(self, target: Target) -> Served:
            return await broken_stream(target)

        def shown(self) -> Spent | None:
            return self._shown

    with pytest.raises(ByokError) as info:
        await router.run_streamed("chat", None, Shown(Spent(10, 3, True)))
    assert info.value.kind == ErrorKind.SERVER_ERROR and calls == ["openai/gpt-4o-mini"]
    calls.clear()
    with pytest.raises(ByokError) as info:
        await router.run_streamed("chat", None, Shown(None))
    assert calls == ["openai/gpt-4o-mini", "deepseek/deepseek-chat"]
    assert len(info.value.extra["attempts"]) == 2


def test_completion_backoff_does_not_turn_away_chat(tmp_path: Path) -> None:
    """A keystroke's short back-off (timeout, unreachable) holds for completion only."""
    router, _ = router_for(make_app(tmp_path), None, Clock())
    target = router.target("openai/gpt-4o-mini", "chat")
    health = router.health
    health.failed(target, "completion", ByokError(ErrorKind.TIMEOUT, "slow"), 600)
    assert health.blocked(target, "completion") is not None
    assert health.blocked(target, "chat") is None
    health.failed(target, "chat", ByokError(ErrorKind.OUT_OF_CREDIT, "empty"), 600)
    assert health.blocked(target, "chat") is not None
    assert health.blocked(target, "completion") is not None
