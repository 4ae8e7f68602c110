"""A recognisable key, used through a full CRUD session, shows up nowhere it must not."""

from __future__ import annotations

from pathlib import Path

from tests.lsp.raw import RawServer

KEY = "sk-leakcheck-Zq8Rt5Wn2Lp0Vx7Hc4Mb9Kd3"


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
