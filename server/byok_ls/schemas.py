"""Generate ``schemas/config.schema.json`` and ``schemas/lsp-api.schema.json`` from the models.

Run ``python -m byok_ls.schemas [DIR]`` after changing a model; a test fails while the
committed files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from byok_ls import api
from byok_ls.config.schema import Config

#: Notifications the server sends, with their params.
NOTIFICATIONS: dict[str, type[BaseModel]] = {
    "byok/chat/delta": api.ChatDelta,
    "byok/config/changed": api.ConfigChanged,
}


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema(by_alias=False)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "byok-ls config.yaml"
    return schema


def lsp_api_schema() -> dict[str, Any]:
    from byok_ls.lsp.methods import METHODS

    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for method in METHODS:
        pairs.append((method.params, "validation"))
        pairs.append((method.result, "serialization"))
    for payload in NOTIFICATIONS.values():
        pairs.append((payload, "serialization"))
    refs, defs = models_json_schema(pairs, by_alias=True, ref_template="#/$defs/{model}")
    methods = {
        m.name: {
            "command": m.command,
            "params": refs[(m.params, "validation")],
            "result": refs[(m.result, "serialization")],
        }
        for m in METHODS
    }
    notifications = {
        name: {"params": refs[(payload, "serialization")]}
        for name, payload in NOTIFICATIONS.items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "byok-ls LSP API (byok/* methods)",
        "methods": methods,
        "notifications": notifications,
        "$defs": defs.get("$defs", {}),
    }


def render() -> dict[str, str]:
    def dump(obj: dict[str, Any]) -> str:
        return json.dumps(obj, indent=2, sort_keys=True) + "\n"

    return {
        "config.schema.json": dump(config_schema()),
        "lsp-api.schema.json": dump(lsp_api_schema()),
    }


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("schemas")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
