"""Request contract checks: every body a fake receives must be one the real API accepts.

Only requests are validated: the specs mark many response fields required that real
providers and local servers leave out.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.fakes.handschemas import HAND_SCHEMAS

if TYPE_CHECKING:
    from tests.fakes.http import RecordedRequest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("BYOK_SPECS_DIR", REPO_ROOT.parent / "shared" / "specs"))

SPEC_SCHEMAS = {
    "openai.chat": "urn:openai#/components/schemas/CreateChatCompletionRequest",
    "openai.completion": "urn:openai#/components/schemas/CreateCompletionRequest",
    "openai.embedding": "urn:openai#/components/schemas/CreateEmbeddingRequest",
    "anthropic.messages": "urn:anthropic#/components/schemas/CreateMessageParams",
}


def _nullable_to_null(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` means nothing to a JSON Schema validator; spell it out."""
    if isinstance(node, list):
        return [_nullable_to_null(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_null(v) for k, v in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        return {"anyOf": [{"type": "null"}, out]}
    return out


class Specs:
    """The provider specs, parsed once, with a validator per request kind."""

    def __init__(self, directory: Path = SPEC_DIR) -> None:
        with open(directory / "openai-openapi.yaml", encoding="utf-8") as f:
            openai_doc = yaml.load(f, Loader=yaml.CSafeLoader)
        with open(directory / "anthropic-openapi.json", encoding="utf-8") as f:
            anthropic_doc = json.load(f)
        registry: Registry[Any] = Registry().with_resources(
            [
                ("urn:openai", Resource.from_contents(_nullable_to_null(openai_doc), DRAFT202012)),
                (
                    "urn:anthropic",
                    Resource.from_contents(_nullable_to_null(anthropic_doc), DRAFT202012),
                ),
            ]
        )
        self.registry = registry
        self._validators: dict[str, Draft202012Validator] = {
            kind: Draft202012Validator({"$ref": ref}, registry=registry)
            for kind, ref in SPEC_SCHEMAS.items()
        }
        for kind, schema in HAND_SCHEMAS.items():
            self._validators[kind] = Draft202012Validator(schema)
        self._lock = threading.Lock()

    def assert_valid(self, ref: str, body: Any) -> None:
        """Fail with every problem of ``body`` against the schema at ``ref``
        (``urn:openai#/components/schemas/...``)."""
        validator = Draft202012Validator({"$ref": ref}, registry=self.registry)
        with self._lock:
            errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5])

    def kinds(self) -> list[str]:
        return sorted(self._validators)

    def validate(self, kind: str, body: Any) -> str | None:
        """None when valid, else a one-paragraph reason."""
        validator = self._validators.get(kind)
        if validator is None:
            return None
        # Validators cache resolved references internally; keep one thread in at a time.
        with self._lock:
            error = best_match(validator.iter_errors(body))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        message = error.message
        if len(message) > 400:
            message = message[:400] + "..."
        return f"at {where}: {message}"


@functools.cache
def load_specs(directory: str = str(SPEC_DIR)) -> Specs:
    return Specs(Path(directory))


def semantic_problems(kind: str, body: dict[str, Any]) -> list[str]:
    """Rules the real APIs enforce that the schemas do not express."""
    problems: list[str] = []
    if (
        kind in ("openai.chat", "openai.completion")
        and body.get("stream_options") is not None
        and not body.get("stream")
    ):
        problems.append("stream_options is only allowed when stream is true (OpenAI answers 400)")
    if kind == "anthropic.messages" and body.get("thinking", {}).get("type") == "enabled":
        budget = body["thinking"].get("budget_tokens", 0)
        if (
            isinstance(budget, int)
            and isinstance(body.get("max_tokens"), int)
            and budget >= body["max_tokens"]
        ):
            problems.append(
                "thinking.budget_tokens must be less than max_tokens (Anthropic answers 400)"
            )
    messages = body.get("messages")
    if isinstance(messages, list):
        if kind == "openai.chat":
            problems += _openai_tool_turns(messages)
        elif kind == "anthropic.messages":
            problems += _anthropic_tool_turns(messages)
    return problems


