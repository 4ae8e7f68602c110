"""``byok/vocabulary``: the server tells clients the words it understands."""

from __future__ import annotations

from byok_ls.errors import CODES
from byok_ls.vocabulary import FIM_FAMILIES
from tests.lsp.editor import Session


async def test_vocabulary_is_the_servers_own(lsp: Session) -> None:
    """Every FIM family the server can build a prompt for (starcoder2 included), the
    tasks, and the fixed error codes; a model using each family is accepted."""
    words = await lsp.request("byok/vocabulary", {})
    assert words["fimFamilies"] == list(FIM_FAMILIES) and "starcoder2" in words["fimFamilies"]
    assert words["fimModes"] == ["native", "chat"]
    assert words["tasks"] == ["chat", "completion", "embeddings"]
    assert words["reasoningStyles"] == ["none", "openai", "anthropic", "deepseek"]
    assert words["capabilities"] == ["tools", "multimodality", "clicks", "agent"]
    assert "llamacpp" in words["wireFormats"]
    assert words["errorCodes"] == {kind.value: code for kind, code in CODES.items()}
    assert words["errorCodes"]["missing_key"] == -32023

    await lsp.request(
        "byok/providers/add", {"template": "custom", "id": "local", "baseUrl": "http://127.0.0.1:9"}
    )
    for family in words["fimFamilies"]:
        model = {"name": family, "task": "completion", "fim": f"template:{family}"}
        added = await lsp.request("byok/models/add", {"providerId": "local", "model": model})
        assert added["model"]["fim"] == f"template:{family}"
