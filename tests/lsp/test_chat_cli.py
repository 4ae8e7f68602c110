"""``byok-ls chat`` as a user runs it: a real process talking to a fake provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from byok_ls.usage import Ledger
from tests.fakes import FakeServer, presets
from tests.lsp.editor import CHAT_KEY as KEY

ENV_KEY = "BYOK_TEST_CHAT_KEY"


def configure(config_dir: Path, fake: FakeServer) -> None:
    doc = {
        "version": 1,
        "providers": [
            {
                "id": "fake",
                "template": "custom",
                "name": "Fake Cloud",
                "base_url": fake.api_base,
                "api_key_env": ENV_KEY,
                "models": [
                    {"name": "gpt-4o", "task": "chat", "default_temperature": 0.25},
                    {"name": "gpt-4o-mini", "task": "chat"},
                ],
            }
        ],
        "active": {"chat": "fake/gpt-4o"},
    }
    (config_dir / "config.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    fake.expect_key = KEY


def byok(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_KEY: KEY}
    return subprocess.run(
        [sys.executable, "-m", "byok_ls", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_chat_streams_answer_and_records_usage(
    openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    configure(isolated_dirs["config"], openai_fake)
    openai_fake.script(text="Anchors match\n  the whole line.", chunks=5)
    done = byok("chat", "What does ^a+$ match?", "--system", "Answer in one line.")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Anchors match\n  the whole line.\n"
    body = openai_fake.last.json
    assert body["messages"] == [
        {"role": "system", "content": "Answer in one line."},
        {"role": "user", "content": "What does ^a+$ match?"},
    ]
    assert body["model"] == "gpt-4o" and body["stream"] is True
    assert body["temperature"] == 0.25
    with Ledger(isolated_dirs["data"] / "usage.sqlite3") as ledger:
        report = ledger.query(None, None, ["provider", "model", "task"])
    rows = [r.to_json() for r in report.rows]
    assert len(rows) == 1
    assert rows[0]["providerId"] == "fake" and rows[0]["model"] == "gpt-4o"
    assert rows[0]["task"] == "chat" and rows[0]["requests"] == 1
    assert rows[0]["outputTokens"] > 0


def test_chat_json_from_stdin_with_model(
    openai_fake: FakeServer, isolated_dirs: dict[str, Path]
) -> None:
    configure(isolated_dirs["config"], openai_fake)
    openai_fake.script(text="Forty-two.", chunks=3)
    done = byok("chat", "--json", "--model", "fake/gpt-4o-mini", stdin="The question?\n")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["content"] == "Forty-two."
    assert result["modelId"] == "fake/gpt-4o-mini"
    assert result["finishReason"] == "stop"
    assert result["usage"]["outputTokens"] > 0
    assert openai_fake.last.json["model"] == "gpt-4o-mini"
    assert openai_fake.last.json["messages"] == [{"role": "user", "content": "The question?\n"}]

    # A provider failure: one line on stderr, exit 1, no key.
    openai_fake.queue(presets.openai_insufficient_quota())
    done = byok("chat", "again?")
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Fake Cloud" in done.stderr
    assert "credit" in done.stderr
    assert KEY not in done.stderr and KEY not in done.stdout
