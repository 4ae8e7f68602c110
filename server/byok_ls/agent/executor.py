"""Runs one tool call: checks its arguments, asks the user where consent is needed, does it,
and announces each stage as a ``byok/agent/step``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from byok_ls.agent import files, search
from byok_ls.agent.commands import run_command
from byok_ls.agent.files import ToolError
from byok_ls.agent.host import Diagnostic, Edit, Editor
from byok_ls.errors import ByokError
from byok_ls.providers.types import ToolCall
from byok_ls.workspace import Workspace

Status = Literal["done", "rejected", "error"]
#: Most diagnostics answered by one get_diagnostics.
MAX_DIAGNOSTICS = 200


@dataclass(frozen=True)
class Outcome:
    status: Status
    result: str


class Rejected(Exception):
    """The user said no; the message tells the model so."""


@dataclass
class Executor:
    workspace: Workspace
    editor: Editor
    chat_id: str
    allow_commands: bool
    command_timeout_s: float

    async def run(self, step: int, call: ToolCall) -> Outcome:
        arguments, problem = _arguments(call.arguments)
        announced = {
            "chatId": self.chat_id,
            "step": step,
            "callId": call.id,
            "tool": call.name,
            "arguments": arguments,
        }
        self.editor.step({**announced, "status": "running"})
        outcome = await self._outcome(call.name, arguments, problem)
        self.editor.step({**announced, "status": outcome.status, "result": outcome.result})
        return outcome

    async def _outcome(self, tool: str, arguments: dict[str, Any], problem: str | None) -> Outcome:
        if problem is not None:
            return Outcome("error", problem)
        handler = self._handlers().get(tool)
        if handler is None:
            return Outcome("error", f"There is no tool named {tool!r}.")
        try:
            return Outcome("done", await handler(arguments))
        except Rejected as exc:
            return Outcome("rejected", str(exc))
        except (ToolError, ByokError) as exc:
            return Outcome("error", str(exc))

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[str]]]:
        return {
            "read_file": self._read_file,
            "list_dir": self._list_dir,
            "search_text": self._search_text,
            "get_diagnostics": self._diagnostics,
            "propose_edit": self._propose_edit,
            "create_file": self._create_file,
            "run_command": self._run_command,
        }

    # ---- reading ---------------------------------------------------------------------

    async def _read_file(self, args: dict[str, Any]) -> str:
        path = _string(args, "path")
        start, end = _line(args, "startLine"), _line(args, "endLine")
        return await asyncio.to_thread(
            files.read_file, self.workspace, self.editor.open_text, path, start, end
        )

    async def _list_dir(self, args: dict[str, Any]) -> str:
        path = _string(args, "path", default=".")
        return await asyncio.to_thread(files.list_dir, self.workspace, path)

    async def _search_text(self, args: dict[str, Any]) -> str:
        query = _string(args, "query")
        glob = _string(args, "glob", default="") or None
        return await search.search_text(self.workspace, query, glob)

    async def _diagnostics(self, args: dict[str, Any]) -> str:
        path = _string(args, "path", default="") or None
        real = self.workspace.readable(path, field="path") if path else None
        found = await self.editor.diagnostics(real)
        if found is None:
            raise ToolError("This editor does not share its diagnostics.")
        return self._render_diagnostics(found)

    def _render_diagnostics(self, found: list[Diagnostic]) -> str:
        shown = [d for d in found if not self.workspace.excluded(d.path)]
        if not shown:
            return "No problems."
        lines = [
            f"{self.workspace.relative(d.path)}:{d.line + 1}:{d.character + 1}: "
            f"{d.severity}: {d.message}" + (f" ({d.source})" if d.source else "")
            for d in shown[:MAX_DIAGNOSTICS]
        ]
        if len(shown) > MAX_DIAGNOSTICS:
            lines.append(f"... and {len(shown) - MAX_DIAGNOSTICS} more")
        return "\n".join(lines)

    # ---- changing --------------------------------------------------------------------

    async def _propose_edit(self, args: dict[str, Any]) -> str:
        path = _string(args, "path")
        old, new = _string(args, "oldText", empty=True), _string(args, "newText", empty=True)
        edit, diff = await asyncio.to_thread(
            files.prepare_edit, self.workspace, self.editor.open_text, path, old, new
        )
        return await self._consent_and_apply("propose_edit", args, edit, diff)

    async def _create_file(self, args: dict[str, Any]) -> str:
        path = _string(args, "path")
        content = _string(args, "content", empty=True)
        edit, diff = files.prepare_create(self.workspace, path, content)
        return await self._consent_and_apply("create_file", args, edit, diff)

    async def _consent_and_apply(
        self, tool: str, args: dict[str, Any], edit: Edit, diff: str
    ) -> str:
        asked = {"chatId": self.chat_id, "tool": tool, "arguments": args, "diff": diff}
        if not await self.editor.approve(asked):
            raise Rejected(
                "The user rejected this change; nothing was changed. Ask what they want "
                "instead, or try a different change."
            )
        failure = await self.editor.apply(edit)
        if failure is not None:
            raise ToolError(f"The editor could not apply the change: {failure}")
        what = "created" if edit.create else "changed"
        return f"The user accepted; {self.workspace.relative(edit.path)} was {what}."

    async def _run_command(self, args: dict[str, Any]) -> str:
        command = _string(args, "command")
        if not self.allow_commands:
            raise Rejected(
                "Running commands is turned off (setting agent.allowCommands); nothing ran."
            )
        folders = self.workspace.folders()
        if not folders:
            raise ToolError("No workspace folder is open to run the command in.")
        asked = {"chatId": self.chat_id, "tool": "run_command", "arguments": args}
        if not await self.editor.approve(asked):
            raise Rejected("The user did not allow this command; it did not run.")
        return await run_command(command, folders[0], self.command_timeout_s)


def _arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return {}, f"The arguments are not valid JSON ({exc.msg}); send a JSON object."
    if not isinstance(value, dict):
        return {}, "The arguments must be a JSON object."
    return value, None


def _string(
    args: dict[str, Any], name: str, *, default: str | None = None, empty: bool = False
) -> str:
    value = args.get(name, default)
    if value is None:
        raise ToolError(f"{name}: required")
    if not isinstance(value, str):
        raise ToolError(f"{name}: must be a string")
    if not value and not empty and default is None:
        raise ToolError(f"{name}: must not be empty")
    return value


def _line(args: dict[str, Any], name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolError(f"{name}: a line number from 1")
    return value
