"""Pieces every verb module uses: the subcommand helper, the key prompt, async verbs."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeAlias

from byok_ls.app import App

if TYPE_CHECKING:
    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

Verb = Callable[[App, argparse.Namespace], int]


def verb(
    parent: SubParsers,
    name: str,
    help_text: str,
    func: Verb,
) -> argparse.ArgumentParser:
    """A subcommand that runs ``func`` and takes ``--json``."""
    parser = parent.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=func)
    return parser


def ask_secret(prompt: str) -> str:
    """Hidden input in a terminal; one line from stdin when piped (scripts, tests)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass(prompt).strip()


def run_async(app: App, work: Coroutine[Any, Any, int]) -> int:
    async def closing() -> int:
        try:
            return await work
        finally:
            await app.aclose()

    return asyncio.run(closing())
