"""Tool calls assembled from fragments, images as data URLs, and the capability checks that
refuse both before anything is sent."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes import FakeServer, ToolCall
from tests.lsp.editor import ANTHROPIC_KEY, Session, deltas, use_model, user

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
DATA_URL = f"data:image/png;base64,{PNG}"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
WEATHER_ARGS = '{"city": "Paris", "unit": "celsius"}'
TIME_ARGS = '{"tz": "Europe/Paris"}'
IMAGE_MESSAGE = {
    "role": "user",
    "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "imageUrl": {"url": DATA_URL}},
    ],
}


def tool_deltas(lsp: Session, chat_id: str) -> list[dict[str, Any]]:
    return [d["toolCall"] for d in deltas(lsp, chat_id) if d.get("toolCall")]


def assembled(fragments: list[dict[str, Any]], index: int) -> str:
    return "".join(f["arguments"] for f in fragments if f["index"] == index)


async def test_openai_tools_and_images(lsp: Session, openai_fake: FakeServer) -> None:
    await use_model(lsp, openai_fake, {"name": "gpt-4o"}, template="openai")
    openai_fake.script(
        tool_calls=[
            ToolCall("get_weather", WEATHER_ARGS, fragments=5),
            ToolCall("get_time", TIME_ARGS, fragments=3),
        ]
    )
    params = {
        "messages": user("Weather and time in Paris?"),
        "tools": [WEATHER, TIME],
        "chatId": "t1",
    }
    result = await lsp.request("byok/chat", params)
    assert result["finishReason"] == "tool_calls"
    assert result["content"] == ""
    assert result["toolCalls"] == [
        {"id": "call_fake0000", "name": "get_weather", "arguments": WEATHER_ARGS},
        {"id": "call_fake0001", "name": "get_time", "arguments": TIME_ARGS},
    ]
    fragments = tool_deltas(lsp, "t1")
    # Streamed as fragments: id and name once, at the start of each call.
    assert len(fragments) > 2
    assert fragments[0] == {
        "index": 0,
        "id": "call_fake0000",
        "name": "get_weather",
        "arguments": "",
    }
    assert assembled(fragments, 0) == WEATHER_ARGS
    assert assembled(fragments, 1) == TIME_ARGS
    assert [f["name"] for f in fragments if "name" in f] == ["get_weather", "get_time"]
    assert openai_fake.last.json["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": WEATHER["function"]["parameters"],  # type: ignore[index]
                "description": "Current weather in a city",
            },
        },
        {
            "type": "function",
            "function": {"name": "get_time", "parameters": TIME["function"]["parameters"]},
        },  # type: ignore[index]
    ]

    # The tool results go back as the next turn.
    openai_fake.script(text="It is 18°C at 15:00.")
    follow_up = [
        *user("Weather and time in Paris?"),
        {"role": "assistant", "content": "", "toolCalls": result["toolCalls"]},
        {"role": "tool", "toolCallId": "call_fake0000", "content": '{"temp": 18}'},
        {"role": "tool", "toolCallId": "call_fake0001", "content": '{"time": "15:00"}'},
    ]
    answer = await lsp.request("byok/chat", {"messages": follow_up, "tools": [WEATHER, TIME]})
    assert answer["content"] == "It is 18°C at 15:00."
    sent = openai_fake.last.json["messages"]
    assert sent[1]["tool_calls"][0] == {
        "id": "call_fake0000",
        "type": "function",
        "function": {"name": "get_weather", "arguments": WEATHER_ARGS},
    }
    assert sent[2] == {"role": "tool", "content": '{"temp": 18}', "tool_call_id": "call_fake0000"}

    # An image on a multimodal model goes through as an image_url part.
    openai_fake.script(text="A single pixel.")
    answer = await lsp.request("byok/chat", {"messages": [IMAGE_MESSAGE]})
    assert answer["content"] == "A single pixel."
    assert openai_fake.last.json["messages"][0]["content"] == [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": DATA_URL}},
    ]

    # A model without those capabilities: refused before anything is sent.
    await lsp.request(
        "byok/models/add",
        {"providerId": "openai", "model": {"name": "plain-text-model", "task": "chat"}},
    )
    sent_before = len(openai_fake.requests)
    err = await lsp.error(
        "byok/chat", {"messages": [IMAGE_MESSAGE], "modelId": "openai/plain-text-model"}
    )
    assert err.data["kind"] == "bad_request" and err.data["field"] == "messages"
    assert "image" in err.message and "openai/plain-text-model" in err.message
    err = await lsp.error(
        "byok/chat",
        {"messages": user("x"), "tools": [WEATHER], "modelId": "openai/plain-text-model"},
    )
    assert err.data["kind"] == "bad_request" and err.data["field"] == "tools"
    assert "tools" in err.message
    assert len(openai_fake.requests) == sent_before


async def test_anthropic_tools_and_images(lsp: Session, anthropic_fake: FakeServer) -> None:
    await use_model(
        lsp, anthropic_fake, {"name": "claude-sonnet-4-5"}, template="anthropic", key=ANTHROPIC_KEY
    )
    anthropic_fake.script(
        text="Let me check.",
        reasoning="The user wants the weather.",
        tool_calls=[ToolCall("get_weather", WEATHER_ARGS, id="toolu_01ABC", fragments=4)],
    )
    params = {"messages": user("Weather in Paris?"), "tools": [WEATHER], "chatId": "at"}
    result = await lsp.request("byok/chat", params)
    assert result["finishReason"] == "tool_calls"
    assert result["content"] == "Let me check."
    assert result["reasoning"] == "The user wants the weather."
    assert len(result["toolCalls"]) == 1
    call = result["toolCalls"][0]
    assert (call["id"], call["name"]) == ("toolu_01ABC", "get_weather")
    assert json.loads(call["arguments"]) == json.loads(WEATHER_ARGS)
    fragments = tool_deltas(lsp, "at")
    assert fragments[0]["id"] == "toolu_01ABC" and fragments[0]["name"] == "get_weather"
    assert assembled(fragments, 0) == call["arguments"]
    assert len([f for f in fragments if f["arguments"]]) > 1
    # Tools are translated to Anthropic's shape.
    assert anthropic_fake.last.json["tools"] == [
        {
            "name": "get_weather",
            "input_schema": WEATHER["function"]["parameters"],  # type: ignore[index]
            "description": "Current weather in a city",
        }
    ]

    # The tool call and its result become tool_use and tool_result blocks.
    anthropic_fake.script(text="18°C and sunny.")
    follow_up = [
        *user("Weather in Paris?"),
        {"role": "assistant", "content": "Let me check.", "toolCalls": result["toolCalls"]},
        {"role": "tool", "toolCallId": "toolu_01ABC", "content": '{"temp": 18}'},
    ]
    answer = await lsp.request("byok/chat", {"messages": follow_up, "tools": [WEATHER]})
    assert answer["content"] == "18°C and sunny."
    turns = anthropic_fake.last.json["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[1]["content"][-1] == {
        "type": "tool_use",
        "id": "toolu_01ABC",
        "name": "get_weather",
        "input": {"city": "Paris", "unit": "celsius"},
    }
    assert turns[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_01ABC", "content": '{"temp": 18}'}
    ]

    # Images become base64 image blocks.
    anthropic_fake.script(text="A pixel.")
    await lsp.request("byok/chat", {"messages": [IMAGE_MESSAGE]})
    blocks = anthropic_fake.last.json["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }

    # Switched off for the model: refused, nothing sent.
    await lsp.request(
        "byok/models/update",
        {
            "providerId": "anthropic",
            "name": "claude-sonnet-4-5",
            "task": "chat",
            "model": {"capabilities": {"tools": False, "multimodality": False}},
        },
    )
    sent_before = len(anthropic_fake.requests)
    err = await lsp.error("byok/chat", {"messages": [IMAGE_MESSAGE]})
    assert err.data["kind"] == "bad_request"
    err = await lsp.error("byok/chat", {"messages": user("x"), "tools": [WEATHER]})
    assert err.data["kind"] == "bad_request"
    assert len(anthropic_fake.requests) == sent_before


async def test_ollama_tool_results_sent_back_name_their_tool(
    lsp: Session, ollama_fake: FakeServer
) -> None:
    """A tool result carries only its call id; Ollama gets the tool's name from the call."""
    await use_model(
        lsp,
        ollama_fake,
        {"name": "llama3.1:8b", "capabilities": {"tools": True}},
        template="ollama",
        key=None,
    )
    ollama_fake.script(text="It is 18°C at 15:00.")
    follow_up = [
        *user("Weather and time in Paris?"),
        {
            "role": "assistant",
            "content": "",
            "toolCalls": [
                {"id": "call_w", "name": "get_weather", "arguments": WEATHER_ARGS},
                {"id": "call_t", "name": "get_time", "arguments": TIME_ARGS},
            ],
        },
        {"role": "tool", "toolCallId": "call_t", "content": '{"time": "15:00"}'},
        {"role": "tool", "toolCallId": "call_w", "content": '{"temp": 18}'},
    ]
    answer = await lsp.request("byok/chat", {"messages": follow_up, "tools": [WEATHER, TIME]})
    assert answer["content"] == "It is 18°C at 15:00."
    sent = ollama_fake.last.json["messages"]
    assert [m.get("tool_name") for m in sent if m["role"] == "tool"] == ["get_time", "get_weather"]
