"""The committed JSON Schemas match the models they are generated from."""

from __future__ import annotations

import json

import jsonschema
import yaml

from byok_ls.config.catalog import templates
from byok_ls.schemas import render
from tests.conftest import ROOT


def test_committed_schemas_are_current() -> None:
    for name, text in render().items():
        committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == text, (
            f"schemas/{name} is stale: run `python -m byok_ls.schemas schemas`"
        )


def test_config_schema_accepts_the_design_example_and_rejects_typos() -> None:
    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text())
    example = yaml.safe_load(
        """
version: 1
providers:
  - id: openai
    template: openai
    name: "OpenAI (work)"
    enabled: true
    base_url: https://api.openai.com/v1
    api_key_env: null
    models:
      - name: gpt-4o
        task: chat
        n_ctx: 128000
        tokenizer: hf://Xenova/gpt-4o
        default_temperature: 0.2
        reasoning_style: none
        capabilities: {tools: true, multimodality: true, clicks: false, agent: true}
      - name: gpt-3.5-turbo-instruct
        task: completion
        n_ctx: 4096
        fim: native
active:
  chat: openai/gpt-4o
  completion: deepseek/deepseek-chat
  embeddings: null
fallbacks:
  chat: [anthropic/claude-sonnet-4-5]
"""
    )
    jsonschema.validate(example, schema)
    example["providers"][0]["base_ulr"] = "typo"
    try:
        jsonschema.validate(example, schema)
    except jsonschema.ValidationError as exc:
        assert "base_ulr" in exc.message
    else:
        raise AssertionError("a misspelt key must be rejected")


def test_lsp_api_schema_lists_every_method() -> None:
    schema = json.loads((ROOT / "schemas" / "lsp-api.schema.json").read_text())
    assert "byok/providers/add" in schema["methods"]
    assert schema["methods"]["byok/providers/add"]["command"] == "byok.providers.add"
    add = schema["$defs"]["ProviderAddParams"]
    assert "baseUrl" in add["properties"] and "apiKey" in add["properties"]


def test_every_template_is_valid() -> None:
    found = templates()
    assert len(found) == 13
    for template in found.values():
        for model in template.models:
            if model.task == "completion":
                assert model.fim is not None, f"{template.id}/{model.name} needs a fim mode"


def test_client_protocol_is_generated_from_the_current_schema() -> None:
    """vscode-client/src/shared/protocol.ts is what the generator makes of the committed
    schema: the client's wire types cannot drift from the server's models."""
    import importlib.util

    script = ROOT / "vscode-client" / "scripts" / "gen_protocol.py"
    spec = importlib.util.spec_from_file_location("gen_protocol", script)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    schema = json.loads((ROOT / "schemas" / "lsp-api.schema.json").read_text(encoding="utf-8"))
    committed = (ROOT / "vscode-client" / "src" / "shared" / "protocol.ts").read_text("utf-8")
    assert committed == generator.render(schema), (
        "protocol.ts is stale: run `python vscode-client/scripts/gen_protocol.py`"
    )
    assert "'byok/vocabulary': { params: Empty; result: VocabularyResult }" in committed
