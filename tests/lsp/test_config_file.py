"""The config file as users and other editor windows touch it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import yaml

from tests.lsp.editor import RawServer, Session, start_session, stop_session


async def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_hand_edit_is_picked_up_and_announced(
    lsp: Session, isolated_dirs: dict[str, Path]
) -> None:
    await lsp.request("byok/providers/add", {"template": "ollama"})
    await wait_until(lambda: len(lsp.received("byok/config/changed")) >= 1)
    path = isolated_dirs["config"] / "config.yaml"
    text = path.read_text().replace("name: Ollama", "name: My GPU box  # renamed by hand")
    path.write_text(text)
    await wait_until(lambda: len(lsp.received("byok/config/changed")) >= 2)
    got = await lsp.request("byok/providers/get", {"id": "ollama"})
    assert got["provider"]["name"] == "My GPU box"
    # A later save by the server keeps the user's comment.
    await lsp.request("byok/providers/update", {"id": "ollama", "enabled": False})
    assert "# renamed by hand" in path.read_text()


async def test_broken_file_is_reported_never_overwritten_and_last_good_kept(
    lsp: Session, isolated_dirs: dict[str, Path]
) -> None:
    await lsp.request("byok/providers/add", {"template": "ollama"})
    path = isolated_dirs["config"] / "config.yaml"
    good = path.read_text()
    broken = good.replace("n_ctx: 32768", "n_ctx: -5")
    assert broken != good
    path.write_text(broken)
    await wait_until(lambda: any("broken" in m.message for m in lsp.client.messages))
    message = next(m.message for m in lsp.client.messages if "broken" in m.message)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "n_ctx: -5" in text)
    assert f"config.yaml:{line}" in message
    assert "providers[0].models[0].n_ctx" in message
    # Reads keep serving the last good config; writes refuse and leave the file alone.
    listed = await lsp.request("byok/providers/list", {})
    assert listed["providers"][0]["models"][0]["nCtx"] == 32768
    err = await lsp.error("byok/providers/add", {"template": "openai"})
    assert err.data["kind"] == "config_invalid"
    assert err.data["problem"]["line"] == line
    assert path.read_text() == broken
    # Invalid YAML as well.
    path.write_text("providers: [unclosed\n")
    err = await lsp.error("byok/providers/add", {"template": "openai"})
    assert err.data["kind"] == "config_invalid" and "YAML" in err.message
    # Fixing the file makes it usable again.
    path.write_text(good)
    await wait_until(lambda: len(lsp.received("byok/config/changed")) >= 2)
    await lsp.request("byok/providers/add", {"template": "openai"})


async def test_two_servers_writing_at_once_lose_no_update() -> None:
    one, two = await asyncio.gather(start_session(), start_session())
    try:
        adds = [
            session.request("byok/providers/add", {"template": "custom", "id": f"{tag}-{i}"})
            for i in range(12)
            for session, tag in ((one, "one"), (two, "two"))
        ]
        await asyncio.gather(*adds)
        ids = {p["id"] for p in (await one.request("byok/providers/list", {}))["providers"]}
        assert ids == {f"{tag}-{i}" for i in range(12) for tag in ("one", "two")}
        # The other window sees every save at once (reads check the file first).
        ids_two = {p["id"] for p in (await two.request("byok/providers/list", {}))["providers"]}
        assert ids_two == ids
    finally:
        await asyncio.gather(stop_session(one), stop_session(two))


async def test_sigkill_during_saves_never_leaves_a_broken_file(
    isolated_dirs: dict[str, Path],
) -> None:
    path = isolated_dirs["config"] / "config.yaml"
    rng = random.Random(7)
    seen_counts: set[int] = set()
    for round_ in range(8):
        server = await RawServer().start()
        # The first save warms the server up, so the kill lands inside the stream that follows.
        await server.request("byok/providers/add", {"template": "custom", "id": f"r{round_}-warm"})
        old_ids = [p["id"] for p in yaml.safe_load(path.read_text())["providers"]]
        wanted = {f"r{round_}-{i}" for i in range(40)}
        pending = {
            i: server.request_nowait("byok/providers/add", {"template": "custom", "id": i})
            for i in sorted(wanted)
        }
        await asyncio.sleep(rng.uniform(0.01, 0.3))
        server.kill()
        await server.close()
        acknowledged = {i for i, f in pending.items() if f.done() and "result" in f.result()}
        data = yaml.safe_load(path.read_text())
        ids = [p["id"] for p in data["providers"]]
        assert len(ids) == len(set(ids))
        assert ids[: len(old_ids)] == old_ids, "an earlier state was lost"
        assert set(ids[len(old_ids) :]) <= wanted
        assert acknowledged <= set(ids), "a save the client was told about is missing"
        seen_counts.add(len(ids) - len(old_ids))
    assert len(seen_counts) > 1, "the kill never landed mid-stream; the test proved nothing"


#: Characters YAML reads as line breaks (U+0085 comes back as a space), plus other controls.
LINE_BREAKS = ["\u0085", "\u2028", "\u2029", "\r", "\n", "\x0b", "\x0c", "\x00", "\x1b"]


async def test_names_with_yaml_line_breaks_are_refused_and_the_file_stays_loadable(
    lsp: Session,
) -> None:
    await lsp.request(
        "byok/providers/add",
        {"template": "custom", "id": "box", "baseUrl": "http://127.0.0.1:9/v1"},
    )
    await lsp.request("byok/models/add", {"providerId": "box", "model": {"name": "a y"}})
    for char in LINE_BREAKS:
        err = await lsp.error(
            "byok/models/add", {"providerId": "box", "model": {"name": f"a{char}y"}}
        )
        assert err.code == -32602 and err.data["field"] == "model.name", (repr(char), err.data)
        assert err.message.startswith("model.name:"), err.message
        err = await lsp.error("byok/providers/update", {"id": "box", "name": f"Work{char}box"})
        assert err.code == -32602 and err.data["field"] == "name", (repr(char), err.data)
        err = await lsp.error(
            "byok/providers/add",
            {"template": "custom", "name": f"x{char}y", "baseUrl": "http://127.0.0.1:9/v1"},
        )
        assert err.code == -32602 and err.data["field"] == "name", (repr(char), err.data)
    # What was saved reads back as it was: a fresh server sees the same provider.
    fresh = await start_session()
    try:
        got = (await fresh.request("byok/providers/get", {"id": "box"}))["provider"]
    finally:
        await stop_session(fresh)
    assert [m["name"] for m in got["models"]] == ["a y"]
