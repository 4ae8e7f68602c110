"""Fake LLM providers: real HTTP servers on 127.0.0.1 speaking each provider's wire format."""

from tests.fakes.contract import ContractChecker, Specs, load_specs
from tests.fakes.flavors import FLAVORS, make_flavor
from tests.fakes.http import RecordedRequest
from tests.fakes.presets import PRESETS
from tests.fakes.scripts import Reply, ToolCall, Usage
from tests.fakes.server import FakeServer

__all__ = [
    "FLAVORS",
    "PRESETS",
    "ContractChecker",
    "FakeServer",
    "RecordedRequest",
    "Reply",
    "Specs",
    "ToolCall",
    "Usage",
    "load_specs",
    "make_flavor",
]
