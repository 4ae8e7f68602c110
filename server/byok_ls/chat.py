"""Chat requests: from ``byok/chat`` params to a streamed answer from the routed model."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from byok_ls import api
from byok_ls.completion.tokens import TokenCounter
from byok_ls.config.schema import Model
from byok_ls.counting import count_text, counter_for
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.registry import adapter_for
from byok_ls.providers.types import (
    ChatMessage,
    ChatRequest,
    ContentPart,
    Finish,
    ImagePart,
    Reasoning,
    ReasoningDelta,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from byok_ls.routing import Router, Spent, Target
from byok_ls.routing.usage import target_cost
from byok_ls.usage.records import CONVERSATION
from byok_ls.vocabulary import Capability

#: Tokens a chat format adds per message beyond its text (role markers, separators).
MESSAGE_OVERHEAD = 4
#: Smallest answer worth asking for; below this the request is refused as too long.
MIN_ANSWER_TOKENS = 16


@dataclass(frozen=True)
class Answering:
    """An attempt starts: the pieces that follow come from this model."""

    model_id: str
    #: Not the model asked for (or the active one): an earlier one failed or was skipped.
    fallback: bool


#: What a chat reports while it runs, in order: Answering, then pieces of the answer.
ChatEvent = Answering | TextDelta | ReasoningDelta | ToolCallDelta
ChatListener = Callable[[ChatEvent], None]


@dataclass
class ChatState:
    """Everything that arrived so far; survives cancellation so the caller can report it."""

    chat_id: str
    content: str = ""
    reasoning: str = ""
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    finish_reason: str = "stop"
    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False
    #: Some of the answer was reported to the listener (the user has seen it).
    delivered: bool = False

    def add(self, piece: TextDelta | ReasoningDelta | ToolCallDelta) -> None:
        self.delivered = True
        if isinstance(piece, TextDelta):
            self.content += piece.text
        elif isinstance(piece, ReasoningDelta):
            self.reasoning += piece.text
        else:
            call = self.tool_calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = piece.id or call["id"]
            call["name"] = piece.name or call["name"]
            call["arguments"] += piece.arguments


def _parts(content: str | list[api.ContentPart]) -> str | tuple[ContentPart, ...]:
    if isinstance(content, str):
        return content
    parts: list[ContentPart] = []
    for i, part in enumerate(content):
        if part.type == "text":
            parts.append(TextPart(part.text or ""))
        elif part.image_url is not None:
            parts.append(ImagePart(part.image_url.url))
        else:
            raise ByokError(
                ErrorKind.INVALID_PARAMS,
                f"content[{i}].imageUrl: required for an image_url part",
                field=f"content[{i}].imageUrl",
            )
    return tuple(parts)


def _texts(messages: tuple[ChatMessage, ...]) -> list[str]:
    out: list[str] = []
    for message in messages:
        if isinstance(message.content, str):
            out.append(message.content)
        else:
            out.extend(p.text for p in message.content if isinstance(p, TextPart))
        out.extend(call.arguments for call in message.tool_calls)
    return out


def has_images(messages: tuple[ChatMessage, ...]) -> bool:
    return any(
        not isinstance(m.content, str) and any(isinstance(p, ImagePart) for p in m.content)
        for m in messages
    )


def to_messages(params: api.ChatParams) -> tuple[ChatMessage, ...]:
    # A tool result names its tool only by call id; formats that key results by the tool's
    # name (Ollama's tool_name) need the name of the assistant call it answers.
    names: dict[str, str] = {}
    out: list[ChatMessage] = []
    for m in params.messages:
        calls = tuple(ToolCall(c.id, c.name, c.arguments) for c in m.tool_calls or ())
        names.update((c.id, c.name) for c in calls)
        out.append(
            ChatMessage(
                role=m.role,
                content=_parts(m.content),
                tool_calls=calls,
                tool_call_id=m.tool_call_id,
                name=names.get(m.tool_call_id) if m.tool_call_id else None,
            )
        )
    return tuple(out)


def lacking(model: Model, needs: tuple[Capability, ...]) -> str | None:
    """Which of ``needs`` the model's capabilities leave off, said for an error; None if none."""
    missing = [name for name in needs if not getattr(model.capabilities, name)]
    return " and ".join(f"no {name} capability" for name in missing) or None


