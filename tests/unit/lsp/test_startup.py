"""Start-up: ``initialize`` is answered before the services and their models are imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from byok_ls.lsp.methods import METHODS
from byok_ls.lsp.names import METHOD_NAMES
from tests.lsp.editor import frame, read_frame

#: Modules the initialize answer must not wait for (see lsp/server.py).
LATE = ("pydantic", "byok_ls.api", "byok_ls.app", "byok_ls.config.schema", "ruamel.yaml")


def test_method_names_match_the_method_table() -> None:
    """pygls registers methods by these names before the table loads: same list, same order."""
    table = [m.name for m in METHODS]
    assert list(METHOD_NAMES) == table, "a method was added: add its name to lsp/names.py"


def test_initialize_is_answered_before_the_services_load(tmp_path: Path) -> None:
    """``byok-ls --stdio`` answers initialize with every byok command registered, having
    imported none of the modules that build the services (they load after it)."""
    env = dict(os.environ)
    env.update(
        BYOK_LS_CONFIG_DIR=str(tmp_path / "config"),
        BYOK_LS_DATA_DIR=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="tests.support.keyrings.MemoryKeyring",
    )
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "byok_ls", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        init = {"processId": None, "capabilities": {}, "rootUri": None}
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
        proc.stdin.flush()
        answer = read_frame(proc.stdout)
    finally:
        proc.kill()
        _, stderr = proc.communicate(timeout=30)
    commands = answer["result"]["capabilities"]["executeCommandProvider"]["commands"]
    assert {f"byok.{n.removeprefix('byok/').replace('/', '.')}" for n in METHOD_NAMES} <= set(
        commands
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.decode().splitlines()}
    assert "lsprotocol.types" in imported  # importtime did report
    assert not imported & set(LATE)
