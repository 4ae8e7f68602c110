"""``byok-ls usage`` as a user runs it: a subprocess over the same usage database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from byok_ls.usage import Ledger, UsageRecord


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "byok_ls", "usage", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )


def rec(
    ts: float, provider: str, model: str, task: str, cost: float | None, **kw: object
) -> UsageRecord:
    fields: dict[str, object] = {
        "input_tokens": 1000,
        "output_tokens": 100,
        "estimated": False,
        "latency_ms": 120.0,
        "outcome": "ok",
        "fallback": False,
    }
    fields.update(kw)
    return UsageRecord(ts, provider, model, task, cost_usd=cost, **fields)  # type: ignore[arg-type]


@pytest.fixture
def recorded(isolated_dirs: dict[str, Path]) -> dict[str, float]:
    now = time.time()
    today = time.mktime(time.strptime(time.strftime("%Y-%m-%d"), "%Y-%m-%d"))
    two_days_ago = today - 2 * 86400 + 3600
    with Ledger(isolated_dirs["data"] / "usage.sqlite3") as ledger:
        ledger.record(rec(two_days_ago, "openai", "gpt-4o", "chat", 0.5))
        ledger.record(rec(now, "openai", "gpt-4o", "chat", 0.25))
        ledger.record(rec(now, "openai", "gpt-4o", "chat", None, outcome="out_of_credit",
                          input_tokens=0, output_tokens=0))  # fmt: skip
        ledger.record(rec(now, "deepseek", "deepseek-chat", "completion", 0.001, fallback=True))
        ledger.record(rec(now, "ollama", "qwen2.5-coder", "completion", None, estimated=True))
        assert ledger.flush()
    return {"today": today, "two_days_ago": two_days_ago}


def test_table_json_since_and_group_by(recorded: dict[str, float]) -> None:
    table = run_cli()
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "PROVIDER", "MODEL", "TASK", "REQUESTS", "INPUT", "TOKENS", "OUTPUT", "TOKENS", "COST",
        "ERRORS", "FALLBACKS",
    ]  # fmt: skip
    gpt = next(line.split() for line in lines if line.startswith("openai"))
    assert gpt == ["openai", "gpt-4o", "chat", "3", "2,000", "200", "$0.7500", "1", "0"]
    local = next(line.split() for line in lines if line.startswith("ollama"))
    assert local[4:7] == ["~1,000", "~100", "-"]  # estimated, no prices
    total = next(line.split() for line in lines if line.startswith("TOTAL"))
    assert total[:2] == ["TOTAL", "5"] and total[4] == "$0.7510"
    assert any("estimated" in line for line in lines)

    as_json = run_cli("--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["totals"]["requests"] == 5
    assert data["totals"]["costUsd"] == pytest.approx(0.751)
    row = next(r for r in data["rows"] if r["providerId"] == "deepseek")
    assert row == {
        "providerId": "deepseek",
        "model": "deepseek-chat",
        "task": "completion",
        "day": None,
        "requests": 1,
        "inputTokens": 1000,
        "outputTokens": 100,
        "costUsd": pytest.approx(0.001),
        "errors": 0,
        "estimated": False,
        "fallbacks": 1,
    }

    today = time.strftime("%Y-%m-%d")
    since = json.loads(run_cli("--json", "--since", today).stdout)
    assert since["totals"]["requests"] == 4
    assert since["totals"]["costUsd"] == pytest.approx(0.251)

    by_day = run_cli("--group-by", "day,provider").stdout.splitlines()
    assert by_day[0].split()[:3] == ["DAY", "PROVIDER", "REQUESTS"]
    earlier = time.strftime("%Y-%m-%d", time.localtime(recorded["two_days_ago"]))
    days = [line.split()[:3] for line in by_day[1:] if line[:1].isdigit()]
    assert days == [
        [earlier, "openai", "1"],
        [today, "deepseek", "1"],
        [today, "ollama", "1"],
        [today, "openai", "2"],
    ]


def test_empty_and_bad_arguments(isolated_dirs: dict[str, Path]) -> None:
    empty = run_cli()
    assert empty.returncode == 0 and empty.stdout.strip() == "No usage recorded."
    bad_date = run_cli("--since", "yesterday")
    assert bad_date.returncode == 2 and "--since" in bad_date.stderr
    bad_group = run_cli("--group-by", "provider,week")
    assert bad_group.returncode == 2 and "--group-by" in bad_group.stderr
