"""A provider whose template needs a key and has none is refused here: nothing is sent."""

from __future__ import annotations

from tests.fakes import FakeServer
from tests.lsp.editor import CHAT_KEY as KEY
from tests.lsp.editor import Session, user

MISSING_KEY_CODE = -32023


async def test_chat_without_a_key_is_refused_before_sending(
    lsp: Session, openai_fake: FakeServer
) -> None:
    """No stored key and an unset apiKeyEnv: the fake never hears of it, the message says
    how to fix it."""
    await lsp.request(
        "byok/providers/add",
        {
            "template": "openai",
            "id": "nokey",
            "baseUrl": openai_fake.api_base,
            "apiKeyEnv": "BYOK_TEST_UNSET_KEY_VARIABLE",
        },
    )
    err = await lsp.error("byok/chat", {"messages": user("hello"), "modelId": "nokey/gpt-4o-mini"})
    assert err.code == MISSING_KEY_CODE, err
    assert err.data is not None and err.data["kind"] == "missing_key"
    assert err.data["providerId"] == "nokey"
    for remedy in ("Configure Providers", "byok-ls providers update nokey --ask-key", "apiKeyEnv"):
        assert remedy in err.message, err.message
    assert openai_fake.requests == []


async def test_a_provider_without_a_key_falls_back(
    lsp: Session, openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    """The fallback with a key answers; the keyless provider is told about once."""
    deepseek_fake.expect_key = KEY
    await lsp.request(
        "byok/providers/add", {"template": "openai", "id": "nokey", "baseUrl": openai_fake.api_base}
    )
    await lsp.request(
        "byok/providers/add",
        {"template": "deepseek", "id": "ds", "baseUrl": deepseek_fake.api_base, "apiKey": KEY},
    )
    await lsp.request(
        "byok/active/set",
        {"task": "chat", "modelId": "nokey/gpt-4o-mini", "fallbacks": ["ds/deepseek-chat"]},
    )
    result = await lsp.request("byok/chat", {"messages": user("hello")})
    assert result["modelId"] == "ds/deepseek-chat" and result["fallback"] is True
    assert openai_fake.requests == []
    assert len(deepseek_fake.requests) == 1
