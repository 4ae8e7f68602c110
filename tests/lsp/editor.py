"""The editor driver of the LSP tests: start the real server, speak to it as an editor does,
and the small helpers the tests share. (Fixtures live in conftest.py; provider fakes in
tests/fakes/.)

- ``Session`` / ``start_session``: pytest-lsp's client on the real ``python -m byok_ls``.
- ``Shared``: one server per test module, a fresh provider per test.
- ``RawServer``: a byte-level JSON-RPC client for broken framing, SIGKILL and log checks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import pytest_asyncio
import yaml
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

from byok_ls.lsp.converter import raw_converter
from tests.fakes import FakeServer

# ---- the server process ------------------------------------------------------------------


@dataclass
class Session:
    """A started server plus what it sent us."""

    client: LanguageClient
    notifications: dict[str, list[Any]] = field(default_factory=dict)

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.client.protocol.send_request_async(method, params)

    async def error(self, method: str, params: Any = None) -> JsonRpcException:
        """Send a request that must fail; return the JSON-RPC error."""
        with pytest.raises(JsonRpcException) as info:
            await self.request(method, params)
        return info.value

    def received(self, method: str) -> list[Any]:
        return self.notifications.setdefault(method, [])


def capabilities() -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    # The presets predate LSP 3.18's inline completion.
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # server_env replaces the whole environment; start from ours (isolated by tests/conftest).
    env = dict(os.environ)
    env.update(extra or {})
    return env


async def start_session(
    env: dict[str, str] | None = None, workspace: Path | None = None
) -> Session:
    # Results and notifications of byok/* methods stay plain JSON, as an editor sees them.
    client = LanguageClient(converter_factory=raw_converter)
    register_lsp_features(client)
    session = Session(client)
    for method in (
        "byok/config/changed",
        "byok/chat/delta",
        "byok/usage/warning",
        "byok/agent/step",
    ):

        def record(params: Any, method: str = method) -> None:
            session.received(method).append(params)

        client.feature(method)(record)
    await client.start_io(sys.executable, "-m", "byok_ls", "--stdio", env=server_env(env))
    folders = []
    if workspace is not None:
        folders.append(types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            root_uri=workspace.as_uri() if workspace is not None else None,
            workspace_folders=folders,
        )
    )
    return session


async def stop_session(session: Session) -> None:
    try:
        await session.client.shutdown_session()
    finally:
        await session.client.stop()


# ---- keys, documents and requests --------------------------------------------------------

CHAT_KEY = "sk-test-ChatKey-0123456789abcdefWXYZ"


ANTHROPIC_KEY = "sk-ant-test.ChatKey.0123456789.abcdefWXYZ"


async def use_model(
    lsp: Session,
    fake: FakeServer,
    model: dict[str, Any],
    *,
    template: str = "custom",
    provider_id: str | None = None,
    key: str | None = CHAT_KEY,
    task: str = "chat",
) -> str:
    """Add a provider pointing at ``fake`` with one model and make that model active."""
    params: dict[str, Any] = {"template": template, "baseUrl": fake.api_base}
    if provider_id is not None:
        params["id"] = provider_id
    if key is not None:
        params["apiKey"] = key
        fake.expect_key = key
    provider = (await lsp.request("byok/providers/add", params))["provider"]
    pid = provider["id"]
    known = {(m["name"], m["task"]) for m in provider["models"]}
    spec = {"task": task, **model}
    if (spec["name"], task) in known:
        patch = {k: v for k, v in spec.items() if k not in ("name", "task")}
        await lsp.request(
            "byok/models/update",
            {"providerId": pid, "name": spec["name"], "task": task, "model": patch},
        )
    else:
        await lsp.request("byok/models/add", {"providerId": pid, "model": spec})
    model_id = f"{pid}/{spec['name']}"
    await lsp.request("byok/active/set", {"task": task, "modelId": model_id})
    return model_id


def deltas(lsp: Session, chat_id: str) -> list[dict[str, Any]]:
    return [d for d in lsp.received("byok/chat/delta") if d["chatId"] == chat_id]


def joined(items: list[dict[str, Any]], field: str) -> str:
    return "".join(d[field] for d in items if d.get(field))


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def assert_clean_error(err: JsonRpcException, kind: str, provider_name: str, *secrets: str) -> None:
    """The error has the right kind, names the provider and leaks no key."""
    assert err.data is not None, err
    assert err.data["kind"] == kind, (err.data, err.message)
    assert provider_name in err.message, err.message
    for secret in secrets:
        assert secret not in err.message
        assert secret not in repr(err.data)


OPENAI_KEY = "sk-test-usageOpenAI-0123456789abcdWXYZ"


DEEPSEEK_KEY = "sk-test-usageDeepSeek-0123456789abQRST"


# gpt-4o-mini's prices in the openai template, USD per million tokens.
MINI_IN, MINI_OUT = 0.15, 0.6


# gpt-3.5-turbo-instruct's prices in the openai template.
INSTRUCT_IN, INSTRUCT_OUT = 1.5, 2.0


# deepseek-chat's prices in the deepseek template.
DEEPSEEK_IN, DEEPSEEK_OUT = 0.28, 0.42


DOC_URI = "file:///work/project/main.py"


DOC_TEXT = "def add(a, b):\n    \n"


async def start(env: dict[str, str] | None = None) -> Session:
    """A real server that never tries to download a tokenizer (counts are then estimates)."""
    return await start_session({"HF_HUB_OFFLINE": "1", **(env or {})})


def cost(input_tokens: int, output_tokens: int, price_in: float, price_out: float) -> float:
    return (input_tokens * price_in + output_tokens * price_out) / 1e6


async def add_openai(session: Session, fake: FakeServer, **extra: Any) -> None:
    await session.request(
        "byok/providers/add",
        {"template": "openai", "baseUrl": fake.api_base, "apiKey": OPENAI_KEY, **extra},
    )


async def add_deepseek(session: Session, fake: FakeServer) -> None:
    await session.request(
        "byok/providers/add",
        {"template": "deepseek", "baseUrl": fake.api_base, "apiKey": DEEPSEEK_KEY},
    )


async def chat(session: Session, text: str = "Say hello.", **extra: Any) -> Any:
    return await session.request(
        "byok/chat", {"messages": [{"role": "user", "content": text}], **extra}
    )


def generation_requests(fake: FakeServer) -> list[Any]:
    """Requests that asked the fake for text (not model listings or control calls)."""
    return [r for r in fake.requests if r.path.endswith(("/chat/completions", "/completions"))]


def shown(session: Session, needle: str) -> list[str]:
    """window/showMessage texts received so far that contain ``needle``."""
    return [m.message for m in session.client.messages if needle in m.message]


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def row_for(report: Any, **match: str) -> Any:
    rows = [r for r in report["rows"] if all(r.get(k) == v for k, v in match.items())]
    assert len(rows) == 1, (match, report["rows"])
    return rows[0]


#: A recognisable key: every test that uses it checks it never shows up where it must not.
FAULT_KEY = "sk-test-Hardening-Q7xV2mZ9pL4wK8rT-WXYZ"


CHAT_MODEL = "openai/gpt-4o-mini"


COMPLETION_MODEL = "openai/gpt-3.5-turbo-instruct"


async def use_openai(session: Session, fake: FakeServer, key: str = FAULT_KEY) -> None:
    """The openai template pointed at ``fake``, active for chat and completion."""
    fake.expect_key = key
    await session.request(
        "byok/providers/add", {"template": "openai", "baseUrl": fake.api_base, "apiKey": key}
    )
    await session.request("byok/active/set", {"task": "chat", "modelId": CHAT_MODEL})
    await session.request("byok/active/set", {"task": "completion", "modelId": COMPLETION_MODEL})


def server_pid(session: Session) -> int:
    process = session.client._server
    assert process is not None
    return process.pid


def slope_per_1000(samples: list[tuple[int, int]]) -> float:
    """Least-squares growth of ``(requests done, RSS KiB)`` samples, KiB per 1,000 requests."""
    n = len(samples)
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in samples)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    return 1000 * sxy / sxx if sxx else 0.0


def frame(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message with its LSP header."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_frame(stream: IO[bytes]) -> Any:
    """The next JSON-RPC message from a blocking stream (a server process's stdout)."""
    length = 0
    while line := stream.readline():
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
        elif line in (b"\r\n", b"\n"):
            break
    return json.loads(stream.read(length))


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (psutil is not a dependency)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def files_containing(secret: str, *roots: Path) -> list[Path]:
    """Every file under ``roots`` whose bytes contain ``secret``."""
    needle = secret.encode()
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


def write_settings(config_dir: Path, **settings: Any) -> None:
    """Set ``settings`` in config.yaml, as a hand edit does (a fresh file if there is none;
    a running server picks the change up on its next call)."""
    path = config_dir / "config.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    data = data or {"version": 1}
    data.setdefault("settings", {}).update(settings)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def open_document(
    session: Session, text: str = DOC_TEXT, uri: str = DOC_URI, version: int = 1
) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


async def complete(session: Session, line: int = 1, character: int = 4, uri: str = DOC_URI) -> Any:
    return await session.request(
        "byok/complete",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )


def data(err: JsonRpcException) -> dict[str, Any]:
    """The ``error.data`` object of a domain error."""
    assert isinstance(err.data, dict), err
    return err.data


# ---- one server per module --------------------------------------------------------------

WIRE_KEY = "sk-wire-0123456789abcdefWXYZ"


def server_dirs(root: Path) -> dict[str, Path]:
    dirs = {name: root / name for name in ("config", "data", "cache")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


def server_env_for(dirs: dict[str, Path], extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "BYOK_LS_CONFIG_DIR": str(dirs["config"]),
        "BYOK_LS_DATA_DIR": str(dirs["data"]),
        "BYOK_LS_CACHE_DIR": str(dirs["cache"]),
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.MemoryKeyring",
        # Template tokenizers are hf:// specs: never try to download them here.
        "HF_HUB_OFFLINE": "1",
    }
    env.update(extra or {})
    return env


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Shared:
    session: Session
    dirs: dict[str, Path]
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    added: list[str] = field(default_factory=list)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.session.request(method, params)

    async def error(self, method: str, params: Any = None) -> Any:
        return await self.session.error(method, params)

    async def add(
        self,
        template: str,
        base_url: str,
        *,
        key: str | None = WIRE_KEY,
        key_env: str | None = None,
        models: list[dict[str, Any]] = (),  # type: ignore[assignment]
        **extra: Any,
    ) -> str:
        """Add a provider from ``template`` at ``base_url``; returns its (fresh) id."""
        provider_id = self.new_id(template.replace("_", "-"))
        params: dict[str, Any] = {"template": template, "id": provider_id, "baseUrl": base_url}
        if key is not None:
            params["apiKey"] = key
        if key_env is not None:
            params["apiKeyEnv"] = key_env
        params.update(extra)
        await self.request("byok/providers/add", params)
        self.added.append(provider_id)
        for model in models:
            await self.request("byok/models/add", {"providerId": provider_id, "model": model})
        return provider_id

    async def forget(self) -> None:
        """Remove the providers added so far: every save rewrites the whole config, so a
        config that grows with each test makes every later test slower."""
        while self.added:
            await self.request("byok/providers/remove", {"id": self.added.pop()})

    async def add_fake(self, template: str, fake: FakeServer, **kw: Any) -> str:
        return await self.add(template, fake.api_base, **kw)

    async def chat(self, model_id: str, text: str = "Say hello.", **extra: Any) -> Any:
        params = {"messages": [{"role": "user", "content": text}], "modelId": model_id, **extra}
        return await self.request("byok/chat", params)

    async def chat_error(self, model_id: str, text: str = "Say hello.") -> Any:
        params = {"messages": [{"role": "user", "content": text}], "modelId": model_id}
        return await self.error("byok/chat", params)

    def deltas(self, chat_id: str) -> list[dict[str, Any]]:
        return [d for d in self.session.received("byok/chat/delta") if d["chatId"] == chat_id]

    async def complete(self, model_id: str, before: str, after: str = "\n") -> Any:
        """Open a document with the cursor between ``before`` and ``after`` and complete."""
        uri = f"file:///work/{self.new_id('doc')}.py"
        self.session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=before + after
                )
            )
        )
        lines = before.split("\n")
        position = {"line": len(lines) - 1, "character": len(lines[-1])}
        return await self.request(
            "byok/complete",
            {"textDocument": {"uri": uri}, "position": position, "modelId": model_id},
        )


async def shared_server(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Shared]:
    dirs = server_dirs(tmp_path_factory.mktemp(name))
    if settings:
        write_settings(dirs["config"], **settings)
    session = await start_session(server_env_for(dirs, env))
    try:
        yield Shared(session, dirs)
    finally:
        await stop_session(session)


# Test modules declare ``server`` (module scope) with this, and ``srv`` (per test, cleans
# up the test's providers) with ``each_test``.
module_fixture = pytest_asyncio.fixture(scope="module", loop_scope="module")


each_test = pytest_asyncio.fixture(loop_scope="module")


async def per_test(server: Shared) -> AsyncIterator[Shared]:
    yield server
    await server.forget()


# ---- bytes on the wire ------------------------------------------------------------------

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
        self.send_bytes(frame(message))

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
