"""``byok-ls``: the language server (stdio or TCP) and a command line over the same services."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from byok_ls import __version__, api

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="byok-ls", description="Bring your own LLM keys into any editor."
    )
    parser.add_argument("--version", action="version", version=f"byok-ls {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve LSP on stdin/stdout")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve LSP on a TCP port")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("BYOK_LS_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
    )
    sub = parser.add_subparsers(dest="command")

    def cmd(name: str, help_text: str, parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    cmd("templates", "list provider templates")

    providers = sub.add_parser("providers", help="configure providers").add_subparsers(
        dest="action", required=True
    )
    cmd("list", "list configured providers", providers)
    add = cmd("add", "add a provider from a template", providers)
    add.add_argument("template")
    add.add_argument("--id")
    add.add_argument("--name")
    add.add_argument("--base-url")
    add.add_argument("--key-env", help="read the key from this environment variable")
    add.add_argument(
        "--key", help="the key itself (ends up in your shell history; prefer the prompt)"
    )
    add.add_argument("--no-key", action="store_true", help="do not ask for a key")
    add.add_argument("--disabled", action="store_true")
    add.add_argument("--allow-insecure-http", action="store_true")
    upd = cmd("update", "change a provider", providers)
    upd.add_argument("id")
    upd.add_argument("--name")
    upd.add_argument("--base-url")
    upd.add_argument("--key-env")
    upd.add_argument("--key", help="the key itself (ends up in your shell history)")
    upd.add_argument("--ask-key", action="store_true", help="ask for a new key without echoing it")
    upd.add_argument("--delete-key", action="store_true")
    upd.add_argument("--enable", dest="enabled", action="store_const", const=True)
    upd.add_argument("--disable", dest="enabled", action="store_const", const=False)
    rm = cmd("remove", "remove a provider and its stored key", providers)
    rm.add_argument("id")
    for name, text in (
        ("test", "check a provider's key and reachability"),
        ("discover", "list a provider's models"),
    ):
        p = cmd(name, text, providers)
        p.add_argument("id")
    cmd("detect", "find local model servers (Ollama, LM Studio, llama.cpp, vLLM)", providers)

    models = sub.add_parser("models", help="configure a provider's models").add_subparsers(
        dest="action", required=True
    )
    madd = cmd("add", "add a model to a provider", models)
    madd.add_argument("provider_id")
    madd.add_argument("name")
    madd.add_argument("--task", default="chat", choices=["chat", "completion", "embeddings"])
    madd.add_argument("--n-ctx", type=int)
    madd.add_argument("--tokenizer")
    madd.add_argument("--temperature", type=float)
    madd.add_argument("--reasoning", choices=["none", "openai", "anthropic", "deepseek"])
    madd.add_argument("--fim", help="native | chat | template:<family>")
    madd.add_argument(
        "--capability",
        action="append",
        default=[],
        choices=["tools", "multimodality", "clicks", "agent"],
    )
    mrm = cmd("remove", "remove a model", models)
    mrm.add_argument("provider_id")
    mrm.add_argument("name")
    mrm.add_argument("--task", default="chat", choices=["chat", "completion", "embeddings"])

    active = cmd("active", "show or set the active model per task")
    active.add_argument("task", nargs="?", choices=["chat", "completion", "embeddings"])
    active.add_argument("model", nargs="?", help="<provider id>/<model name>, or 'none'")

    chat = cmd("chat", "ask the active chat model (prompt from the argument or stdin)")
    chat.add_argument("prompt", nargs="?")
    chat.add_argument("--model", help="<provider id>/<model name>")
    chat.add_argument("--system")

    usage = cmd("usage", "what you spent, per provider and model")
    usage.add_argument("--since", help="YYYY-MM-DD")
    usage.add_argument("--group-by", default="provider,model,task")
    return parser


def _print(
    result: BaseModel | dict[str, Any], as_json: bool, table: Callable[[Any], str] | None = None
) -> None:
    data = (
        result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result
    )
    if as_json or table is None:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(table(result))


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=False))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _providers_table(result: api.ProvidersResult) -> str:
    if not result.providers:
        return (
            "No providers yet. Add one: byok-ls providers add <template>  (see: byok-ls templates)"
        )
    rows = [
        (
            p.id,
            p.name,
            "yes" if p.enabled else "no",
            p.base_url,
            f"{p.key.hint} ({p.key.source})" if p.key.present else "-",
            str(len(p.models)),
        )
        for p in result.providers
    ]
    return _table(rows, ("ID", "NAME", "ENABLED", "BASE URL", "KEY", "MODELS"))


def _provider_line(result: api.ProviderResult) -> str:
    p = result.provider
    key = f"key {p.key.hint} in {p.key.source}" if p.key.present else "no key"
    return f"{p.id}: {p.name} at {p.base_url} ({key}, {len(p.models)} models)"


def _active_table(result: api.ActiveResult) -> str:
    rows = [
        (task, getattr(result, task) or "-", ", ".join(getattr(result.fallbacks, task)) or "-")
        for task in ("chat", "completion", "embeddings")
    ]
    return _table(rows, ("TASK", "ACTIVE", "FALLBACKS"))


def _templates_table(result: api.TemplatesResult) -> str:
    rows = [
        (t.id, t.name, t.wire_format, "yes" if t.needs_key else "no", t.key_env or "-", t.base_url)
        for t in result.templates
    ]
    return _table(rows, ("ID", "NAME", "FORMAT", "KEY", "KEY ENV", "BASE URL"))


def _ask_key(prompt: str) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().strip()
        return line
    return getpass.getpass(prompt)


def _run_command(args: argparse.Namespace) -> int:
    from byok_ls.app import App

    app = App()
    svc = app.config
    as_json = bool(getattr(args, "json", False))

    if args.command == "templates":
        _print(svc.templates_list(), as_json, _templates_table)
    elif args.command == "providers":
        if args.action == "list":
            _print(svc.providers_list(), as_json, _providers_table)
        elif args.action == "add":
            from byok_ls.config.catalog import get_template

            key = args.key
            template = get_template(args.template)
            if key is None and args.key_env is None and not args.no_key and template.needs_key:
                key = (
                    _ask_key(f"API key for {template.name} (input hidden, empty for none): ")
                    or None
                )
            params = api.ProviderAddParams(
                template=args.template,
                id=args.id,
                name=args.name,
                base_url=args.base_url,
                api_key=key,
                api_key_env=args.key_env,
                enabled=not args.disabled,
                allow_insecure_http=args.allow_insecure_http,
            )
            _print(svc.provider_add(params), as_json, _provider_line)
        elif args.action == "update":
            key = args.key
            if args.ask_key:
                key = _ask_key("New API key (input hidden): ")
            if args.delete_key:
                key = ""
            fields = {
                "name": args.name,
                "base_url": args.base_url,
                "api_key": key,
                "api_key_env": args.key_env,
                "enabled": args.enabled,
            }
            update = api.ProviderUpdateParams(
                id=args.id, **{k: v for k, v in fields.items() if v is not None}
            )
            _print(svc.provider_update(update), as_json, _provider_line)
        elif args.action == "remove":
            svc.provider_remove(api.ProviderIdParams(id=args.id))
            _print({"removed": True}, as_json, lambda _: f"Removed {args.id} and its stored key.")
        else:
            from byok_ls import cli_net

            return cli_net.run(app, args)
    elif args.command == "models":
        if args.action == "add":
            model: dict[str, Any] = {"name": args.name, "task": args.task}
            for key, value in (
                ("n_ctx", args.n_ctx),
                ("tokenizer", args.tokenizer),
                ("default_temperature", args.temperature),
                ("reasoning_style", args.reasoning),
                ("fim", args.fim),
            ):
                if value is not None:
                    model[key] = value
            if args.capability:
                model["capabilities"] = {c: True for c in args.capability}
            params_add = api.ModelAddParams.model_validate(
                {"provider_id": args.provider_id, "model": model}, by_name=True
            )
            result = svc.model_add(params_add)
            _print(
                result,
                as_json,
                lambda r: f"Added {args.task} model {r.model.name} to {args.provider_id}.",
            )
        else:
            svc.model_remove(
                api.ModelRemoveParams(provider_id=args.provider_id, name=args.name, task=args.task)
            )
            _print({"removed": True}, as_json, lambda _: f"Removed {args.task} model {args.name}.")
    elif args.command == "active":
        if args.task and args.model:
            model_id = None if args.model == "none" else args.model
            _print(
                svc.active_set(api.ActiveSetParams(task=args.task, model_id=model_id)),
                as_json,
                _active_table,
            )
        elif args.task:
            print(
                "Give the model too: byok-ls active TASK PROVIDER/MODEL (or 'none')",
                file=sys.stderr,
            )
            return 2
        else:
            _print(svc.active_get(), as_json, _active_table)
    else:
        from byok_ls import cli_net

        return cli_net.run(app, args)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            return _serve(args.log_level, tcp=(host or "127.0.0.1", int(port)))
        if not args.stdio and sys.stdin.isatty():
            print(INTRO.format(version=__version__))
            return 0
        return _serve(args.log_level)

    from byok_ls.errors import ByokError

    try:
        return _run_command(args)
    except ByokError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        from byok_ls.config.store import clean_msg, format_loc

        first = exc.errors()[0]
        print(
            f"error: {format_loc(tuple(first['loc']), snake=True)}: {clean_msg(first['msg'])}",
            file=sys.stderr,
        )
        return 2


def _serve(log_level: str, tcp: tuple[str, int] | None = None) -> int:
    from byok_ls.lsp import logs
    from byok_ls.lsp.server import build

    logs.setup(log_level)
    server = build()
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
