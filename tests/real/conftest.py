"""The real-server layer: llama.cpp's own llama-server, built from PyPI's llama.cpp sources by
``build_llama_server.sh`` (or reused from its cache), serving a tiny model the tests write.

Every test here is marked ``real`` and left out of the default run (see pyproject.toml);
``tests/run.sh`` runs them with ``pytest tests/real -m real``. They are skipped only when the
build script says the build is impossible on this machine (exit 3); a build that fails
otherwise fails the layer.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.real.tinymodel import write_model

HERE = Path(__file__).parent
BUILD_SCRIPT = HERE / "build_llama_server.sh"
IMPOSSIBLE = 3
#: The model's name as llama-server reports it (--alias; the file stem on a router).
MODEL = "tiny"
N_CTX = 2048


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real)


@pytest.fixture(scope="session")
def llama_server_bin() -> Path:
    """The llama-server binary: $BYOK_LLAMA_SERVER, or built (once) by the build script."""
    given = os.environ.get("BYOK_LLAMA_SERVER")
    if given:
        return Path(given)
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=3 * 3600
    )
    if proc.returncode == IMPOSSIBLE:
        why = proc.stderr.strip()[-500:]
        pytest.skip(f"llama-server cannot be built on this machine: {why}")
    if proc.returncode != 0:
        log = proc.stderr[-3000:]
        pytest.fail(f"building llama-server failed (exit {proc.returncode}):\n{log}")
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("model") / f"{MODEL}.gguf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """One llama-server process on a loopback port, its log kept in a file."""

    def __init__(self, binary: Path, args: list[str], log_path: Path) -> None:
        self.binary, self.args, self.log_path = binary, args, log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/health", timeout_s: float = 120) -> LlamaServer:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.base_url + ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"llama-server was not ready in {timeout_s} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_matches(self, pattern: str, since: int = 0) -> list[str]:
        return re.findall(pattern, self.log()[since:])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def server_args(model: Path) -> list[str]:
    # One slot and one thread: the machine has two cores shared with everything else.
    return [
        "-m", str(model), "--alias", MODEL, "-c", str(N_CTX), "-np", "1", "-t", "1",
        "--jinja", "--metrics", "--no-warmup", "--no-ui",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def llama(
    llama_server_bin: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    log = tmp_path_factory.mktemp("llama-log") / "llama-server.log"
    server = LlamaServer(llama_server_bin, server_args(tiny_model), log).start()
    yield server
    server.stop()
