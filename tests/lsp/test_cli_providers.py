"""``byok-ls providers test|discover|detect`` as a user runs them: a separate process, the
config and key from the environment, fakes on loopback."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from byok_ls.providers.probe import PROBE_TOTAL_S
from tests.fakes import FakeServer, presets
from tests.lsp.editor import closed_port, server_env_for

KEY = "sk-cli-0123456789abcdefLMNO"
ROOT = Path(__file__).resolve().parents[2]


def byok(
    dirs: dict[str, Path], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **server_env_for(dirs), "CLI_TEST_KEY": KEY, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "byok_ls", *args],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def add(dirs: dict[str, Path], template: str, base_url: str, pid: str, key: bool = True) -> None:
    key_args = ["--key-env", "CLI_TEST_KEY"] if key else ["--no-key"]
    done = byok(dirs, "providers", "add", template, "--id", pid, "--base-url", base_url, *key_args)
    assert done.returncode == 0, done.stderr


def test_providers_test_ok_and_failures(
    isolated_dirs: dict[str, Path], openai_fake: FakeServer, anthropic_fake: FakeServer
) -> None:
    openai_fake.expect_key = KEY
    add(isolated_dirs, "openai", openai_fake.api_base, "oa")
    anthropic_fake.expect_key = "sk-ant-not-the-cli-key-000"
    add(isolated_dirs, "anthropic", anthropic_fake.api_base, "an")
    add(isolated_dirs, "openai", f"http://127.0.0.1:{closed_port()}/v1", "gone")

    human = byok(isolated_dirs, "providers", "test", "oa")
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith("ok: ") and "3 models" in human.stdout
    assert openai_fake.last.header("authorization") == f"Bearer {KEY}"

    openai_fake.queue(dataclasses.replace(presets.openai_insufficient_quota(), path="/models"))
    as_json = byok(isolated_dirs, "providers", "test", "oa", "--json")
    assert as_json.returncode == 1
    result = json.loads(as_json.stdout)
    assert (result["ok"], result["status"]) == (False, "out_of_credit")
    assert 0 <= result["latencyMs"] < PROBE_TOTAL_S * 1000
    assert set(result) == {"ok", "status", "latencyMs", "message", "modelsFound"}

    bad = byok(isolated_dirs, "providers", "test", "an")
    assert bad.returncode == 1 and bad.stdout.startswith("auth_failed: ")
    assert anthropic_fake.last.header("x-api-key") == KEY

    gone = json.loads(byok(isolated_dirs, "providers", "test", "gone", "--json").stdout)
    assert gone["status"] == "unreachable"

    for done in (human, as_json, bad):
        assert KEY not in done.stdout + done.stderr


def test_providers_test_unknown_id(isolated_dirs: dict[str, Path]) -> None:
    done = byok(isolated_dirs, "providers", "test", "nobody")
    assert done.returncode == 1
    assert "nobody" in done.stderr and done.stdout == ""


def test_providers_discover(
    isolated_dirs: dict[str, Path], vllm_fake: FakeServer, ollama_fake: FakeServer
) -> None:
    add(isolated_dirs, "vllm", vllm_fake.api_base, "gpu")
    add(isolated_dirs, "ollama", ollama_fake.api_base, "local", key=False)

    table = byok(isolated_dirs, "providers", "discover", "gpu")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TASK", "N_CTX"]
    assert lines[1].split() == ["Qwen/Qwen2.5-Coder-7B-Instruct", "-", "32768"]

    as_json = byok(isolated_dirs, "providers", "discover", "local", "--json")
    assert json.loads(as_json.stdout) == {
        "models": [
            {"name": "llama3.2:latest", "task": "chat", "nCtx": 32768},
            {"name": "qwen2.5-coder:1.5b", "task": "chat", "nCtx": 32768},
        ]
    }

    vllm_fake.queue(dataclasses.replace(presets.vllm_invalid_key(), path="/models"))
    failed = byok(isolated_dirs, "providers", "discover", "gpu")
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ") and "rejected the API key" in failed.stderr


def test_providers_detect(isolated_dirs: dict[str, Path]) -> None:
    ollama_port, llamacpp_port = closed_port(), closed_port()
    env = {"BYOK_LS_DETECT_PORTS": f"ollama={ollama_port},llamacpp={llamacpp_port}"}

    nothing = byok(isolated_dirs, "providers", "detect", env=env)
    assert nothing.returncode == 0, nothing.stderr
    assert "No local model server" in nothing.stdout
    assert f"ollama {ollama_port}" in nothing.stdout

    with FakeServer("ollama", port=ollama_port):
        table = byok(isolated_dirs, "providers", "detect", env=env)
        as_json = byok(isolated_dirs, "providers", "detect", "--json", env=env)
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["TEMPLATE", "BASE", "URL", "MODELS"]
    assert lines[1].split()[:2] == ["ollama", f"http://127.0.0.1:{ollama_port}"]
    assert "qwen2.5-coder:1.5b" in lines[1]
    assert json.loads(as_json.stdout) == {
        "found": [
            {
                "template": "ollama",
                "baseUrl": f"http://127.0.0.1:{ollama_port}",
                "models": ["llama3.2:latest", "qwen2.5-coder:1.5b"],
            }
        ]
    }
