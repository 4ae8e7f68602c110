"""The words of the configuration that clients offer in their menus, defined once.

Every other module (config schema, adapters, CLI choices, the ``byok/vocabulary`` answer
that editors read) takes its list from here, so a new FIM family or task appears everywhere
at once. FIM families are the keys of the prompt-template table in ``completion/fim.py``:
a family exists exactly when the server can build its prompt.
"""

from __future__ import annotations

from typing import Literal, get_args

from byok_ls.completion.fim import FAMILIES as FIM_FAMILIES

Task = Literal["chat", "completion", "embeddings"]
TASKS: tuple[Task, ...] = get_args(Task)

ReasoningStyle = Literal["none", "openai", "anthropic", "deepseek"]
REASONING_STYLES: tuple[ReasoningStyle, ...] = get_args(ReasoningStyle)

WireFormat = Literal["openai", "anthropic", "ollama", "llamacpp", "mistral"]
WIRE_FORMATS: tuple[WireFormat, ...] = get_args(WireFormat)

Capability = Literal["tools", "multimodality", "clicks", "agent"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)

#: FIM modes besides ``template:<family>``.
FIM_MODES: tuple[str, ...] = ("native", "chat")
FIM_TEMPLATE_PREFIX = "template:"


def fim_choices() -> list[str]:
    """Every value a completion model's ``fim`` may take."""
    return [*FIM_MODES, *(FIM_TEMPLATE_PREFIX + family for family in FIM_FAMILIES)]


__all__ = [
    "CAPABILITIES",
    "FIM_FAMILIES",
    "FIM_MODES",
    "FIM_TEMPLATE_PREFIX",
    "REASONING_STYLES",
    "TASKS",
    "WIRE_FORMATS",
    "Capability",
    "ReasoningStyle",
    "Task",
    "WireFormat",
    "fim_choices",
]
