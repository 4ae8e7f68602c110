"""Shared set-up for the chat and embeddings tests (no tests here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pygls.exceptions import JsonRpcException

from tests.fakes import FakeServer
from tests.lsp.conftest import Session

KEY = "sk-test-ChatKey-0123456789abcdefWXYZ"
ANTHROPIC_KEY = "sk-ant-test.ChatKey.0123456789.abcdefWXYZ"


async def use_model(
    lsp: Session,
    fake: FakeServer,
    model: dict[str, Any],
    *,
    template: str = "custom",
    provider_id: str | None = None,
    key: str | None = KEY,
    task: str = "chat",
) -> str:
    """Add a provider pointing at ``fake`` with one model and make that model active."""
    params: dict[str, Any] = {"template": template, "baseUrl": fake.api_base}
    if provider_id is not None:
        params["id"] = provider_id
    if key is not None:
        params["apiKey"] = key
        fake.expect_key = key
    provider = (await lsp.request("byok/providers/add", params))["provider"]
    pid = provider["id"]
    known = {(m["name"], m["task"]) for m in provider["models"]}
    spec = {"task": task, **model}
    if (spec["name"], task) in known:
        patch = {k: v for k, v in spec.items() if k not in ("name", "task")}
        await lsp.request(
            "byok/models/update",
            {"providerId": pid, "name": spec["name"], "task": task, "model": patch},
        )
    else:
        await lsp.request("byok/models/add", {"providerId": pid, "model": spec})
    model_id = f"{pid}/{spec['name']}"
    await lsp.request("byok/active/set", {"task": task, "modelId": model_id})
    return model_id


def set_settings(config_dir: Path, **settings: Any) -> None:
    """Edit config.yaml by hand, as a user would (the server reloads it per request)."""
    path = config_dir / "config.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.setdefault("settings", {}).update(settings)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def deltas(lsp: Session, chat_id: str) -> list[dict[str, Any]]:
    return [d for d in lsp.received("byok/chat/delta") if d["chatId"] == chat_id]


def joined(items: list[dict[str, Any]], field: str) -> str:
    return "".join(d[field] for d in items if d.get(field))


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def assert_clean_error(err: JsonRpcException, kind: str, provider_name: str, *secrets: str) -> None:
    """The error has the right kind, names the provider and leaks no key."""
    assert err.data is not None, err
    assert err.data["kind"] == kind, (err.data, err.message)
    assert provider_name in err.message, err.message
    for secret in secrets:
        assert secret not in err.message
        assert secret not in repr(err.data)
