"""The editor side of agent mode over LSP: step notifications, approval and diagnostics
requests to the client, and accepted edits as ``workspace/applyEdit``.

``byok/agent/diagnostics`` ``{uri?}`` -> ``{diagnostics: [{uri, range, severity, message,
source?}]}`` is how the server asks for the problems the editor shows (its other language
servers' diagnostics are known only to the client); a client without it answers
MethodNotFound and the tool says so to the model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from byok_ls.agent.host import Diagnostic, Edit
from byok_ls.completion.document import position_of
from byok_ls.lsp.converter import field_of
from byok_ls.workspace import uri_to_path

if TYPE_CHECKING:
    from byok_ls.lsp.server import ByokServer

log = logging.getLogger(__name__)

STEP = "byok/agent/step"
APPROVE = "byok/agent/approve"
DIAGNOSTICS = "byok/agent/diagnostics"
_SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


class LspEditor:
    def __init__(self, server: ByokServer) -> None:
        self.server = server

    def open_text(self, path: Path) -> str | None:
        return self.server.open_text(path)

    @property
    def allow_commands(self) -> bool | None:
        return self.server.client_settings.allow_commands

    def step(self, payload: dict[str, Any]) -> None:
        self.server.notify(STEP, payload)

    async def _ask(self, method: str, params: dict[str, Any]) -> Any:
        return await self.server.protocol.send_request_async(method, params)

    async def approve(self, payload: dict[str, Any]) -> bool:
        try:
            answer = await self._ask(APPROVE, payload)
        except JsonRpcException as exc:
            log.warning("the client could not ask for approval (%s): taken as a no", exc)
            return False
        return isinstance(answer, dict) and answer.get("approved") is True

    def _uri(self, path: Path) -> str:
        # The client's own spelling of an open document's URI, so the edit lands in it.
        return self.server.open_uri(path) or path.as_uri()

    async def apply(self, edit: Edit) -> str | None:
        uri = self._uri(edit.path)
        encoding = self.server.position_encoding()

        def position(offset: int) -> dict[str, int]:
            line, character = position_of(edit.base, offset, encoding)
            return {"line": line, "character": character}

        text_edit = {
            "range": {"start": position(edit.start), "end": position(edit.end)},
            "newText": edit.new_text,
        }
        if edit.create:
            workspace_edit: dict[str, Any] = {
                "documentChanges": [
                    {"kind": "create", "uri": uri, "options": {"overwrite": False}},
                    {"textDocument": {"uri": uri, "version": None}, "edits": [text_edit]},
                ]
            }
        else:
            workspace_edit = {"changes": {uri: [text_edit]}}
        label = f"byok-ls agent: {edit.path.name}"
        # pygls sends standard methods only as lsprotocol objects.
        params = self.server.protocol._converter.structure(
            {"label": label, "edit": workspace_edit}, types.ApplyWorkspaceEditParams
        )
        try:
            answer = await self.server.protocol.send_request_async(
                types.WORKSPACE_APPLY_EDIT, params
            )
        except JsonRpcException as exc:
            return f"the editor refused workspace/applyEdit ({exc})"
        applied = field_of(answer, "applied")
        if applied is True:
            return None
        reason = field_of(answer, "failureReason") or field_of(answer, "failure_reason")
        return str(reason or "the editor did not apply it")

    async def diagnostics(self, path: Path | None) -> list[Diagnostic] | None:
        params = {"uri": self._uri(path)} if path is not None else {}
        try:
            answer = await self._ask(DIAGNOSTICS, params)
        except JsonRpcException as exc:
            log.info("the client shares no diagnostics (%s)", exc)
            return None
        found: list[Diagnostic] = []
        items = answer.get("diagnostics") if isinstance(answer, dict) else None
        for item in items if isinstance(items, list) else []:
            try:
                where = uri_to_path(item["uri"])
                start = item["range"]["start"]
                if where is None:
                    continue
                found.append(
                    Diagnostic(
                        where.resolve(),
                        int(start["line"]),
                        int(start["character"]),
                        _SEVERITY.get(item.get("severity", 1), "error"),
                        str(item["message"]),
                        item.get("source"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue  # a malformed entry is skipped, not fatal
        return found
