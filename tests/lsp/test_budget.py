"""Per-provider budgets through the real server: the 80 % warning, refusal before the
request is sent, the fallback it triggers, and spend remembered across servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeServer
from tests.fakes.scripts import Usage
from tests.lsp.editor import (
    DOC_URI,
    MINI_IN,
    MINI_OUT,
    add_deepseek,
    add_openai,
    chat,
    cost,
    data,
    generation_requests,
    open_document,
    shown,
    start,
    stop_session,
    wait_until,
)

ONE_CHAT = cost(1000, 100, MINI_IN, MINI_OUT)  # $0.00021
DAILY = ONE_CHAT / 0.84  # one chat uses 84 % of the day's budget


async def test_budget_warns_once_at_80_percent_then_refuses_before_sending(
    openai_fake: FakeServer, deepseek_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    lsp = await start()
    later = None
    try:
        await add_openai(lsp, openai_fake)
        await add_deepseek(lsp, deepseek_fake)
        await lsp.request("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o-mini"})
        await lsp.request(
            "byok/active/set", {"task": "completion", "modelId": "openai/gpt-3.5-turbo-instruct"}
        )
        updated = await lsp.request(
            "byok/providers/update", {"id": "openai", "budget": {"dailyUsd": DAILY}}
        )
        assert updated["provider"]["budget"]["dailyUsd"] == pytest.approx(DAILY)
        for _ in range(2):
            openai_fake.script(text="ok", usage=Usage(1000, 100))

        await chat(lsp)  # 84 %: warned right away, once
        await wait_until(lambda: bool(shown(lsp, "84% of its daily budget")))
        await chat(lsp)  # still under 100 % when sent; 168 % after
        await wait_until(lambda: bool(shown(lsp, "has used its daily budget")))
        assert len(generation_requests(openai_fake)) == 2

        err = await lsp.error("byok/chat", {"messages": [{"role": "user", "content": "more"}]})
        assert data(err)["kind"] == "budget_exceeded"
        assert data(err)["providerId"] == "openai" and data(err)["period"] == "day"
        assert "OpenAI reached its daily budget" in err.message
        open_document(lsp)
        position = {"line": 1, "character": 4}
        err = await lsp.error(
            "byok/complete", {"textDocument": {"uri": DOC_URI}, "position": position}
        )
        assert data(err)["kind"] == "budget_exceeded"
        assert len(generation_requests(openai_fake)) == 2  # refused before sending
        assert len(shown(lsp, "% of its daily budget")) == 1
        assert len(shown(lsp, "has used its daily budget")) == 1
        assert len(lsp.client.messages) == 2  # nothing else was shown

        status = await lsp.request("byok/status", {})
        (openai,) = [p for p in status["providers"] if p["id"] == "openai"]
        assert openai["spentTodayUsd"] == pytest.approx(2 * ONE_CHAT, abs=1e-6)
        assert openai["budgetDailyUsd"] == pytest.approx(DAILY)
        assert openai["lastOutcome"] == "ok"  # a refusal is not an outcome of the provider
        report = await lsp.request("byok/usage", {})
        assert report["totals"]["requests"] == 2  # refusals never reached the provider

        # A second server (another editor window) knows what was spent today at once.
        later = await start()
        err = await later.error("byok/chat", {"messages": [{"role": "user", "content": "x"}]})
        assert data(err)["kind"] == "budget_exceeded"
        assert len(generation_requests(openai_fake)) == 2

        # With a fallback, a spent budget moves requests to the next model.
        await lsp.request(
            "byok/active/set",
            {
                "task": "chat",
                "modelId": "openai/gpt-4o-mini",
                "fallbacks": ["deepseek/deepseek-chat"],
            },
        )
        answer = await chat(lsp)
        assert answer["modelId"] == "deepseek/deepseek-chat" and answer["fallback"] is True
        await wait_until(lambda: bool(shown(lsp, "OpenAI reached its budget; using deepseek")))
        assert len(generation_requests(openai_fake)) == 2

        # Raising the budget lets requests through again.
        await lsp.request("byok/providers/update", {"id": "openai", "budget": {"dailyUsd": 5}})
        assert (await chat(lsp))["modelId"] == "openai/gpt-4o-mini"
        assert len(generation_requests(openai_fake)) == 3
    finally:
        await stop_session(lsp)
        if later is not None:
            await stop_session(later)
