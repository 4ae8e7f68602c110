"""``byok-ls models add|update|remove`` and ``byok-ls active``: one function per verb."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from byok_ls import api
from byok_ls.app import App
from byok_ls.cli.common import verb
from byok_ls.cli.output import emit, fail, table
from byok_ls.vocabulary import CAPABILITIES, REASONING_STYLES, TASKS, fim_choices

if TYPE_CHECKING:
    from byok_ls.cli.common import SubParsers

#: Model settings taken as options: (flag, field).
_SETTINGS: tuple[tuple[str, str], ...] = (
    ("n_ctx", "n_ctx"),
    ("tokenizer", "tokenizer"),
    ("temperature", "default_temperature"),
    ("reasoning", "reasoning_style"),
    ("fim", "fim"),
    ("max_output_tokens", "max_output_tokens"),
)


def register(sub: SubParsers) -> None:
    models = sub.add_parser("models", help="configure a provider's models").add_subparsers(
        dest="action", required=True
    )
    add_m = verb(models, "add", "add a model to a provider", add)
    _identify(add_m)
    _settings(add_m)
    upd = verb(models, "update", "change a model's settings (only the options given)", update)
    _identify(upd)
    upd.add_argument("--rename", metavar="NEW_NAME", help="give the model a new name")
    _settings(upd)
    _identify(verb(models, "remove", "remove a model", remove))

    active_p = verb(sub, "active", "show or set the active model per task", active)
    active_p.add_argument("task", nargs="?", choices=TASKS)
    active_p.add_argument("model", nargs="?", help="<provider id>/<model name>, or 'none'")


def _identify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("provider_id")
    parser.add_argument("name")
    parser.add_argument("--task", default="chat", choices=TASKS)


def _settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-ctx", type=int, help="context window in tokens")
    parser.add_argument("--tokenizer", help="hf://owner/repo, a URL or a local tokenizer.json")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--reasoning", choices=REASONING_STYLES)
    parser.add_argument("--fim", choices=fim_choices(), metavar="{native,chat,template:FAMILY}")
    parser.add_argument("--max-output-tokens", type=int)
    parser.add_argument("--capability", action="append", default=[], choices=CAPABILITIES)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the user typed, and only those (a default is not a choice)."""
    given = {field: getattr(args, flag) for flag, field in _SETTINGS}
    model = {field: value for field, value in given.items() if value is not None}
    if args.capability:
        model["capabilities"] = {c: True for c in args.capability}
    return model


def _done(result: api.ModelResult, args: argparse.Namespace, what: str) -> int:
    model = f"{args.task} model {result.model.name}"
    emit(result, args.json, lambda _: f"{what} {model} of {args.provider_id}.")
    return 0


def add(app: App, args: argparse.Namespace) -> int:
    model = {"name": args.name, "task": args.task, **_given(args)}
    params = api.ModelAddParams.model_validate(
        {"provider_id": args.provider_id, "model": model}, by_name=True
    )
    return _done(app.config.model_add(params), args, "Added")


def update(app: App, args: argparse.Namespace) -> int:
    patch = _given(args)
    if args.rename:
        patch["name"] = args.rename
    if not patch:
        return fail("nothing to change: give at least one option (see --help)", 2)
    params = api.ModelUpdateParams.model_validate(
        {"provider_id": args.provider_id, "name": args.name, "task": args.task, "model": patch},
        by_name=True,
    )
    return _done(app.config.model_update(params), args, "Updated")


def remove(app: App, args: argparse.Namespace) -> int:
    params = api.ModelRemoveParams(provider_id=args.provider_id, name=args.name, task=args.task)
    result = app.config.model_remove(params)
    emit(result, args.json, lambda _: f"Removed {args.task} model {args.name}.")
    return 0


def _active_table(result: api.ActiveResult) -> str:
    chosen = {"chat": result.chat, "completion": result.completion, "embeddings": result.embeddings}
    fallbacks = result.fallbacks.model_dump()
    rows = [(task, chosen[task] or "-", ", ".join(fallbacks[task]) or "-") for task in TASKS]
    return table(rows, ("TASK", "ACTIVE", "FALLBACKS"))


def active(app: App, args: argparse.Namespace) -> int:
    if args.task and not args.model:
        return fail("Give the model too: byok-ls active TASK PROVIDER/MODEL (or 'none')", 2)
    if args.task:
        model_id = None if args.model == "none" else args.model
        result = app.config.active_set(api.ActiveSetParams(task=args.task, model_id=model_id))
    else:
        result = app.config.active_get()
    emit(result, args.json, _active_table)
    return 0
