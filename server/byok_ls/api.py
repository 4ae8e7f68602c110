"""Params and results of every ``byok/*`` method (camelCase on the wire).

These models validate what clients send and are the source of ``schemas/lsp-api.schema.json``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from byok_ls.config.schema import (
    Base,
    BaseUrl,
    Budget,
    Capabilities,
    Model,
    ModelId,
    Name,
    Prices,
    ReasoningStyle,
    Task,
)
from byok_ls.errors import CODES
from byok_ls.providers.types import ProbeStatus
from byok_ls.vocabulary import (
    CAPABILITIES,
    FIM_FAMILIES,
    FIM_MODES,
    REASONING_STYLES,
    TASKS,
    WIRE_FORMATS,
    Capability,
    WireFormat,
)


class Empty(Base):
    pass


# ---- templates ---------------------------------------------------------------------------


class TemplateView(Base):
    id: str
    name: str
    wire_format: str
    base_url: str
    needs_key: bool
    key_env: str | None
    tasks: list[Task]
    models: list[Model]
    docs_url: str | None
    local: bool = False
    default_fim: str


class TemplatesResult(Base):
    templates: list[TemplateView]


# ---- providers ---------------------------------------------------------------------------


class KeyView(Base):
    present: bool
    source: Literal["keyring", "env", "file"] | None
    hint: str | None


class ProviderView(Base):
    id: str
    template: str
    name: str
    enabled: bool
    base_url: str
    api_key_env: str | None
    allow_insecure_http: bool
    budget: Budget | None
    key: KeyView
    models: list[Model]


class ProvidersResult(Base):
    providers: list[ProviderView]


class ProviderResult(Base):
    provider: ProviderView


class ProviderIdParams(Base):
    id: str = Field(min_length=1)


class ProviderAddParams(Base):
    template: str = Field(min_length=1)
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: Name | None = Field(default=None, min_length=1, max_length=100)
    base_url: BaseUrl | None = None
    api_key: str | None = Field(default=None, repr=False, max_length=4096)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    enabled: bool = True
    allow_insecure_http: bool = False
    budget: Budget | None = None


class ProviderUpdateParams(Base):
    id: str = Field(min_length=1)
    name: Name | None = Field(default=None, min_length=1, max_length=100)
    base_url: BaseUrl | None = None
    api_key: str | None = Field(default=None, repr=False, max_length=4096)
    api_key_env: str | None = Field(default=None, pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")
    enabled: bool | None = None
    allow_insecure_http: bool | None = None
    budget: Budget | None = None


class Removed(Base):
    removed: Literal[True] = True


class TestResult(Base):
    ok: bool
    status: ProbeStatus
    latency_ms: float
    message: str
    models_found: int


class DiscoveredModelView(Base):
    name: str
    task: Task | None = None
    n_ctx: int | None = None


class DiscoverResult(Base):
    models: list[DiscoveredModelView]


class DetectedView(Base):
    template: str
    base_url: str
    models: list[str]


class DetectResult(Base):
    found: list[DetectedView]


# ---- models ------------------------------------------------------------------------------


class ModelAddParams(Base):
    provider_id: str = Field(min_length=1)
    model: Model


class ModelPatch(Base):
    """A partial model: only the fields given change."""

    name: Name | None = Field(default=None, min_length=1, max_length=200)
    n_ctx: int | None = Field(default=None, gt=0, le=10_000_000)
    tokenizer: str | None = None
    default_temperature: float | None = Field(default=None, ge=0, le=2)
    reasoning_style: ReasoningStyle | None = None
    capabilities: Capabilities | None = None
    fim: str | None = None
    max_output_tokens: int | None = Field(default=None, gt=0)
    prices: Prices | None = None


class ModelUpdateParams(Base):
    provider_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    task: Task
    model: ModelPatch


class ModelRemoveParams(Base):
    provider_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    task: Task


class ModelResult(Base):
    model: Model


# ---- active ------------------------------------------------------------------------------


class FallbacksView(Base):
    chat: list[str]
    completion: list[str]
    embeddings: list[str]


class ActiveResult(Base):
    chat: str | None
    completion: str | None
    embeddings: str | None
    fallbacks: FallbacksView


class ActiveSetParams(Base):
    task: Task
    model_id: ModelId | None
    fallbacks: list[ModelId] | None = None


# ---- chat, completion, embeddings -----------------------------------------------------------


class Verbatim(Base):
    """Text kept exactly as given: leading spaces and trailing newlines matter in code."""

    model_config = ConfigDict(str_strip_whitespace=False)


class ImageUrl(Base):
    url: str = Field(min_length=1)


class ContentPart(Verbatim):
    type: Literal["text", "image_url"]
    text: str | None = None
    image_url: ImageUrl | None = None


class ToolCallView(Verbatim):
    id: str
    name: str
    arguments: str


class ChatMessageParams(Verbatim):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | list[ContentPart]
    tool_calls: list[ToolCallView] | None = None
    tool_call_id: str | None = None


class ToolFunction(Base):
    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class ToolParams(Base):
    type: Literal["function"] = "function"
    function: ToolFunction


class ReasoningParams(Base):
    effort: Literal["low", "medium", "high"] | None = None
    budget_tokens: int | None = Field(default=None, ge=1024)


class ContextItem(Verbatim):
    """Something the user attached to the question: a selection (with its text) or a file
    (read by the server from the workspace)."""

    kind: Literal["selection", "file"]
    uri: str = Field(min_length=1)
    range: RangeView | None = None
    text: str | None = None


class ChatParams(Base):
    messages: list[ChatMessageParams] = Field(min_length=1)
    model_id: ModelId | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    reasoning: ReasoningParams | None = None
    tools: list[ToolParams] | None = None
    chat_id: str | None = Field(default=None, max_length=200)
    #: "agent": the server runs the tool loop in the workspace (agent/).
    mode: Literal["ask", "agent"] = "ask"
    context: list[ContextItem] | None = Field(default=None, max_length=50)
    #: Agent mode: most model requests in one loop (default: settings.agent.max_steps).
    max_steps: int | None = Field(default=None, ge=1, le=500)
    #: Agent mode: input plus output tokens the whole loop may use
    #: (default: settings.agent.token_budget).
    token_budget: int | None = Field(default=None, gt=0)


class UsageView(Base):
    input_tokens: int
    output_tokens: int


class ChatResult(Verbatim):
    content: str
    reasoning: str | None = None
    tool_calls: list[ToolCallView] | None = None
    finish_reason: str
    usage: UsageView
    model_id: str
    fallback: bool = False
    #: Agent mode: model requests made, and the assistant and tool turns the loop added
    #: (send them back with the next question to continue the conversation).
    steps: int | None = None
    messages: list[ChatMessageParams] | None = None
    #: What this answer cost at the model's prices; None when the model has none (local).
    cost_usd: float | None = None


class ChatDelta(Verbatim):
    chat_id: str
    index: int
    model_id: str
    #: The model serving this answer is a fallback (the active one failed or is skipped).
    fallback: bool = False
    text: str | None = None
    reasoning: str | None = None
    tool_call: dict[str, Any] | None = None


class ConfigChanged(Base):
    """``byok/config/changed``: the stored configuration changed (this server, another
    window or a hand edit); read it again."""

    revision: int


class TokensCountParams(Verbatim):
    text: str | None = Field(default=None, max_length=4_000_000)
    texts: list[str] | None = Field(default=None, max_length=10_000)
    model_id: ModelId | None = None


class TokensCountResult(Base):
    tokens: int
    #: The model's context window, when known.
    n_ctx: int | None
    #: True when no tokenizer is configured and the count is a character-based estimate.
    estimated: bool
    model_id: str | None


class TextDocumentId(Base):
    uri: str = Field(min_length=1)


class PositionParams(Base):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class CompleteParams(Base):
    text_document: TextDocumentId
    position: PositionParams
    model_id: ModelId | None = None


class RangeView(Base):
    start: PositionParams
    end: PositionParams


class CompletionItemView(Verbatim):
    insert_text: str
    range: RangeView | None = None


class CompleteResult(Base):
    items: list[CompletionItemView]
    model_id: str | None
    #: Served by a fallback model because the active one failed or is skipped.
    fallback: bool = False


class EmbeddingsParams(Verbatim):
    input: list[str] = Field(min_length=1)
    model_id: ModelId | None = None


class EmbeddingsResult(Base):
    vectors: list[list[float]]
    model_id: str
    usage: UsageView | None


# ---- usage and status --------------------------------------------------------------------


GroupBy = Literal["provider", "model", "task", "day"]


#: Latest instant the usage report can name (the end of year 9999, in unix seconds).
MAX_TIMESTAMP = 253_402_300_799.0


class UsageParams(Base):
    since: float | None = Field(default=None, ge=0, le=MAX_TIMESTAMP, allow_inf_nan=False)
    until: float | None = Field(default=None, ge=0, le=MAX_TIMESTAMP, allow_inf_nan=False)
    group_by: list[GroupBy] | None = None


class UsageRow(Base):
    provider_id: str | None = None
    model: str | None = None
    task: str | None = None
    day: str | None = None
    requests: int
    input_tokens: int
    output_tokens: int
    #: Sum over requests with a known price; None when none had one.
    cost_usd: float | None
    errors: int
    #: Some token counts were estimated, not reported by the provider.
    estimated: bool
    fallbacks: int


class UsageResult(Base):
    rows: list[UsageRow]
    totals: UsageRow


class ProviderStatus(Base):
    id: str
    #: "ok" or the error kind of the last request that reached this provider.
    last_outcome: str | None
    #: Seconds this provider is still skipped after out_of_credit / auth_failed (0: not).
    cool_down_s: float
    #: Why it is skipped (out_of_credit, auth_failed, ...), while it is.
    cool_down_kind: str | None = None
    spent_today_usd: float
    budget_daily_usd: float | None
    spent_month_usd: float = 0.0
    budget_monthly_usd: float | None = None


class StatusResult(Base):
    providers: list[ProviderStatus]
    config_problem: str | None = None
    #: Why usage cannot be saved or read right now (None: it can).
    usage_problem: str | None = None
    #: Set after a damaged usage database was moved aside and a new one started.
    usage_repair: str | None = None
    checked_at: float
    #: Longest the event loop was kept busy since the previous byok/status answer (or
    #: start-up), in ms; only when the server runs with BYOK_LS_LOOP_MONITOR=1.
    loop_lag_max_ms: float | None = None


# ---- vocabulary --------------------------------------------------------------------------


class VocabularyResult(Base):
    """The words the server understands, for clients to offer in their menus (and to
    validate with) instead of keeping copies that drift."""

    tasks: list[Task]
    #: ``fim`` values besides ``template:<family>``.
    fim_modes: list[str]
    #: Families for ``fim: template:<family>``.
    fim_families: list[str]
    reasoning_styles: list[ReasoningStyle]
    capabilities: list[Capability]
    wire_formats: list[WireFormat]
    #: The JSON-RPC error code of each ``data.kind``.
    error_codes: dict[str, int]


def vocabulary() -> VocabularyResult:
    return VocabularyResult(
        tasks=list(TASKS),
        fim_modes=list(FIM_MODES),
        fim_families=list(FIM_FAMILIES),
        reasoning_styles=list(REASONING_STYLES),
        capabilities=list(CAPABILITIES),
        wire_formats=list(WIRE_FORMATS),
        error_codes={kind.value: code for kind, code in CODES.items()},
    )