class ChatService:
    def __init__(self, router: Router) -> None:
        self.router = router

    def check_capabilities(
        self, target: Target, messages: tuple[ChatMessage, ...], tools: bool
    ) -> None:
        model = target.model
        if has_images(messages) and not model.capabilities.multimodality:
            raise ByokError(
                ErrorKind.BAD_REQUEST,
                f"{target.model_id} does not accept images (multimodality is off for this "
                "model): remove the image or pick a multimodal model (Configure Providers).",
                provider_id=target.provider.id,
                model=model.name,
                field="messages",
            )
        if tools and not model.capabilities.tools:
            raise ByokError(
                ErrorKind.BAD_REQUEST,
                f"{target.model_id} is not set up for tools (capabilities.tools is off): "
                "enable it for the model or send the request without tools.",
                provider_id=target.provider.id,
                model=model.name,
                field="tools",
            )

    async def build_request(
        self, target: Target, params: api.ChatParams, messages: tuple[ChatMessage, ...]
    ) -> tuple[ChatRequest, int, bool]:
        model: Model = target.model
        counter = await counter_for(model.tokenizer)
        input_tokens = count_text(counter, *_texts(messages)) + MESSAGE_OVERHEAD * len(messages)
        settings = self.router.config.config.settings
        wanted = params.max_tokens or model.max_output_tokens or settings.chat_max_tokens
        room = model.n_ctx - input_tokens
        if room < MIN_ANSWER_TOKENS:
            label = "about " if counter.estimated else ""
            raise ByokError(
                ErrorKind.CONTEXT_TOO_LONG,
                f"The conversation has {label}{input_tokens} tokens but {target.model_id} has a "
                f"context window of {model.n_ctx}: shorten it or pick a model with a larger "
                "context window.",
                provider_id=target.provider.id,
                model=model.name,
                extra={"inputTokens": input_tokens, "nCtx": model.n_ctx},
            )
        max_tokens = min(wanted, room)
        reasoning = Reasoning(style=model.reasoning_style)
        if model.reasoning_style == "openai":
            effort = params.reasoning.effort if params.reasoning else None
            reasoning = Reasoning("openai", effort=effort or "medium")
        elif model.reasoning_style == "anthropic":
            asked = params.reasoning.budget_tokens if params.reasoning else None
            budget = asked or max(1024, min(8192, max_tokens // 2))
            if budget >= max_tokens:
                max_tokens = min(room, budget + 1024)
            if budget < max_tokens:
                reasoning = Reasoning("anthropic", budget_tokens=budget)
        temperature = params.temperature
        if temperature is None:
            temperature = model.default_temperature
        tools = tuple(
            Tool(t.function.name, t.function.description, t.function.parameters)
            for t in params.tools or ()
        )
        request = ChatRequest(
            model=model.name,
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
            reasoning=reasoning,
            tools=tools,
        )
        return request, input_tokens, counter.estimated

    async def run(
        self,
        params: api.ChatParams,
        state: ChatState,
        listener: ChatListener,
        messages: tuple[ChatMessage, ...] | None = None,
        needs: tuple[Capability, ...] = (),
    ) -> api.ChatResult:
        """Route the chat and stream its answer to ``listener``; ``state`` holds what
        arrived, also when this raises or is cancelled. ``messages`` replace the params'
        own (attachments added, or an agent loop's turns). Fallbacks without ``needs`` (and
        without what the images and tools of the request need) are skipped."""
        # This task serves one conversation: its usage records carry the chat id.
        CONVERSATION.set(state.chat_id)
        attempt = _ChatAttempt(self, params, state, listener, messages)
        needs = (
            *needs,
            *(("multimodality",) if has_images(attempt.messages) else ()),
            *(("tools",) if params.tools and "tools" not in needs else ()),
        )

        def unfit(target: Target) -> str | None:
            # The model asked for answers for itself: check_capabilities says what to change.
            return lacking(target.model, needs) if target.fallback else None

        _, target = await self.router.run_streamed("chat", params.model_id, attempt, unfit)
        calls = [
            api.ToolCallView(id=c["id"], name=c["name"], arguments=c["arguments"])
            for _, c in sorted(state.tool_calls.items())
        ]
        return api.ChatResult(
            content=state.content,
            reasoning=state.reasoning or None,
            tool_calls=calls or None,
            finish_reason=state.finish_reason,
            usage=api.UsageView(input_tokens=state.input_tokens, output_tokens=state.output_tokens),
            model_id=target.model_id,
            fallback=target.fallback,
            cost_usd=target_cost(target, state.input_tokens, state.output_tokens),
        )


class _ChatAttempt:
    """One streamed answer per target; what the user saw of it is counted if it breaks off."""

    def __init__(
        self,
        service: ChatService,
        params: api.ChatParams,
        state: ChatState,
        listener: ChatListener,
        messages: tuple[ChatMessage, ...] | None = None,
    ) -> None:
        self.service = service
        self.params = params
        self.messages = to_messages(params) if messages is None else messages
        self.state = state
        self.listener = listener
        #: Set by each attempt: what a broken-off answer is counted with.
        self.counting: tuple[TokenCounter, int] | None = None

    def shown(self) -> Spent | None:
        state = self.state
        if not state.delivered or self.counting is None:
            return None
        counter, counted_input = self.counting
        arguments = (c["arguments"] for c in state.tool_calls.values())
        output = count_text(counter, state.content, state.reasoning, *arguments)
        return Spent(counted_input, output, estimated=True)

    async def __call__(self, target: Target) -> ChatState:
        state, params, messages = self.state, self.params, self.messages
        self.service.check_capabilities(target, messages, bool(params.tools))
        request, counted_input, _ = await self.service.build_request(target, params, messages)
        counter = await counter_for(target.model.tokenizer)
        self.counting = (counter, counted_input)
        usage: Usage | None = None
        tell = self.listener
        tell(Answering(target.model_id, target.fallback))
        async for event in adapter_for(target.endpoint).chat(request, stream=True):
            if isinstance(event, Usage):
                usage = event
            elif isinstance(event, Finish):
                state.finish_reason = event.reason
            elif isinstance(event, TextDelta | ReasoningDelta | ToolCallDelta):
                state.add(event)
                tell(event)
        if usage is not None:
            state.input_tokens, state.output_tokens = usage.input_tokens, usage.output_tokens
            state.estimated = False
        else:
            state.input_tokens = counted_input
            state.output_tokens = count_text(counter, state.content, state.reasoning)
            state.estimated = True
        return state


def new_chat_id() -> str:
    return uuid.uuid4().hex
