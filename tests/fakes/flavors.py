"""Flavor registry: a name picks a wire format and the vendor's declarative quirks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tests.fakes import presets
from tests.fakes.anthropic import AnthropicFlavor
from tests.fakes.llamacpp import LlamaCppFlavor
from tests.fakes.mistral import MistralFlavor
from tests.fakes.ollama import OllamaFlavor
from tests.fakes.openai import OpenAIFlavor
from tests.fakes.server import Flavor


def _deepseek() -> OpenAIFlavor:
    return OpenAIFlavor(
        name="deepseek",
        api_path="",
        prefixes=("", "/v1"),
        models=["deepseek-chat", "deepseek-reasoner"],
        owned_by="deepseek",
        reasoning_field="reasoning_content",
        keepalive_comments=True,
        beta_fim=True,
        usage_in_last_chunk=True,
        invalid_key=presets.deepseek_invalid_key,
        missing_key=presets.deepseek_invalid_key,
    )


def _openrouter() -> OpenAIFlavor:
    return OpenAIFlavor(
        name="openrouter",
        api_path="/api/v1",
        prefixes=("/api/v1",),
        models=["openai/gpt-4o", "anthropic/claude-sonnet-4", "deepseek/deepseek-chat"],
        owned_by="openrouter",
        reasoning_field="reasoning",
        processing_comments=True,
        chunk_error_style=True,
        invalid_key=presets.openrouter_invalid_key,
        missing_key=presets.openrouter_invalid_key,
    )


def _gemini() -> OpenAIFlavor:
    return OpenAIFlavor(
        name="gemini",
        api_path="/v1beta/openai",
        prefixes=("/v1beta/openai",),
        models=["models/gemini-2.5-flash", "models/gemini-2.5-pro"],
        owned_by="google",
        invalid_key=presets.gemini_invalid_key,
        missing_key=presets.gemini_invalid_key,
    )


def _vllm() -> OpenAIFlavor:
    model = "Qwen/Qwen2.5-Coder-7B-Instruct"
    return OpenAIFlavor(
        name="vllm",
        models=[model],
        owned_by="vllm",
        model_extra={"root": model, "parent": None, "max_model_len": 32768},
        invalid_key=presets.vllm_invalid_key,
        missing_key=presets.vllm_invalid_key,
    )


FLAVORS: dict[str, Callable[[], Any]] = {
    "openai": OpenAIFlavor,
    "anthropic": AnthropicFlavor,
    "ollama": OllamaFlavor,
    "llamacpp": LlamaCppFlavor,
    "mistral": MistralFlavor,
    "deepseek": _deepseek,
    "openrouter": _openrouter,
    "gemini": _gemini,
    "vllm": _vllm,
}


def make_flavor(name: str, **options: Any) -> Flavor:
    """The named flavor with `options` overriding its fields (e.g. reasoning_field=...)."""
    try:
        factory = FLAVORS[name]
    except KeyError as e:
        raise ValueError(f"unknown flavor {name!r}; known: {', '.join(FLAVORS)}") from e
    flavor = factory()
    if options:
        flavor = dataclasses.replace(flavor, **options)
    result: Flavor = flavor
    return result
