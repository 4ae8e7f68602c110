"""A recognisable key, used through a full CRUD session, shows up nowhere it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeServer, Reply
from tests.lsp.editor import RawServer

KEY = "sk-leakcheck-Zq8Rt5Wn2Lp0Vx7Hc4Mb9Kd3"
URI = "file:///work/project/main.py"


async def test_key_in_no_file_log_or_response(isolated_dirs: dict[str, Path]) -> None:
    server = await RawServer().start(env={"BYOK_LS_LOG_LEVEL": "DEBUG"})
    try:
        calls = [
            ("byok/providers/add", {"template": "openai", "apiKey": KEY}),
            ("byok/providers/list", {}),
            ("byok/providers/get", {"id": "openai"}),
            ("byok/providers/update", {"id": "openai", "apiKey": KEY, "name": "Work"}),
            ("byok/providers/add", {"template": "custom", "apiKey": KEY, "baseUrl": "not a url"}),
            ("byok/providers/add", {"template": "nope", "apiKey": KEY}),
            ("byok/providers/update", {"id": "openai", "apiKey": KEY + " with space"}),
            ("byok/active/set", {"task": "chat", "modelId": "openai/gpt-4o"}),
            ("byok/providers/remove", {"id": "openai"}),
        ]
        for method, params in calls:
            await server.request(method, params)
    finally:
        await server.close()
    assert b"Content-Length" in server.stdout and server.stderr, "nothing was captured"
    hint_responses = [
        m for m in server.messages if "result" in m and "provider" in (m["result"] or {})
    ]
    assert hint_responses
    assert all(r["result"]["provider"]["key"]["hint"] == "sk-…" + KEY[-4:] for r in hint_responses)
    assert KEY.encode() not in bytes(server.stdout)
    assert KEY.encode() not in bytes(server.stderr)
    for root in (isolated_dirs["config"], isolated_dirs["data"]):
        for file in root.rglob("*"):
            if file.is_file():
                assert KEY.encode() not in file.read_bytes(), f"key found in {file}"


# ---- keys a provider echoes back, near the point where quoted provider text is cut -----------

#: Echoed keys are hidden down to this many characters: any shorter piece is no longer a key.
FRAGMENT = 8


def key_fragments(text: bytes | str, key: str = KEY) -> list[str]:
    """Every run of FRAGMENT or more characters of ``key`` found in ``text``."""
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return sorted(
        {key[i : i + FRAGMENT] for i in range(len(key) - FRAGMENT + 1)}
        & {haystack[i : i + FRAGMENT] for i in range(len(haystack) - FRAGMENT + 1)}
    )


def echoes(pad: int) -> list[Reply]:
    """Provider answers that quote the key after ``pad`` characters of other text."""
    before = "e" * pad
    bad_json = "data: {" + before + KEY + "\n\n"
    return [
        Reply(status=400, body={"error": {"message": before + KEY, "type": "invalid_request"}}),
        Reply(status=500, body=before + KEY),  # a non-JSON error body
        Reply(status=200, body=before + KEY),  # a 200 that is not JSON at all
        Reply(stream_error={"error": {"message": before + KEY, "code": 500}}),
        Reply(garbage=bad_json.encode(), garbage_after=1),  # an SSE line that is not JSON
    ]


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize("pad", [70, 75, 290, 295, 299])
async def test_a_key_echoed_across_a_cut_reaches_no_answer_notice_or_log(
    isolated_dirs: dict[str, Path], openai_fake: FakeServer, pad: int
) -> None:
    server = await RawServer().start(env={"HF_HUB_OFFLINE": "1"})
    try:
        await server.request(
            "byok/providers/add",
            {"template": "openai", "baseUrl": openai_fake.api_base, "apiKey": KEY},
        )
        for task, model in (("chat", "gpt-4o-mini"), ("completion", "gpt-3.5-turbo-instruct")):
            await server.request("byok/active/set", {"task": task, "modelId": f"openai/{model}"})
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": "x = "}},
        )
        answers = []
        for reply in echoes(pad):
            openai_fake.queue(reply)
            answers.append(
                await server.request("byok/chat", {"messages": [{"role": "user", "content": "hi"}]})
            )
            openai_fake.queue(reply)
            answers.append(
                await server.request(
                    "textDocument/inlineCompletion",
                    {
                        "textDocument": {"uri": URI},
                        "position": {"line": 0, "character": 4},
                        "context": {"triggerKind": 1},
                    },
                )
            )
    finally:
        await server.close()
    assert any("error" in a for a in answers), answers
    assert key_fragments(bytes(server.stdout)) == []
    assert key_fragments(bytes(server.stderr)) == []
