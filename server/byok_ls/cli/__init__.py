"""``byok-ls``: the language server (stdio or TCP) and a command line over the same services.

Each verb is one function in the module of its noun (``providers.py``, ``models.py``,
``chat.py``, ``usage.py``), bound to its subcommand with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from byok_ls import __version__

INTRO = """\
byok-ls {version} — a language server that routes inline completion and chat to the LLM
provider and model you choose, with your own API keys.

It speaks the Language Server Protocol on stdin/stdout, so it is normally started by your
editor (VS Code extension, Neovim, Helix, Emacs, Zed), not by hand:

  byok-ls --stdio              serve LSP on stdin/stdout
  byok-ls --tcp 127.0.0.1:2087 serve LSP on a TCP port

Configure providers and models from the command line:

  byok-ls templates                           provider templates you can add
  byok-ls providers add openai --key-env OPENAI_API_KEY
  byok-ls providers add anthropic             (asks for the key without echoing it)
  byok-ls providers list
  byok-ls active chat openai/gpt-4o           make a model active for a task
  byok-ls chat "What does this regex do: ^a+$"

Run `byok-ls --help` for every command.
"""


def _server_options(root: argparse.ArgumentParser) -> argparse.ArgumentParser:
    root.add_argument("--stdio", action="store_true", help="serve LSP on stdin/stdout")
    root.add_argument("--tcp", metavar="HOST:PORT", help="serve LSP on a TCP port")
    root.add_argument(
        "--log-level",
        default=os.environ.get("BYOK_LS_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
    )
    return root


def _as_server(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options of ``byok-ls --stdio`` / ``--tcp``, or None for anything else.

    An editor starting the server should not wait for the command line's subcommands, whose
    modules load every service (a third of the time to ``initialize``).
    """
    options, rest = _server_options(argparse.ArgumentParser(add_help=False)).parse_known_args(argv)
    return options if not rest and (options.stdio or options.tcp) else None


def parser() -> argparse.ArgumentParser:
    from byok_ls.cli import chat, models, providers, usage

    root = argparse.ArgumentParser(
        prog="byok-ls", description="Bring your own LLM keys into any editor."
    )
    root.add_argument("--version", action="version", version=f"byok-ls {__version__}")
    _server_options(root)
    sub = root.add_subparsers(dest="command")
    for module in (providers, models, chat, usage):
        module.register(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    server = _as_server(sys.argv[1:] if argv is None else argv)
    args = server or parser().parse_args(argv)
    if server is not None:
        args.command = None
    if args.command is None:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            return serve(args.log_level, tcp=(host or "127.0.0.1", int(port)))
        if not args.stdio and sys.stdin.isatty():
            print(INTRO.format(version=__version__))
            return 0
        return serve(args.log_level)

    from pydantic import ValidationError

    from byok_ls.app import App
    from byok_ls.cli.output import fail_with
    from byok_ls.errors import ByokError
    from byok_ls.validation import invalid_from

    try:
        code: int = args.func(App(), args)
    except ByokError as exc:
        return fail_with(exc)
    except ValidationError as exc:
        return fail_with(invalid_from(exc), 2)
    return code


def serve(log_level: str, tcp: tuple[str, int] | None = None) -> int:
    from byok_ls.lsp import logs
    from byok_ls.lsp.server import build

    logs.setup(log_level)
    server = build()
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
    return server.exit_code


if __name__ == "__main__":
    sys.exit(main())
