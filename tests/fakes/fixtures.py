"""pytest plugin: one fresh fake per test, with contract checking.

Register with `pytest_plugins = ["tests.fakes.fixtures"]`. A test whose requests would be
rejected by the real API fails at teardown; mark it `allow_contract_violations` when it
sends a bad request on purpose (e.g. to see the 401 for a missing key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.contract import ContractChecker, Specs, load_specs
from tests.fakes.server import FakeServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_contract_violations: requests this test sends may break the contract"
    )


@pytest.fixture(scope="session")
def contract_specs() -> Specs:
    """The provider specs, parsed once per session."""
    return load_specs()


def _fake(
    request: pytest.FixtureRequest, specs: Specs, flavor: str, **options: Any
) -> Iterator[FakeServer]:
    contract = ContractChecker(specs)
    fake = FakeServer(flavor, contract=contract, **options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    violations = contract.violations
    if violations and request.node.get_closest_marker("allow_contract_violations") is None:
        pytest.fail(
            f"{len(violations)} request(s) to the {flavor} fake would be rejected by the real "
            "API:\n  " + "\n  ".join(violations),
            pytrace=False,
        )


@pytest.fixture
def openai_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "openai")


@pytest.fixture
def anthropic_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "anthropic")


@pytest.fixture
def ollama_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "ollama")


@pytest.fixture
def llamacpp_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "llamacpp")


@pytest.fixture
def llamacpp_router_fake(
    request: pytest.FixtureRequest, contract_specs: Specs
) -> Iterator[FakeServer]:
    """llama-server in router mode (``--models-dir``), serving one model named "coder"."""
    yield from _fake(request, contract_specs, "llamacpp", router=True, model="coder")


@pytest.fixture
def mistral_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "mistral")


@pytest.fixture
def deepseek_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "deepseek")


@pytest.fixture
def openrouter_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "openrouter")


@pytest.fixture
def gemini_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "gemini")


@pytest.fixture
def vllm_fake(request: pytest.FixtureRequest, contract_specs: Specs) -> Iterator[FakeServer]:
    yield from _fake(request, contract_specs, "vllm")
