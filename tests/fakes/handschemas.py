"""Request schemas for APIs without an official machine-readable spec.

Written from the projects' API docs (Ollama docs/api.md, llama.cpp tools/server/README.md,
Mistral's FIM reference): required fields and types, unknown fields allowed where the server
ignores them, forbidden where it rejects them.
"""

from __future__ import annotations

from typing import Any

_STRING_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_OPTIONS = {"type": "object"}
_KEEP_ALIVE = {"anyOf": [{"type": "string"}, {"type": "number"}]}
_FORMAT = {"anyOf": [{"const": "json"}, {"type": "object"}, {"type": "null"}]}
_THINK = {"anyOf": [{"type": "boolean"}, {"enum": ["low", "medium", "high"]}]}

OLLAMA_GENERATE: dict[str, Any] = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "prompt": {"type": "string"},
        "suffix": {"type": "string"},
        "images": {"type": "array", "items": {"type": "string"}},
        "format": _FORMAT,
        "options": _OPTIONS,
        "system": {"type": "string"},
        "template": {"type": "string"},
        "stream": {"type": "boolean"},
        "raw": {"type": "boolean"},
        "keep_alive": _KEEP_ALIVE,
        "context": {"type": "array", "items": {"type": "integer"}},
        "think": _THINK,
    },
}

_OLLAMA_MESSAGE = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"enum": ["system", "user", "assistant", "tool"]},
        "content": {"type": "string"},
        "thinking": {"type": "string"},
        "images": {"type": "array", "items": {"type": "string"}},
        "tool_calls": {"type": "array"},
        "tool_name": {"type": "string"},
    },
}

OLLAMA_CHAT: dict[str, Any] = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "messages": {"type": "array", "items": _OLLAMA_MESSAGE},
        "tools": {"type": "array", "items": {"type": "object"}},
        "format": _FORMAT,
        "options": _OPTIONS,
        "stream": {"type": "boolean"},
        "keep_alive": _KEEP_ALIVE,
        "think": _THINK,
    },
}

OLLAMA_EMBED: dict[str, Any] = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "input": _STRING_OR_LIST,
        "truncate": {"type": "boolean"},
        "options": _OPTIONS,
        "keep_alive": _KEEP_ALIVE,
        "dimensions": {"type": "integer"},
    },
}

OLLAMA_SHOW: dict[str, Any] = {
    "type": "object",
    "anyOf": [{"required": ["model"]}, {"required": ["name"]}],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "verbose": {"type": "boolean"},
    },
}

_LLAMA_COMMON: dict[str, Any] = {
    # Chooses the model on a router (--models-dir); a single-model server ignores it.
    "model": {"type": "string"},
    "n_predict": {"type": "integer"},
    "temperature": {"type": "number"},
    "top_k": {"type": "integer"},
    "top_p": {"type": "number"},
    "min_p": {"type": "number"},
    "stream": {"type": "boolean"},
    "stop": {"type": "array", "items": {"type": "string"}},
    "seed": {"type": "integer"},
    "cache_prompt": {"type": "boolean"},
    "samplers": {"type": "array", "items": {"type": "string"}},
    "t_max_predict_ms": {"type": "integer"},
    "n_indent": {"type": "integer"},
    "id_slot": {"type": "integer"},
    "return_tokens": {"type": "boolean"},
}

LLAMACPP_INFILL: dict[str, Any] = {
    "type": "object",
    "required": ["input_prefix", "input_suffix"],
    "properties": {
        "input_prefix": {"type": "string"},
        "input_suffix": {"type": "string"},
        "prompt": {"type": "string"},
        "input_extra": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text"],
                "properties": {"filename": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        **_LLAMA_COMMON,
    },
}

LLAMACPP_COMPLETION: dict[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            ]
        },
        **_LLAMA_COMMON,
    },
}

# Mistral validates strictly (unknown fields are a 422 "extra_forbidden").
MISTRAL_FIM: dict[str, Any] = {
    "type": "object",
    "required": ["model", "prompt"],
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "prompt": {"type": "string"},
        "suffix": {"type": ["string", "null"]},
        "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 1.5},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "max_tokens": {"type": ["integer", "null"], "minimum": 0},
        "min_tokens": {"type": ["integer", "null"], "minimum": 0},
        "stream": {"type": "boolean"},
        "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "random_seed": {"type": ["integer", "null"], "minimum": 0},
        "metadata": {"type": ["object", "null"]},
    },
}

HAND_SCHEMAS: dict[str, dict[str, Any]] = {
    "ollama.generate": OLLAMA_GENERATE,
    "ollama.chat": OLLAMA_CHAT,
    "ollama.embed": OLLAMA_EMBED,
    "ollama.show": OLLAMA_SHOW,
    "llamacpp.infill": LLAMACPP_INFILL,
    "llamacpp.completion": LLAMACPP_COMPLETION,
    "mistral.fim": MISTRAL_FIM,
}
