"""``byok-ls chat``: ask the active (or a given) chat model from the terminal.

The answer streams to stdout as it arrives; reasoning goes to stderr so that stdout is the
answer alone (pipe-friendly). ``--json`` prints one ChatResult object instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from byok_ls import api
from byok_ls.app import App
from byok_ls.chat import ChatEvent, ChatState, new_chat_id
from byok_ls.cli.common import verb
from byok_ls.cli.output import fail, fail_with
from byok_ls.errors import ByokError
from byok_ls.providers.types import ReasoningDelta, TextDelta

if TYPE_CHECKING:
    from byok_ls.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    chat = verb(
        sub, "chat", "ask the active chat model (prompt from the argument or stdin)", run_chat
    )
    chat.add_argument("prompt", nargs="?")
    chat.add_argument("--model", help="<provider id>/<model name>")
    chat.add_argument("--system")


class _Printer:
    """Writes deltas to the terminal as they come."""

    def __init__(self, out: TextIO, err: TextIO, quiet: bool) -> None:
        self.out = out
        self.err = err
        self.quiet = quiet
        self.thinking = False
        self.last = "\n"

    def __call__(self, event: ChatEvent) -> None:
        if self.quiet:
            return
        if isinstance(event, ReasoningDelta) and event.text:
            self.thinking = True
            self.err.write(event.text)
            self.err.flush()
        elif isinstance(event, TextDelta) and event.text:
            if self.thinking:
                self.err.write("\n")
                self.err.flush()
                self.thinking = False
            self.out.write(event.text)
            self.out.flush()
            self.last = event.text

    def finish(self, result: api.ChatResult) -> None:
        if self.thinking:
            self.err.write("\n")
        for call in result.tool_calls or ():
            self._line(f"[tool call {call.name}({call.arguments}) id={call.id}]")
        if self.last and not self.last.endswith("\n"):
            self.out.write("\n")
        self.out.flush()

    def _line(self, text: str) -> None:
        if self.last and not self.last.endswith("\n"):
            self.out.write("\n")
        self.out.write(text + "\n")
        self.last = "\n"


def _prompt(args: argparse.Namespace) -> str:
    if args.prompt is not None:
        return str(args.prompt)
    if sys.stdin.isatty():
        return ""
    return sys.stdin.read()


def _params(args: argparse.Namespace, prompt: str) -> api.ChatParams:
    messages: list[dict[str, Any]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})
    return api.ChatParams.model_validate(
        {"messages": messages, "model_id": args.model}, by_name=True
    )


async def _run(app: App, params: api.ChatParams, printer: _Printer) -> api.ChatResult:
    try:
        await asyncio.to_thread(app.open_ledger)
        app.store.reload_if_changed()
        state = ChatState(new_chat_id())
        result = await app.chat.run(params, state, printer)
        printer.finish(result)
        return result
    finally:
        await app.aclose()


def run_chat(app: App, args: argparse.Namespace) -> int:
    prompt = _prompt(args)
    if not prompt.strip():
        return fail('no prompt: give it as an argument (byok-ls chat "question") or on stdin', 2)
    params = _params(args, prompt)
    printer = _Printer(sys.stdout, sys.stderr, quiet=args.json)
    try:
        result = asyncio.run(_run(app, params, printer))
    except ByokError as exc:
        if not args.json:
            printer.out.flush()
            if not printer.last.endswith("\n"):
                sys.stdout.write("\n")
        return fail_with(exc)
    except KeyboardInterrupt:
        print("\nerror: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result.model_dump(mode="json", by_alias=True), ensure_ascii=False))
    return 0
