"""Neovim's built-in LSP client (``vim.lsp``, Debian's nvim) driving the real server: the
config CRUD methods, active/set, ``byok/complete`` and a streamed chat, against a provider
fake. Lua writes ``{}`` as ``[]`` and leaves ``nil`` params out, which our own test client
never does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeServer, Reply

SCRIPT = Path(__file__).with_name("byok_client.lua")
NVIM = shutil.which("nvim")

pytestmark = pytest.mark.skipif(
    NVIM is None, reason="Neovim is not installed (tests/run.sh installs Debian's neovim)"
)


def run_neovim(workdir: Path, base_url: str) -> dict[str, Any]:
    out = workdir / "result.json"
    env = dict(os.environ)
    env.update(
        {
            "BYOK_NVIM_PYTHON": sys.executable,
            "BYOK_NVIM_BASE_URL": base_url,
            "BYOK_NVIM_WORKDIR": str(workdir),
            "BYOK_NVIM_OUT": str(out),
            "HOME": str(workdir),  # no user config, shada or swap files of the real user
        }
    )
    assert NVIM is not None
    proc = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {SCRIPT}"],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr!r}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "failure" not in result, result["failure"]
    assert proc.returncode == 0, proc.stderr
    return result


def test_neovim_drives_every_kind_of_method(tmp_path: Path, openai_fake: FakeServer) -> None:
    openai_fake.queue(
        Reply(path="/v1/chat/completions", text="Hello from Neovim's fake.", chunks=4)
    )
    result = run_neovim(tmp_path, openai_fake.api_base)
    steps = {s["name"]: s for s in result["steps"]}
    errors = {
        name: s["error"]
        for name, s in steps.items()
        if "error" in s and name != "array-for-named-fields"
    }
    assert errors == {}

    assert any(t["id"] == "llamacpp" for t in steps["templates"]["result"]["templates"])
    assert steps["providers-empty"]["result"] == {"providers": []}
    # vim.lsp decodes null members of an object as nil: the key is gone on the Lua side.
    assert steps["active-empty"]["result"].get("chat") is None
    provider = steps["get"]["result"]["provider"]
    assert (provider["id"], provider["baseUrl"]) == ("work", openai_fake.api_base)
    assert provider["key"] == {"present": True, "source": "keyring", "hint": "nvi…0001"}
    assert steps["update"]["result"]["provider"]["name"] == "Work (renamed)"
    assert steps["model-update"]["result"]["model"]["nCtx"] == 8192
    [listed] = steps["providers"]["result"]["providers"]
    assert ("tiny-chat", "chat") in [(m["name"], m["task"]) for m in listed["models"]]
    active = steps["active"]["result"]
    assert (active["chat"], active["completion"]) == (
        "work/gpt-4o-mini",
        "work/gpt-3.5-turbo-instruct",
    )

    items = steps["complete"]["result"]["items"]
    assert [i["insertText"] for i in items] == ["return a + b"]
    infill = [r for r in openai_fake.requests if r.path == "/v1/completions"]
    assert infill and infill[0].json["prompt"] == "def add(a, b):\n    "

    chat = steps["chat"]["result"]
    assert chat["content"] == "Hello from Neovim's fake."
    deltas = [d for d in result["deltas"] if d["chatId"] == "nvim-chat"]
    assert len(deltas) >= 2
    assert "".join(d.get("text") or "" for d in deltas) == chat["content"]

    # {} for a method that needs named fields arrives as [] and is named as such.
    refused = steps["array-for-named-fields"]["error"]
    assert refused["code"] == -32602 and "named fields (id)" in refused["message"]
    assert steps["remove"]["result"] == {"removed": True}
    assert steps["providers-after"]["result"] == {"providers": []}
