"""Thousands of malformed params through the real server: clear errors, no crash, no hang."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byok_ls.lsp.methods import METHODS
from tests.lsp.editor import RawServer

CRUD = [
    m
    for m in METHODS
    if m.name.startswith(("byok/templates", "byok/providers/", "byok/models", "byok/active"))
]

VALID: dict[str, dict[str, Any]] = {
    "byok/providers/add": {"template": "custom", "baseUrl": "http://127.0.0.1:9/v1", "name": "x"},
    "byok/providers/update": {"id": "seed", "name": "y", "enabled": True},
    "byok/providers/get": {"id": "seed"},
    "byok/providers/remove": {"id": "nobody"},
    "byok/models/add": {"providerId": "seed", "model": {"name": "m", "task": "chat", "nCtx": 1000}},
    "byok/models/update": {
        "providerId": "seed",
        "name": "m0",
        "task": "chat",
        "model": {"nCtx": 5},
    },
    "byok/models/remove": {"providerId": "seed", "name": "zz", "task": "completion"},
    "byok/active/set": {"task": "chat", "modelId": "seed/m0"},
}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def field_names(model: Any) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


@st.composite
def params_for(draw: st.DrawFn, method: Any) -> Any:
    base = dict(VALID.get(method.name, {}))
    shape = draw(st.sampled_from(["random", "mutate", "drop", "extra", "known-keys"]))
    if shape == "random":
        return draw(json_values)
    if shape == "known-keys":
        keys = field_names(method.params) or ["x"]
        return draw(st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)))
    if not base:
        return {draw(st.text(min_size=1, max_size=8)): draw(json_values)}
    key = draw(st.sampled_from(sorted(base)))
    if shape == "mutate":
        base[key] = draw(json_values)
    elif shape == "drop":
        base.pop(key)
    else:
        base[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in base))] = draw(
            json_values
        )
    return base


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def server(loop: asyncio.AbstractEventLoop) -> Iterator[RawServer]:
    raw = loop.run_until_complete(RawServer().start())
    seed = {"template": "custom", "id": "seed", "baseUrl": "http://127.0.0.1:9/v1"}
    loop.run_until_complete(raw.request("byok/providers/add", seed))
    model = {"providerId": "seed", "model": {"name": "m0", "task": "chat"}}
    loop.run_until_complete(raw.request("byok/models/add", model))
    yield raw
    loop.run_until_complete(raw.close())


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_every_method_rejects_bad_params_cleanly(
    data: st.DataObject,
    server: RawServer,
    loop: asyncio.AbstractEventLoop,
    isolated_dirs: dict[str, Path],
) -> None:
    method = data.draw(st.sampled_from(CRUD))
    params = data.draw(params_for(method))
    path = isolated_dirs["config"] / "config.yaml"
    before = path.read_bytes()
    response = loop.run_until_complete(server.request(method.name, params, timeout=10))
    if "error" not in response:
        return
    error = response["error"]
    code = error["code"]
    assert code == -32602 or -32099 <= code <= -32001, f"{method.name} {params!r} -> {error}"
    assert error["data"]["kind"], error
    assert path.read_bytes() == before, f"a rejected {method.name} changed the config file"
    if code == -32602:
        field = error["data"]["field"]
        assert field and error["message"].startswith(f"{field}: "), error


def test_server_survives_and_still_answers(
    server: RawServer, loop: asyncio.AbstractEventLoop
) -> None:
    for payload in ([1, 2], "text", 5, None, {"deep": [[[[[[[[[[{}]]]]]]]]]]}):
        loop.run_until_complete(server.request("byok/providers/add", payload))
    response = loop.run_until_complete(server.request("byok/providers/list", {}))
    assert [p["id"] for p in response["result"]["providers"]] == ["seed"]
