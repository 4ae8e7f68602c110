"""Chat requests: from ``byok/chat`` params to a streamed answer from the routed model."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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

#: Tokens a chat format adds per message beyond its text (role markers, separators).
MESSAGE_OVERHEAD = 4
#: Smallest answer worth asking for; below this the request is refused as too long.
MIN_ANSWER_TOKENS = 16

DeltaSink = Callable[[dict[str, Any]], None]


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
    index: int = 0
    delivered: bool = False

    def partial(self) -> dict[str, Any]:
        data: dict[str, Any] = {"chatId": self.chat_id, "content": self.content}
        if self.reasoning:
            data["reasoning"] = self.reasoning
        return data


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
    return tuple(
        ChatMessage(
            role=m.role,
            content=_parts(m.content),
            tool_calls=tuple(ToolCall(c.id, c.name, c.arguments) for c in m.tool_calls or ()),
            tool_call_id=m.tool_call_id,
        )
        for m in params.messages
    )


class DeltaStream:
    """Sends ``byok/chat/delta`` notifications for one attempt, in order.

    The first piece of a burst goes out at once; pieces of the same kind that follow within
    the same event-loop turn (a backlog read from the socket at once) are merged into one
    notification sent on the next turn, so a fast stream costs the client far fewer
    messages without delaying the first one.
    """

    __slots__ = ("_base", "_pending", "_scheduled", "_sink", "_state")

    def __init__(self, state: ChatState, target: Target, sink: DeltaSink) -> None:
        self._state = state
        self._sink = sink
        self._base = {
            "chatId": state.chat_id,
            "modelId": target.model_id,
            "fallback": target.fallback,
        }
        self._pending: dict[str, Any] | None = None
        self._scheduled = False

    def add(self, kind: str, text: str) -> None:
        self._state.delivered = True
        if not self._scheduled:
            # First piece of a burst: out at once; later pieces of this loop turn wait.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)
            self.flush()
            self._send({kind: text})
            return
        pending = self._pending
        if pending is not None and kind in pending:
            pending[kind] += text
        else:
            self.flush()
            self._pending = {kind: text}

    def tool_call(self, fragment: dict[str, Any]) -> None:
        self._state.delivered = True
        self.flush()
        self._send({"toolCall": fragment})

    def _flush_soon(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._send(pending)

    def _send(self, payload: dict[str, Any]) -> None:
        state = self._state
        self._sink({**self._base, "index": state.index, **payload})
        state.index += 1


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
        self, params: api.ChatParams, state: ChatState, on_delta: DeltaSink
    ) -> api.ChatResult:
        attempt = _ChatAttempt(self, params, state, on_delta)
        _, target = await self.router.run_streamed("chat", params.model_id, attempt)
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
        )


class _ChatAttempt:
    """One streamed answer per target; what the user saw of it is counted if it breaks off."""

    def __init__(
        self, service: ChatService, params: api.ChatParams, state: ChatState, sink: DeltaSink
    ) -> None:
        self.service = service
        self.params = params
        self.messages = to_messages(params)
        self.state = state
        self.sink = sink
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
        out = DeltaStream(state, target, self.sink)
        try:
            async for event in adapter_for(target.endpoint).chat(request, stream=True):
                if isinstance(event, TextDelta):
                    state.content += event.text
                    out.add("text", event.text)
                elif isinstance(event, ReasoningDelta):
                    state.reasoning += event.text
                    out.add("reasoning", event.text)
                elif isinstance(event, ToolCallDelta):
                    call = state.tool_calls.setdefault(
                        event.index, {"id": "", "name": "", "arguments": ""}
                    )
                    call["id"] = event.id or call["id"]
                    call["name"] = event.name or call["name"]
                    call["arguments"] += event.arguments
                    fragment: dict[str, Any] = {
                        "index": event.index,
                        "arguments": event.arguments,
                    }
                    if event.id:
                        fragment["id"] = event.id
                    if event.name:
                        fragment["name"] = event.name
                    out.tool_call(fragment)
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finish):
                    state.finish_reason = event.reason
        finally:
            # Whatever happens next (result, error, cancellation), the client has seen
            # every piece that went into state.content first.
            out.flush()
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
