"""Wire-format-neutral request and event types shared by every adapter.

Adapters turn these requests into their provider's wire format and the provider's answers
into one normalized event stream, so routing, chat and completion never see a vendor shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from byok_ls.vocabulary import ReasoningStyle, Task, WireFormat

__all__ = ["ReasoningStyle", "WireFormat"]
#: What a provider test reports (``byok/providers/test``).
ProbeStatus = Literal[
    "ok",
    "auth_failed",
    "missing_key",
    "out_of_credit",
    "rate_limited",
    "not_found",
    "unreachable",
    "timeout",
    "bad_response",
    "server_error",
]


@dataclass(frozen=True)
class Profile:
    """Declarative vendor quirks read by the adapters (no ``if vendor == ...`` branches).

    Filled from the ``profile:`` mapping of a provider template; unknown keys are an error.
    """

    #: Field of a streamed/non-streamed message that carries reasoning text (DeepSeek,
    #: vLLM, OpenRouter style), or None.
    reasoning_field: str | None = None
    #: "max_tokens" or "max_completion_tokens" (OpenAI reasoning models need the latter).
    max_tokens_field: str = "max_tokens"
    #: Send ``stream_options: {include_usage: true}`` on streamed chat.
    stream_usage: bool = True
    #: Path (relative to base_url) of the FIM endpoint for ``fim: native`` on the
    #: OpenAI-compatible format: "/completions", or DeepSeek's "/beta/completions" (which is
    #: resolved against the base URL's origin when it starts with "/beta").
    fim_path: str = "/completions"
    #: Path of the plain (non-FIM) completions endpoint used by ``fim: template:<family>``.
    completions_path: str = "/completions"
    #: Errors may arrive inside a 200 SSE stream as ``{"error": {...}}`` chunks (OpenRouter).
    errors_in_stream: bool = False
    #: Error bodies may be a JSON array of error objects (Gemini).
    error_body_array: bool = False
    #: The model listing endpoint, relative to base_url, or None when there is none.
    models_path: str | None = "/models"
    #: Anthropic API version header value.
    anthropic_version: str = "2023-06-01"
    #: Largest number of inputs in one embeddings request.
    embeddings_batch: int = 256
    #: Extra static headers (never secrets), e.g. OpenRouter's X-Title.
    extra_headers: tuple[tuple[str, str], ...] = ()
    #: A GET path (relative to base_url) that checks the key when the model listing is
    #: public and so proves nothing about it (OpenRouter: "/key"). Used by the provider test.
    auth_check_path: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one configured provider."""

    provider_id: str
    provider_name: str
    wire_format: WireFormat
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    profile: Profile = field(default_factory=Profile)
    allow_insecure_http: bool = False
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0


@dataclass(frozen=True)
class ImagePart:
    """An image given as a data URL (``data:image/png;base64,...``) or an https URL."""

    url: str


@dataclass(frozen=True)
class TextPart:
    text: str


ContentPart = TextPart | ImagePart


@dataclass(frozen=True)
class ToolCall:
    """An assembled tool call (OpenAI shape: arguments is a JSON string)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str | tuple[ContentPart, ...]
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Tool:
    """An OpenAI-style function tool definition."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class Reasoning:
    style: ReasoningStyle = "none"
    #: openai: reasoning_effort ("low" | "medium" | "high").
    effort: str | None = None
    #: anthropic: thinking.budget_tokens (>= 1024, < max_tokens).
    budget_tokens: int | None = None


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    max_tokens: int
    temperature: float | None = None
    reasoning: Reasoning = field(default_factory=Reasoning)
    tools: tuple[Tool, ...] = ()
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class FimRequest:
    """Fill-in-the-middle through the provider's native FIM endpoint."""

    model: str
    prefix: str
    suffix: str
    max_tokens: int
    temperature: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromptRequest:
    """A raw prompt to a plain completions endpoint (FIM templates built by the server)."""

    model: str
    prompt: str
    max_tokens: int
    temperature: float | None = None
    stop: tuple[str, ...] = ()


# ---- normalized events -------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of tool call ``index``; id/name arrive once, arguments in pieces."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Finish:
    #: Normalized: "stop" | "length" | "tool_calls" | "content_filter" | provider value.
    reason: str


Event = TextDelta | ReasoningDelta | ToolCallDelta | Usage | Finish


@dataclass(frozen=True)
class DiscoveredModel:
    name: str
    task: Task | None = None
    n_ctx: int | None = None


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]]
    usage: Usage | None
