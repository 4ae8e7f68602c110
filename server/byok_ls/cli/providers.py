"""``byok-ls templates`` and ``byok-ls providers ...``: one function per verb.

``providers test|discover|detect`` print a table (or a line) for people and, with ``--json``,
the object the LSP methods ``byok/providers/*`` answer. ``providers test`` exits 1 when the
provider failed the test, so scripts can check a key.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from byok_ls import api
from byok_ls.app import App
from byok_ls.cli.common import ask_secret, run_async, verb
from byok_ls.cli.output import emit, table
from byok_ls.config.catalog import get_template

if TYPE_CHECKING:
    from byok_ls.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    verb(sub, "templates", "list provider templates", templates)
    providers = sub.add_parser("providers", help="configure providers").add_subparsers(
        dest="action", required=True
    )
    verb(providers, "list", "list configured providers", list_providers)

    add_p = verb(providers, "add", "add a provider from a template", add)
    add_p.add_argument("template")
    add_p.add_argument("--id")
    _connection(add_p)
    add_p.add_argument("--no-key", action="store_true", help="do not ask for a key")
    add_p.add_argument("--disabled", action="store_true")
    add_p.add_argument("--allow-insecure-http", action="store_true")

    upd = verb(providers, "update", "change a provider", update)
    upd.add_argument("id")
    _connection(upd)
    upd.add_argument("--ask-key", action="store_true", help="ask for a new key without echoing it")
    upd.add_argument("--delete-key", action="store_true")
    upd.add_argument("--enable", dest="enabled", action="store_const", const=True)
    upd.add_argument("--disable", dest="enabled", action="store_const", const=False)

    verb(providers, "remove", "remove a provider and its stored key", remove).add_argument("id")
    verb(providers, "test", "check a provider's key and reachability", test).add_argument("id")
    verb(providers, "discover", "list a provider's models", discover).add_argument("id")
    verb(
        providers, "detect", "find local model servers (Ollama, LM Studio, llama.cpp, vLLM)", detect
    )


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name")
    parser.add_argument("--base-url")
    parser.add_argument("--key-env", help="read the key from this environment variable")
    parser.add_argument(
        "--key", help="the key itself (ends up in your shell history; prefer the prompt)"
    )


# ---- configuration -------------------------------------------------------------------------


def _templates_table(result: api.TemplatesResult) -> str:
    rows = [
        (t.id, t.name, t.wire_format, "yes" if t.needs_key else "no", t.key_env or "-", t.base_url)
        for t in result.templates
    ]
    return table(rows, ("ID", "NAME", "FORMAT", "KEY", "KEY ENV", "BASE URL"))


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
    return table(rows, ("ID", "NAME", "ENABLED", "BASE URL", "KEY", "MODELS"))


def _provider_line(result: api.ProviderResult) -> str:
    p = result.provider
    key = f"key {p.key.hint} in {p.key.source}" if p.key.present else "no key"
    return f"{p.id}: {p.name} at {p.base_url} ({key}, {len(p.models)} models)"


def templates(app: App, args: argparse.Namespace) -> int:
    emit(app.config.templates_list(), args.json, _templates_table)
    return 0


def list_providers(app: App, args: argparse.Namespace) -> int:
    emit(app.config.providers_list(), args.json, _providers_table)
    return 0


def add(app: App, args: argparse.Namespace) -> int:
    template = get_template(args.template)
    key = args.key
    # Most OpenAI-compatible hosts need a key too, so the custom template offers the prompt
    # as well (empty for none); local servers (Ollama, llama.cpp) never need one.
    wants = template.needs_key or not template.local
    if key is None and args.key_env is None and not args.no_key and wants:
        optional = "" if template.needs_key else "optional; "
        key = ask_secret(f"API key for {template.name} ({optional}input hidden, empty for none): ")
    # Flags not given stay unset, so config.yaml records only what the user chose.
    given: dict[str, object] = {"enabled": False} if args.disabled else {}
    if args.allow_insecure_http:
        given["allow_insecure_http"] = True
    params = api.ProviderAddParams.model_validate(
        {
            "template": args.template,
            "id": args.id,
            "name": args.name,
            "base_url": args.base_url,
            "api_key": key or None,
            "api_key_env": args.key_env,
            **given,
        },
        by_name=True,
    )
    emit(app.config.provider_add(params), args.json, _provider_line)
    return 0


def update(app: App, args: argparse.Namespace) -> int:
    key = args.key
    if args.ask_key:
        key = ask_secret("New API key (input hidden): ")
    if args.delete_key:
        key = ""
    fields = {
        "name": args.name,
        "base_url": args.base_url,
        "api_key": key,
        "api_key_env": args.key_env,
        "enabled": args.enabled,
    }
    params = api.ProviderUpdateParams(
        id=args.id, **{k: v for k, v in fields.items() if v is not None}
    )
    emit(app.config.provider_update(params), args.json, _provider_line)
    return 0


def remove(app: App, args: argparse.Namespace) -> int:
    result = app.config.provider_remove(api.ProviderIdParams(id=args.id))
    emit(result, args.json, lambda _: f"Removed {args.id} and its stored key.")
    return 0


# ---- network -------------------------------------------------------------------------------


def test(app: App, args: argparse.Namespace) -> int:
    async def run() -> int:
        result = await app.provider_ops.test(api.ProviderIdParams(id=args.id))
        emit(result, args.json, lambda r: f"{r.status}: {r.message}")
        return 0 if result.ok else 1

    return run_async(app, run())


def discover(app: App, args: argparse.Namespace) -> int:
    async def run() -> int:
        result = await app.provider_ops.discover(api.ProviderIdParams(id=args.id))
        emit(result, args.json, lambda r: _models_table(r, args.id))
        return 0

    return run_async(app, run())


def _models_table(result: api.DiscoverResult, provider_id: str) -> str:
    rows = [(m.name, m.task or "-", str(m.n_ctx) if m.n_ctx else "-") for m in result.models]
    if not rows:
        return f"{provider_id} listed no models."
    return table(rows, ("NAME", "TASK", "N_CTX"))


def detect(app: App, args: argparse.Namespace) -> int:
    async def run() -> int:
        emit(await app.provider_ops.detect(), args.json, _detected_table)
        return 0

    return run_async(app, run())


def _detected_table(result: api.DetectResult) -> str:
    from byok_ls.providers.probe import detect_ports

    rows = [(d.template, d.base_url, ", ".join(d.models) or "-") for d in result.found]
    if rows:
        return table(rows, ("TEMPLATE", "BASE URL", "MODELS"))
    where = ", ".join(f"{t} {p}" for t, p in detect_ports().items()) or "none"
    return f"No local model server answered on 127.0.0.1 (ports tried: {where})."
