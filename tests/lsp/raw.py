"""A minimal JSON-RPC client over the server's stdio that keeps every byte it receives.

Used where pytest-lsp's client is too polite: broken framing, SIGKILL, and reading the
server's complete output and log when checking that no key leaks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from typing import Any

from tests.lsp.conftest import server_env

#: Pass as ``params`` to send a request without a ``params`` member.
OMIT: Any = object()


class RawServer:
    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._killed = False

    async def start(self, env: dict[str, str] | None = None, initialize: bool = True) -> RawServer:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "byok_ls",
            "--stdio",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=server_env(env),
        )
        self._tasks = [
            asyncio.create_task(self._read_stdout()),
            asyncio.create_task(self._read_stderr()),
        ]
        if initialize:
            await self.request(
                "initialize", {"processId": os.getpid(), "capabilities": {}, "rootUri": None}
            )
            self.notify("initialized", {})
        return self

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.stderr.extend(chunk)

    async def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        reader = self.proc.stdout
        while True:
            length = None
            while True:
                line = await reader.readline()
                if not line:
                    return
                self.stdout.extend(line)
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            assert length is not None
            body = await reader.readexactly(length)
            self.stdout.extend(body)
            message = json.loads(body)
            self.messages.append(message)
            waiter = self._waiters.pop(message.get("id"), None) if "method" not in message else None
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def send_bytes(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(data)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request_nowait(self, method: str, params: Any) -> asyncio.Future[dict[str, Any]]:
        msg_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[msg_id] = future
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
        if params is OMIT:
            del message["params"]
        self.send(message)
        return future

    async def request(self, method: str, params: Any, timeout: float = 15) -> dict[str, Any]:
        """The whole response message (with ``result`` or ``error``)."""
        return await asyncio.wait_for(self.request_nowait(method, params), timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self._killed = True
            self.proc.send_signal(signal.SIGKILL)

    async def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None and not self._killed:
            try:
                await self.request("shutdown", None, timeout=5)
                self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), 5)
            except (TimeoutError, ConnectionError, BrokenPipeError):
                self.kill()
                await self.proc.wait()
        await self.proc.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)
