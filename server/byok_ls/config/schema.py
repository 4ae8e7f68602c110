"""The configuration file's shape: settings, providers, models, active selection, fallbacks.

Field names are snake_case in ``config.yaml`` and camelCase on the wire (LSP); both spellings
validate. Unknown fields are errors, so a typo in a hand-edited file is reported, not ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from byok_ls.vocabulary import (
    FIM_FAMILIES,
    FIM_MODES,
    FIM_TEMPLATE_PREFIX,
    TASKS,
    ReasoningStyle,
    Task,
    WireFormat,
)

__all__ = ["FIM_FAMILIES", "TASKS", "ReasoningStyle", "Task"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Base(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=False,
        str_strip_whitespace=True,
        # Validators are built on first use: start-up only pays for the models it touches.
        defer_build=True,
    )


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not a valid URL (expected http:// or https:// with a host)")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query or fragment")
    return value.rstrip("/")


def _check_fim(value: str | None) -> str | None:
    if value is None or value in FIM_MODES:
        return value
    if value.startswith(FIM_TEMPLATE_PREFIX):
        family = value.removeprefix(FIM_TEMPLATE_PREFIX)
        if family in FIM_FAMILIES:
            return value
        raise ValueError(f"unknown FIM family {family!r} (known: {', '.join(FIM_FAMILIES)})")
    raise ValueError("must be 'native', 'chat' or 'template:<family>'")


def _check_model_id(value: str | None) -> str | None:
    if value is None:
        return None
    provider, sep, model = value.partition("/")
    if not sep or not provider or not model:
        raise ValueError("must look like '<provider id>/<model name>'")
    return value


#: What YAML reads as a line break (CR, LF, U+0085, U+2028, U+2029) and the other control
#: characters: a name holding one would not read back as it was saved (U+0085 becomes a
#: space, so "a y" and "a<U+0085>y" would turn into a duplicate model on the next start).
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _check_one_line(value: str) -> str:
    found = _NOT_ONE_LINE.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        raise ValueError(f"must be a single line without control characters (found {code})")
    return value


BaseUrl = Annotated[str, AfterValidator(_check_one_line), AfterValidator(_check_base_url)]
ModelId = Annotated[str, AfterValidator(_check_one_line), AfterValidator(_check_model_id)]
#: A display name or model name: free text on one line.
Name = Annotated[str, AfterValidator(_check_one_line)]


class Capabilities(Base):
    tools: bool = False
    multimodality: bool = False
    clicks: bool = False
    agent: bool = False


class Prices(Base):
    """USD per million tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class Model(Base):
    name: Name = Field(min_length=1, max_length=200)
    task: Task = "chat"
    n_ctx: int = Field(default=8192, gt=0, le=10_000_000)
    tokenizer: str | None = None
    default_temperature: float | None = Field(default=None, ge=0, le=2)
    reasoning_style: ReasoningStyle = "none"
    capabilities: Capabilities = Field(default_factory=Capabilities)
    fim: Annotated[str | None, AfterValidator(_check_fim)] = None
    max_output_tokens: int | None = Field(default=None, gt=0)
    prices: Prices | None = None

    @model_validator(mode="after")
    def _fim_only_for_completion(self) -> Model:
        if self.fim is not None and self.task != "completion":
            raise ValueError("fim is only for completion models")
        if self.max_output_tokens is not None and self.max_output_tokens >= self.n_ctx:
            raise ValueError("max_output_tokens must be smaller than n_ctx")
        return self


class Budget(Base):
    daily_usd: float | None = Field(default=None, gt=0)
    monthly_usd: float | None = Field(default=None, gt=0)


class Provider(Base):
    id: str = Field(pattern=_SLUG.pattern)
    template: str = Field(min_length=1)
    name: Name = Field(min_length=1, max_length=100)
    enabled: bool = True
    base_url: BaseUrl
    api_key_env: str | None = Field(default=None, pattern=_ENV_NAME.pattern)
    allow_insecure_http: bool = False
    budget: Budget | None = None
    models: list[Model] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_models(self) -> Provider:
        seen: set[tuple[str, str]] = set()
        for index, model in enumerate(self.models):
            key = (model.name, model.task)
            if key in seen:
                raise ValueError(f"models[{index}]: duplicate {model.task} model {model.name!r}")
            seen.add(key)
        return self

    def find_model(self, name: str, task: Task | None = None) -> Model | None:
        for model in self.models:
            if model.name == name and (task is None or model.task == task):
                return model
        return None


class Active(Base):
    chat: ModelId | None = None
    completion: ModelId | None = None
    embeddings: ModelId | None = None


class Fallbacks(Base):
    chat: list[ModelId] = Field(default_factory=list)
    completion: list[ModelId] = Field(default_factory=list)
    embeddings: list[ModelId] = Field(default_factory=list)


class AgentSettings(Base):
    """Agent mode (``byok/chat`` with ``mode: agent``)."""

    #: Offer the ``run_command`` tool (each command still needs the user's approval).
    allow_commands: bool = False
    #: Most model requests in one agent loop.
    max_steps: int = Field(default=25, ge=1, le=500)
    #: Input plus output tokens one agent loop may use over all its steps.
    token_budget: int = Field(default=400_000, gt=0)
    #: A command still running after this long is stopped.
    command_timeout_s: float = Field(default=60, gt=0, le=3600)


class Settings(Base):
    #: How long a provider that failed with out_of_credit/auth_failed is skipped.
    cooldown_s: float = Field(default=600, ge=0)
    connect_timeout_s: float = Field(default=5, gt=0, le=120)
    read_timeout_s: float = Field(default=60, gt=0, le=3600)
    completion_timeout_s: float = Field(default=10, gt=0, le=600)
    completion_max_tokens: int = Field(default=128, gt=0, le=8192)
    chat_max_tokens: int = Field(default=4096, gt=0)
    #: Opt-in plain-file key store (mode 0600) for machines without a keyring backend.
    key_file_store: bool = False
    agent: AgentSettings = Field(default_factory=AgentSettings)


class Config(Base):
    version: Literal[1] = 1
    revision: int = Field(default=0, ge=0)
    settings: Settings = Field(default_factory=Settings)
    providers: list[Provider] = Field(default_factory=list)
    active: Active = Field(default_factory=Active)
    fallbacks: Fallbacks = Field(default_factory=Fallbacks)

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for index, provider in enumerate(self.providers):
            if provider.id in seen:
                raise ValueError(f"providers[{index}].id: duplicate provider id {provider.id!r}")
            seen.add(provider.id)
        return self

    def find_provider(self, provider_id: str) -> Provider | None:
        for provider in self.providers:
            if provider.id == provider_id:
                return provider
        return None


class TemplateModel(Model):
    """A template's known model; same fields as a configured model."""


class Template(Base):
    id: str = Field(pattern=_SLUG.pattern)
    name: str
    wire_format: WireFormat
    base_url: BaseUrl
    needs_key: bool = True
    key_env: str | None = None
    tasks: list[Task]
    docs_url: str | None = None
    #: Declarative vendor quirks, passed to ``providers.types.Profile``.
    profile: dict[str, object] = Field(default_factory=dict)
    #: Default FIM mode for completion models that do not set one.
    default_fim: str = "chat"
    local: bool = False
    models: list[Model] = Field(default_factory=list)
