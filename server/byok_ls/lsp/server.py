"""The language server: wiring only. Each handler validates, calls a service, converts.

Start-up imports only what answering ``initialize`` needs (pygls and lsprotocol); the
services, the pydantic models of the ``byok/*`` methods and the configuration load right
after it (``initialized``) or on the first request, whichever comes first.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from byok_ls import __version__
from byok_ls.errors import ByokError, ErrorKind, scrub
from byok_ls.lsp.converter import field_of, raw_converter
from byok_ls.lsp.monitor import LagMonitor
from byok_ls.lsp.names import METHOD_NAMES, command_of
from byok_ls.lsp.protocol import ByokProtocol
from byok_ls.paths import CONFIG_FILE, config_dir, file_signature

if TYPE_CHECKING:
    from byok_ls.app import App
    from byok_ls.lsp.agent import LspEditor
    from byok_ls.lsp.methods import Method

log = logging.getLogger(__name__)

CONFIG_CHANGED = "byok/config/changed"
#: How often the config file is checked for edits by hand or by another window's server.
WATCH_INTERVAL_S = 0.5


@dataclass
class ClientSettings:
    """Settings the editor sends (``initializationOptions``, then
    ``workspace/didChangeConfiguration`` under ``byok``); None = not sent, the config
    file decides."""

    allow_commands: bool | None = None

    def update(self, options: Any) -> None:
        """Take ``{agent: {allowCommands}}`` from whatever the client sent."""
        agent = field_of(options, "agent")
        value = field_of(agent, "allowCommands")
        if isinstance(value, bool):
            self.allow_commands = value


class ByokServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "byok-ls", __version__, converter_factory=raw_converter, protocol_cls=ByokProtocol
        )
        #: The process exit code: 1 when the client sent exit without shutdown first.
        self.exit_code = 0
        self._watcher: asyncio.Task[None] | None = None
        self._reported_problem: str | None = None
        self._announced_generation = -1
        #: The config file as it was when the process started: an edit made before the
        #: services load (a client that writes it right after initialize) is announced too.
        self._config_at_start = file_signature(config_dir() / CONFIG_FILE)
        #: Event-loop lag, measured only when BYOK_LS_LOOP_MONITOR=1 (see lsp/monitor.py).
        self.loop_monitor = LagMonitor() if LagMonitor.enabled() else None
        self.client_settings = ClientSettings()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio loop, with the framing-tolerant reader of lsp/framing.py."""
        from byok_ls.lsp.framing import Transport

        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        transport = Transport(self.protocol, stdin or sys.stdin.buffer)
        try:
            asyncio.run(transport.run(self._stop_event))
        except BrokenPipeError:
            log.error("Connection to the client is lost! Shutting down the server.")
        except SystemExit as exc:
            # pygls exits 1 for an exit without shutdown (LSP): keep that for the caller.
            self.exit_code = exc.code if isinstance(exc.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    @cached_property
    def app(self) -> App:
        """The services, built after ``initialize`` was answered (see the module docstring)."""
        from byok_ls.app import App

        app = App(notice=self._notice, workspace_roots=self._roots)
        unchanged = app.store.signature == self._config_at_start
        # -1: the watcher announces the config at its next look.
        self._announced_generation = app.store.generation if unchanged else -1
        return app

    # ---- Ctx -------------------------------------------------------------------------

    def notify(self, method: str, payload: dict[str, Any]) -> None:
        self.protocol.notify(method, payload)

    def show(self, kind: types.MessageType, message: str) -> None:
        from byok_ls.secrets import known_keys

        # Notices quote provider errors too; the same last line of defence as answers.
        message = scrub(message, *known_keys())
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def _notice(self, level: str, message: str) -> None:
        kinds = {"error": types.MessageType.Error, "warning": types.MessageType.Warning}
        self.show(kinds.get(level, types.MessageType.Info), message)

    def _roots(self) -> list[Path]:
        # Imported here: the workspace rules load pathspec, which start-up does not need.
        from byok_ls.workspace import uri_to_path

        roots = []
        for folder in self.workspace.folders.values():
            path = uri_to_path(folder.uri)
            if path is not None:
                roots.append(path)
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def position_encoding(self) -> str:
        # Positions count units of the encoding negotiated at initialize, as LSP says.
        return str(self.workspace.position_encoding or "utf-16")

    def loop_lag_max_ms(self) -> float | None:
        return self.loop_monitor.take_max_ms() if self.loop_monitor is not None else None

    def document(self, uri: str) -> tuple[str, str]:
        if uri not in self.workspace.text_documents:
            raise ByokError(
                ErrorKind.NOT_FOUND,
                "textDocument.uri: the document is not open (send textDocument/didOpen first)",
                field="textDocument.uri",
            )
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.language_id or ""

    def editor(self) -> LspEditor:
        from byok_ls.lsp.agent import LspEditor

        return LspEditor(self)

    def open_uri(self, path: Path) -> str | None:
        """The URI, as the client spells it, of the open document at ``path``."""
        from byok_ls.workspace import uri_to_path

        for uri in self.workspace.text_documents:
            opened = uri_to_path(uri)
            if opened is not None and (opened == path or opened.resolve() == path):
                return str(uri)
        return None

    def open_text(self, path: Path) -> str | None:
        uri = self.open_uri(path)
        return None if uri is None else str(self.workspace.get_text_document(uri).source)

    # ---- config watching ---------------------------------------------------------------

    def config_changed(self) -> None:
        from byok_ls import api

        self._announced_generation = self.app.store.generation
        changed = api.ConfigChanged(revision=self.app.store.config.revision)
        self.notify(CONFIG_CHANGED, changed.model_dump(mode="json", by_alias=True))

    def report_problem(self) -> None:
        problem = self.app.store.problem
        text = str(problem) if problem else None
        if text and text != self._reported_problem:
            self.show(
                types.MessageType.Error,
                f"byok-ls: the configuration file is broken ({text}). "
                "The last good configuration stays in use until it is fixed.",
            )
        self._reported_problem = text

    async def watch_config(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                await asyncio.to_thread(self.app.store.reload_if_changed)
            except Exception:
                log.exception("checking the configuration file failed")
                continue
            if self.app.store.generation != self._announced_generation:
                self.report_problem()
                if self.app.store.problem is None:
                    self.config_changed()
                else:
                    self._announced_generation = self.app.store.generation

    def start_watching(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self.watch_config())


async def call(server: ByokServer, method: Method[Any, Any], raw: Any) -> Any:
    """Validate ``raw`` params, run the operation, and return camelCase JSON."""
    from pydantic import ValidationError

    from byok_ls.lsp.errors import from_byok, from_validation
    from byok_ls.lsp.params import named, refuse_lone_surrogates

    try:
        refuse_lone_surrogates(raw)
        params = method.params.model_validate(
            named(method.name, method.params, raw), by_alias=True, by_name=False
        )
    except ValidationError as exc:
        raise from_validation(exc) from None
    except ByokError as exc:
        raise from_byok(exc) from None
    try:
        result = await method.handler(server, params)
    except ByokError as exc:
        if method.mutates:
            server.report_problem()
        raise from_byok(exc) from None
    except JsonRpcException:
        raise
    if method.mutates:
        server.config_changed()
    return result.model_dump(mode="json", by_alias=True)


def build() -> ByokServer:
    server = ByokServer()

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.client_settings.update(params.initialization_options)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        server.client_settings.update(field_of(params.settings, "byok"))

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        server.report_problem()
        server.start_watching()
        if server.loop_monitor is not None:
            server.loop_monitor.start()
        # After the initialize answer, so opening the usage database never delays start-up.
        await asyncio.to_thread(server.app.open_ledger)

    @server.feature(types.SHUTDOWN)
    async def shutdown(params: None) -> None:
        await server.app.aclose()

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        params: types.InlineCompletionParams,
    ) -> types.InlineCompletionList | None:
        return await inline(server, params)

    for name in METHOD_NAMES:
        _bind(server, name)
    return server


async def inline(
    server: ByokServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    from byok_ls.lsp import features
    from byok_ls.lsp.errors import from_byok

    uri, pos = params.text_document.uri, params.position
    try:
        answer = await features.complete_at(server, uri, pos.line, pos.character)
    except ByokError as exc:
        raise from_byok(exc) from None
    if not answer.text:
        return types.InlineCompletionList(items=[])
    here = types.Range(start=pos, end=pos)
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=answer.text, range=here)]
    )


def _bind(server: ByokServer, name: str) -> None:
    def method() -> Method[Any, Any]:
        from byok_ls.lsp.methods import by_name

        return by_name(name)

    async def handler(params: Any) -> Any:
        return await call(server, method(), params)

    async def command(*args: Any) -> Any:
        return await call(server, method(), args[0] if args else None)

    server.feature(name)(handler)
    server.command(command_of(name))(command)
