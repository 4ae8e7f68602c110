"""Cold start: process start to the `initialize` response, next to a bare `python -c pass`,
a bare pygls server and jedi-language-server (a pygls server people hold up as clear),
all in the same run, interleaved.

Goal: byok-ls <= 1.10 x jedi-language-server. jedi-language-server is a benchmark-only
dependency: ``.venv/bin/pip install -e ".[bench]"`` (``benchmarks/run_all`` does it).

.venv/bin/python benchmarks/bench_startup.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.lsp.editor import frame, read_frame

from benchmarks.figures import emit


def bare_python() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


#: The smallest pygls server: what any Python language server pays before its own code.
BARE_PYGLS = "from pygls.lsp.server import LanguageServer; LanguageServer('bare', '0').start_io()"


def server_initialize(env: dict[str, str], command: list[str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        command or [sys.executable, "-m", "byok_ls", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    init = {"processId": os.getpid(), "capabilities": {}, "rootUri": None}
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
    proc.stdin.flush()
    answer = read_frame(proc.stdout)
    elapsed = time.perf_counter() - start
    assert answer.get("id") == 1 and "result" in answer, answer
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None}))
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
    proc.stdin.flush()
    proc.wait(timeout=10)
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            BYOK_LS_CONFIG_DIR=os.path.join(tmp, "config"),
            BYOK_LS_DATA_DIR=os.path.join(tmp, "data"),
            PYTHON_KEYRING_BACKEND="tests.support.keyrings.MemoryKeyring",
        )
        # Its console script, as an editor starts it (the same interpreter as byok-ls).
        jedi_script = Path(sys.executable).parent / "jedi-language-server"
        jedi_command = [sys.executable, str(jedi_script)]
        has_jedi = jedi_script.exists()
        # Warm the OS file cache and .pyc files of all three.
        server_initialize(env)
        server_initialize(env, [sys.executable, "-c", BARE_PYGLS])
        if has_jedi:
            server_initialize(env, jedi_command)
        bare: list[float] = []
        pygls: list[float] = []
        server: list[float] = []
        jedi: list[float] = []
        # Interleaved, so a change in the machine's load hits every server alike.
        for _ in range(runs):
            bare.append(bare_python())
            pygls.append(server_initialize(env, [sys.executable, "-c", BARE_PYGLS]))
            server.append(server_initialize(env))
            if has_jedi:
                jedi.append(server_initialize(env, jedi_command))
    b, p, s = statistics.median(bare), statistics.median(pygls), statistics.median(server)
    print(f"cold start, median of {runs}, interleaved")
    print(f"  python -c pass                     {b * 1000:8.1f} ms")
    print(f"  bare pygls server to initialize    {p * 1000:8.1f} ms")
    print(f"  byok-ls to initialize result       {s * 1000:8.1f} ms")
    print(f"  byok-ls minus bare pygls           {(s - p) * 1000:8.1f} ms")
    if jedi:
        j = statistics.median(jedi)
        print(f"  jedi-language-server to initialize {j * 1000:8.1f} ms")
        print(f"  byok-ls / jedi-language-server     {s / j:8.2f}   (goal <= 1.10)")
        emit(
            "start-up",
            "byok-ls to initialize result (median)",
            s * 1000,
            "ms",
            j * 1000,
            "jedi-language-server, same run",
        )
    else:
        print('  jedi-language-server: not installed (pip install -e ".[bench]")')
    emit(
        "start-up",
        "bare pygls server to initialize (median)",
        p * 1000,
        "ms",
        b * 1000,
        "python -c pass",
    )
    emit(
        "start-up",
        "byok-ls process start to initialize result (median)",
        s * 1000,
        "ms",
        p * 1000,
        "bare pygls server",
    )


if __name__ == "__main__":
    main()
