"""Provider, model and active-model CRUD through the real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from lsprotocol import types

from tests.lsp.editor import Session

FAKE_KEY = "sk-test-CRUDkey-0123456789abcdefXYZW"


async def test_templates_list_has_every_builtin(lsp: Session) -> None:
    result = await lsp.request("byok/templates/list", {})
    ids = {t["id"] for t in result["templates"]}
    assert ids == {
        "openai",
        "anthropic",
        "deepseek",
        "openrouter",
        "groq",
        "google_gemini",
        "xai",
        "mistral",
        "ollama",
        "lmstudio",
        "vllm",
        "llamacpp",
        "custom",
    }
    openai = next(t for t in result["templates"] if t["id"] == "openai")
    assert openai["wireFormat"] == "openai"
    assert openai["keyEnv"] == "OPENAI_API_KEY"
    assert any(m["name"] == "gpt-4o" and m["nCtx"] == 128000 for m in openai["models"])


async def test_add_provider_copies_template_models_and_hides_key(
    lsp: Session, isolated_dirs: dict[str, Path]
) -> None:
    result = await lsp.request(
        "byok/providers/add", {"template": "openai", "name": "OpenAI (work)", "apiKey": FAKE_KEY}
    )
    provider = result["provider"]
    assert provider["id"] == "openai"
    assert provider["name"] == "OpenAI (work)"
    assert provider["key"] == {"present": True, "source": "keyring", "hint": "sk-…XYZW"}
    assert {m["name"] for m in provider["models"]} >= {"gpt-4o", "gpt-3.5-turbo-instruct"}
    text = (isolated_dirs["config"] / "config.yaml").read_text()
    assert FAKE_KEY not in text
    assert yaml.safe_load(text)["providers"][0]["name"] == "OpenAI (work)"
    assert FAKE_KEY not in str(await lsp.request("byok/providers/list", {}))


async def test_ids_are_unique_and_slugged(lsp: Session) -> None:
    first = await lsp.request("byok/providers/add", {"template": "google_gemini"})
    second = await lsp.request("byok/providers/add", {"template": "google_gemini"})
    assert first["provider"]["id"] == "google-gemini"
    assert second["provider"]["id"] == "google-gemini-2"
    err = await lsp.error("byok/providers/add", {"template": "openai", "id": "google-gemini"})
    assert err.code <= -32001 and err.data["kind"] == "conflict"
    assert "id" in err.message


async def test_update_enable_disable_and_key_delete(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "deepseek", "apiKey": FAKE_KEY})
    updated = await lsp.request(
        "byok/providers/update", {"id": "deepseek", "name": "DS", "enabled": False}
    )
    assert updated["provider"]["name"] == "DS"
    assert updated["provider"]["enabled"] is False
    assert updated["provider"]["key"]["present"] is True
    cleared = await lsp.request("byok/providers/update", {"id": "deepseek", "apiKey": ""})
    assert cleared["provider"]["key"] == {"present": False, "source": None, "hint": None}
    got = await lsp.request("byok/providers/get", {"id": "deepseek"})
    assert got["provider"]["enabled"] is False


async def test_api_key_env_is_reported_as_env(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "groq", "apiKeyEnv": "PATH"})
    got = await lsp.request("byok/providers/get", {"id": "groq"})
    assert got["provider"]["apiKeyEnv"] == "PATH"
    assert got["provider"]["key"]["source"] == "env"


async def test_models_add_update_remove(lsp: Session) -> None:
    await lsp.request(
        "byok/providers/add", {"template": "custom", "baseUrl": "http://127.0.0.1:9/v1"}
    )
    model = {
        "name": "qwen2.5-coder",
        "task": "completion",
        "nCtx": 16384,
        "tokenizer": None,
        "fim": "template:qwen2.5-coder",
    }
    added = await lsp.request("byok/models/add", {"providerId": "custom", "model": model})
    assert added["model"]["fim"] == "template:qwen2.5-coder"
    assert added["model"]["capabilities"] == {
        "tools": False,
        "multimodality": False,
        "clicks": False,
        "agent": False,
    }
    dup = await lsp.error("byok/models/add", {"providerId": "custom", "model": model})
    assert dup.data["kind"] == "conflict"
    await lsp.request("byok/active/set", {"task": "completion", "modelId": "custom/qwen2.5-coder"})
    updated = await lsp.request(
        "byok/models/update",
        {
            "providerId": "custom",
            "name": "qwen2.5-coder",
            "task": "completion",
            "model": {"nCtx": 8192, "name": "qwen-coder"},
        },
    )
    assert updated["model"]["nCtx"] == 8192
    active = await lsp.request("byok/active/get", {})
    assert active["completion"] == "custom/qwen-coder"
    await lsp.request(
        "byok/models/remove", {"providerId": "custom", "name": "qwen-coder", "task": "completion"}
    )
    active = await lsp.request("byok/active/get", {})
    assert active["completion"] is None
    provider = (await lsp.request("byok/providers/get", {"id": "custom"}))["provider"]
    assert provider["models"] == []


async def test_active_set_validates_and_remove_clears(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "openai"})
    await lsp.request("byok/providers/add", {"template": "anthropic"})
    result = await lsp.request(
        "byok/active/set",
        {"task": "chat", "modelId": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"]},
    )
    assert result["chat"] == "openai/gpt-4o"
    assert result["fallbacks"]["chat"] == ["anthropic/claude-sonnet-4-5"]
    wrong_task = await lsp.error(
        "byok/active/set", {"task": "completion", "modelId": "openai/gpt-4o"}
    )
    assert wrong_task.data["kind"] == "not_found" and wrong_task.data["field"] == "modelId"
    await lsp.request("byok/providers/remove", {"id": "anthropic"})
    active = await lsp.request("byok/active/get", {})
    assert active["chat"] == "openai/gpt-4o"
    assert active["fallbacks"]["chat"] == []
    await lsp.request("byok/providers/remove", {"id": "openai"})
    assert (await lsp.request("byok/active/get", {}))["chat"] is None


async def test_disabled_provider_cannot_be_made_active(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "openai", "enabled": False})
    err = await lsp.error("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o"})
    assert err.data["kind"] == "provider_disabled"
    assert "disabled" in err.message


async def test_execute_command_runs_the_same_operations(lsp: Session) -> None:
    result = await lsp.request(
        "workspace/executeCommand",
        types.ExecuteCommandParams(
            command="byok.providers.add", arguments=[{"template": "ollama"}]
        ),
    )
    assert result["provider"]["id"] == "ollama"
    listed = await lsp.request(
        "workspace/executeCommand",
        types.ExecuteCommandParams(command="byok.providers.list", arguments=[{}]),
    )
    assert [p["id"] for p in listed["providers"]] == ["ollama"]


async def test_config_changed_is_sent_after_a_change(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "ollama"})
    for _ in range(50):
        if lsp.received("byok/config/changed"):
            break
        await asyncio.sleep(0.05)
    assert lsp.received("byok/config/changed")[-1]["revision"] == 1


async def test_bad_input_names_the_field(lsp: Session) -> None:
    await lsp.request("byok/providers/add", {"template": "custom", "id": "c"})
    cases = [
        ("byok/providers/add", {"template": "nope"}, -32602, "template"),
        ("byok/providers/add", {"template": "openai", "name": ""}, -32602, "name"),
        ("byok/providers/add", {"template": "openai", "baseUrl": "ftp://x"}, -32602, "baseUrl"),
        ("byok/providers/add", {"template": "openai", "colour": "red"}, -32602, "colour"),
        ("byok/providers/add", {"template": 5}, -32602, "template"),
        ("byok/providers/get", {}, -32602, "id"),
        ("byok/providers/get", {"id": "ghost"}, None, "id"),
        (
            "byok/models/add",
            {"providerId": "c", "model": {"name": "m", "nCtx": 0}},
            -32602,
            "model.nCtx",
        ),
        (
            "byok/models/add",
            {"providerId": "c", "model": {"name": "m", "defaultTemperature": 3}},
            -32602,
            "model.defaultTemperature",
        ),
        ("byok/models/add", {"model": {"name": "m"}}, -32602, "providerId"),
        ("byok/models/add", {"providerId": "ghost", "model": {"name": "m"}}, None, "providerId"),
        ("byok/models/remove", {"providerId": "c", "name": "m", "task": "chat"}, None, "name"),
        ("byok/active/set", {"task": "chat", "modelId": "no-slash"}, -32602, "modelId"),
        ("byok/active/set", {"task": "poetry", "modelId": None}, -32602, "task"),
    ]
    for method, params, code, field in cases:
        err = await lsp.error(method, params)
        if code is not None:
            assert err.code == code, (method, params, err.message)
        else:
            assert -32099 <= err.code <= -32001, (method, params, err.message)
        assert err.message.startswith(f"{field}: "), (method, params, err.message)
        assert err.data["field"] == field
    # The server is still serving, and nothing was changed by the rejected calls.
    listed = await lsp.request("byok/providers/list", {})
    assert [p["id"] for p in listed["providers"]] == ["c"]
    assert listed["providers"][0]["models"] == []