def _openai_tool_turns(messages: list[Any]) -> list[str]:
    """OpenAI answers 400 unless an assistant message with tool_calls is followed by one tool
    message per call id, and no tool message answers a call that was not made."""
    problems: list[str] = []
    open_calls: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                problems.append(f"messages[{i}]: tool message for unknown call {call_id!r}")
            open_calls.discard(call_id)
            continue
        if open_calls:
            problems.append(f"messages[{i}]: tool calls {sorted(open_calls)} got no tool message")
        calls = message.get("tool_calls") if role == "assistant" else None
        open_calls = {c.get("id") for c in calls or [] if isinstance(c, dict)}
    if open_calls:
        problems.append(f"tool calls {sorted(open_calls)} got no tool message")
    return problems


def _anthropic_tool_turns(messages: list[Any]) -> list[str]:
    """Anthropic answers 400 unless each tool_use is answered by a tool_result in the very
    next user turn, every tool_result answers a tool_use of the turn before, and tool_use
    ids are unique."""
    problems: list[str] = []
    seen: set[str] = set()
    open_uses: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        if message.get("role") == "user":
            answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
            for extra in sorted(map(str, answered - open_uses)):
                problems.append(f"messages[{i}]: tool_result for unknown tool_use {extra!r}")
            for missing in sorted(map(str, open_uses - answered)):
                problems.append(f"messages[{i}]: tool_use {missing!r} has no tool_result")
            open_uses = set()
            continue
        if open_uses:
            problems.append(f"messages[{i}]: tool_use {sorted(open_uses)} has no tool_result")
        open_uses = {str(b.get("id")) for b in blocks if b.get("type") == "tool_use"}
        for use in sorted(open_uses & seen):
            problems.append(f"messages[{i}]: tool_use id {use!r} is used twice")
        seen |= open_uses
    return problems


def header_problems(kind: str, req: RecordedRequest, expect_key: str | None) -> list[str]:
    problems: list[str] = []
    if req.method == "POST" and req.body and "json" not in (req.header("content-type") or ""):
        problems.append(f"content-type is {req.header('content-type')!r}, not application/json")
    if kind.startswith("anthropic."):
        if not req.header("x-api-key"):
            problems.append("missing x-api-key header (Anthropic authenticates with x-api-key)")
        if not req.header("anthropic-version"):
            problems.append("missing anthropic-version header")
    elif expect_key is not None and not kind.startswith("ollama."):
        auth = req.header("authorization") or ""
        if not auth.startswith("Bearer "):
            problems.append("missing 'Authorization: Bearer <key>' header")
    return problems


@dataclass
class _Pending:
    kind: str
    req: RecordedRequest
    expect_key: str | None


class ContractChecker:
    """Collects violations; bodies are validated lazily so the fakes answer at full speed."""

    def __init__(self, specs: Specs | None = None) -> None:
        self._specs = specs
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._violations: list[str] = []

    def check(self, kind: str | None, req: RecordedRequest, expect_key: str | None) -> None:
        if kind is None:
            return
        with self._lock:
            self._pending.append(_Pending(kind, req, expect_key))

    @property
    def violations(self) -> list[str]:
        with self._lock:
            pending, self._pending = self._pending, []
        found = [v for p in pending for v in self._evaluate(p)]
        with self._lock:
            self._violations += found
            return list(self._violations)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._violations.clear()

    def _evaluate(self, p: _Pending) -> list[str]:
        where = f"{p.req.method} {p.req.path} ({p.kind})"
        out = [f"{where}: {problem}" for problem in header_problems(p.kind, p.req, p.expect_key)]
        if p.kind == "anthropic.other":
            return out
        if p.req.json is None:
            return [*out, f"{where}: body is not JSON: {p.req.body[:200]!r}"]
        specs = self._specs or load_specs()
        reason = specs.validate(p.kind, p.req.json)
        if reason is not None:
            out.append(f"{where}: request rejected by the provider's schema {reason}")
        if isinstance(p.req.json, dict):
            out += [f"{where}: {problem}" for problem in semantic_problems(p.kind, p.req.json)]
        return out
