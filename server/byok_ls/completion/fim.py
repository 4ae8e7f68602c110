"""FIM prompt templates for the ``template:<family>`` mode.

Strings follow each family's published format (model cards, the reference implementations
and the template lists of Continue / llm-ls). They are the raw text a plain completions
endpoint receives, so every character (including CodeLlama's spaces) matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from byok_ls.completion.chat_fill import HOLE, chat_fill_messages, strip_chat_answer
from byok_ls.errors import invalid


@dataclass(frozen=True)
class FimTemplate:
    """A family's prompt builder and the stop sequences that end its middle."""

    family: str
    build: Callable[[str, str], str]
    stop: tuple[str, ...]


def _psm(pre: str, suf: str, mid: str) -> Callable[[str, str], str]:
    """Prefix-suffix-middle order, the layout most families were trained on."""

    def build(prefix: str, suffix: str) -> str:
        return f"{pre}{prefix}{suf}{suffix}{mid}"

    return build


def _codestral(prefix: str, suffix: str) -> str:
    # Codestral is trained suffix-first (mistral-common encodes [SUFFIX]…[PREFIX]…); the
    # middle follows the prefix directly, so no [MIDDLE] marker is sent.
    return f"[SUFFIX]{suffix}[PREFIX]{prefix}"


# Stop lists start with the end-of-text and file-separator tokens: OpenAI-style endpoints take
# at most four stop sequences, and those are the ones a model actually emits at the end.
_STARCODER = FimTemplate(
    "starcoder",
    _psm("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
)

_TEMPLATES: dict[str, FimTemplate] = {
    "starcoder": _STARCODER,
    "starcoder2": FimTemplate("starcoder2", _STARCODER.build, _STARCODER.stop),
    # Meta's reference encodes the prefix with SentencePiece's leading space and the suffix
    # without it; in text form that is "<PRE> {prefix} <SUF>{suffix} <MID>".
    "codellama": FimTemplate(
        "codellama",
        _psm("<PRE> ", " <SUF>", " <MID>"),
        ("<EOT>", "<PRE>", "<SUF>", "<MID>"),
    ),
    # Fullwidth vertical bar U+FF5C and lower one-eighth block U+2581, as in the tokenizer.
    "deepseek-coder": FimTemplate(
        "deepseek-coder",
        _psm("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
        ("<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<|EOT|>"),
    ),
    "qwen2.5-coder": FimTemplate(
        "qwen2.5-coder",
        _psm("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
        (
            "<|endoftext|>",
            "<|file_sep|>",
            "<|im_end|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|im_start|>",
        ),
    ),
    "codestral": FimTemplate("codestral", _codestral, ("[PREFIX]", "[SUFFIX]", "</s>")),
    "codegemma": FimTemplate(
        "codegemma",
        _psm("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
        (
            "<|file_separator|>",
            "<eos>",
            "<end_of_turn>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
        ),
    ),
}

#: Family names accepted after ``template:``.
FAMILIES: tuple[str, ...] = tuple(_TEMPLATES)


def template_for(fim_mode: str) -> FimTemplate:
    """The template for a model's ``fim`` setting of the form ``template:<family>``."""
    kind, sep, family = fim_mode.partition(":")
    if kind.strip() != "template" or not sep:
        raise invalid("fim", f"expected 'template:<family>', got {fim_mode!r}")
    template = _TEMPLATES.get(family.strip().lower())
    if template is None:
        raise invalid(
            "fim", f"unknown FIM family {family!r}; known families: {', '.join(FAMILIES)}"
        )
    return template


__all__ = [
    "FAMILIES",
    "HOLE",
    "FimTemplate",
    "chat_fill_messages",
    "strip_chat_answer",
    "template_for",
]
