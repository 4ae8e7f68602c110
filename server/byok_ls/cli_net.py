"""Command-line verbs that talk to providers (test, discover, detect, chat, usage).

``providers test|discover|detect`` print a table (or a line) for humans and, with ``--json``,
the same object the LSP methods ``byok/providers/*`` answer. ``providers test`` exits 1 when
the provider failed the test, so scripts can check a key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Coroutine
from typing import Any

from pydantic import BaseModel

from byok_ls import api
from byok_ls.app import App


def run(app: App, args: argparse.Namespace) -> int:
    if args.command == "chat":
        from byok_ls.cli_chat import run_chat

        return run_chat(app, args)
    if args.command == "usage":
        from byok_ls.cli_usage import run_usage

        return run_usage(app, args)
    if args.command == "providers" and args.action in _PROVIDER_VERBS:
        return asyncio.run(_closing(app, _PROVIDER_VERBS[args.action](app, args)))
    print(
        f"error: `{args.command} {getattr(args, 'action', '') or ''}` is not available yet",
        file=sys.stderr,
    )
    return 2


async def _closing(app: App, work: Coroutine[Any, Any, int]) -> int:
    try:
        return await work
    finally:
        await app.aclose()


def _emit(result: BaseModel, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(result.model_dump(mode="json", by_alias=True), indent=2))
    else:
        print(text)


def _endpoint(app: App, provider_id: str) -> Any:
    provider = app.config.provider(provider_id)
    return provider, app.config.endpoint(provider)


async def _test(app: App, args: argparse.Namespace) -> int:
    from byok_ls.providers import probe

    provider, endpoint = _endpoint(app, args.id)
    hint = next((m.name for m in provider.models if m.task == "chat"), None)
    found = await probe.test_endpoint(
        endpoint, hint or (provider.models[0].name if provider.models else None)
    )
    result = api.TestResult(
        ok=found.ok,
        status=found.status,
        latency_ms=found.latency_ms,
        message=found.message,
        models_found=found.models_found,
    )
    _emit(result, args.json, f"{result.status}: {result.message}")
    return 0 if result.ok else 1


async def _discover(app: App, args: argparse.Namespace) -> int:
    from byok_ls.cli import _table
    from byok_ls.providers import probe

    _, endpoint = _endpoint(app, args.id)
    found = await probe.discover(endpoint)
    result = api.DiscoverResult(
        models=[api.DiscoveredModelView(name=m.name, task=m.task, n_ctx=m.n_ctx) for m in found]
    )
    rows = [(m.name, m.task or "-", str(m.n_ctx) if m.n_ctx else "-") for m in result.models]
    text = (
        _table(rows, ("NAME", "TASK", "N_CTX"))
        if rows
        else f"{endpoint.provider_name} listed no models."
    )
    _emit(result, args.json, text)
    return 0


async def _detect(app: App, args: argparse.Namespace) -> int:
    from byok_ls.cli import _table
    from byok_ls.providers import probe

    ports = probe.detect_ports()
    found = await probe.detect_local(ports)
    result = api.DetectResult(
        found=[
            api.DetectedView(template=d.template, base_url=d.base_url, models=d.models)
            for d in found
        ]
    )
    rows = [(d.template, d.base_url, ", ".join(d.models) or "-") for d in result.found]
    if rows:
        text = _table(rows, ("TEMPLATE", "BASE URL", "MODELS"))
    else:
        where = ", ".join(f"{t} {p}" for t, p in ports.items()) or "none"
        text = f"No local model server answered on 127.0.0.1 (ports tried: {where})."
    _emit(result, args.json, text)
    return 0


_PROVIDER_VERBS = {"test": _test, "discover": _discover, "detect": _detect}
