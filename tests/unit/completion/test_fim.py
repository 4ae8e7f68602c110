"""FIM templates: exact prompts and stop tokens per family; chat hole filling."""

from __future__ import annotations

import pytest

from byok_ls.completion.fim import (
    FAMILIES,
    HOLE,
    chat_fill_messages,
    strip_chat_answer,
    template_for,
)
from byok_ls.errors import ByokError, ErrorKind

PRE, SUF = "def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n"

EXPECTED = {
    "starcoder": (
        f"<fim_prefix>{PRE}<fim_suffix>{SUF}<fim_middle>",
        ("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ),
    "starcoder2": (
        f"<fim_prefix>{PRE}<fim_suffix>{SUF}<fim_middle>",
        ("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ),
    "codellama": (
        f"<PRE> {PRE} <SUF>{SUF} <MID>",
        ("<EOT>", "<PRE>", "<SUF>", "<MID>"),
    ),
    "deepseek-coder": (
        f"<\uff5cfim\u2581begin\uff5c>{PRE}<\uff5cfim\u2581hole\uff5c>{SUF}<\uff5cfim\u2581end\uff5c>",
        (
            "<\uff5cend\u2581of\u2581sentence\uff5c>",
            "<\uff5cfim\u2581begin\uff5c>",
            "<\uff5cfim\u2581hole\uff5c>",
            "<\uff5cfim\u2581end\uff5c>",
            "<|EOT|>",
        ),
    ),
    "qwen2.5-coder": (
        f"<|fim_prefix|>{PRE}<|fim_suffix|>{SUF}<|fim_middle|>",
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
    "codestral": (f"[SUFFIX]{SUF}[PREFIX]{PRE}", ("[PREFIX]", "[SUFFIX]", "</s>")),
    "codegemma": (
        f"<|fim_prefix|>{PRE}<|fim_suffix|>{SUF}<|fim_middle|>",
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


def test_families_are_all_covered() -> None:
    """Every listed family has an expectation here and vice versa."""
    assert set(FAMILIES) == set(EXPECTED)


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_exact_prompt_and_stops(family: str) -> None:
    """The prompt and stop tokens match the family's published format exactly."""
    template = template_for(f"template:{family}")
    prompt, stop = EXPECTED[family]
    assert template.family == family
    assert template.build(PRE, SUF) == prompt
    assert template.stop == stop


def test_deepseek_uses_fullwidth_bar_and_block() -> None:
    """DeepSeek markers use U+FF5C and U+2581, not ASCII look-alikes."""
    prompt = template_for("template:deepseek-coder").build("", "")
    assert "\uff5c" in prompt and "\u2581" in prompt and "|" not in prompt


def test_family_name_is_case_and_space_tolerant() -> None:
    """Small spelling variations of a known family still resolve."""
    assert template_for("template: StarCoder ").family == "starcoder"


@pytest.mark.parametrize("mode", ["template:gpt-4", "template:", "native", "chat", "starcoder"])
def test_unknown_or_malformed_mode_is_invalid_params_naming_fim(mode: str) -> None:
    """A bad ``fim`` value is an INVALID_PARAMS error about the ``fim`` field."""
    with pytest.raises(ByokError) as info:
        template_for(mode)
    assert info.value.kind is ErrorKind.INVALID_PARAMS
    assert info.value.field == "fim"
    assert info.value.message.startswith("fim:")


def test_unknown_family_message_lists_known_ones() -> None:
    """The message tells the user which families exist."""
    with pytest.raises(ByokError) as info:
        template_for("template:gpt-4")
    assert "gpt-4" in info.value.message and "qwen2.5-coder" in info.value.message


def test_chat_fill_messages_mark_the_hole_once() -> None:
    """The user message holds the file with one hole marker at the cursor."""
    system, user = chat_fill_messages(PRE, SUF, "python", "src/add.py")
    assert HOLE in system
    assert f"{PRE}{HOLE}{SUF}" in user
    assert user.count(HOLE) == 2  # in the file and in the closing instruction
    assert "src/add.py" in user and "python" in user


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("a + b", "a + b"),
        ("```python\na + b\n```", "a + b"),
        ("Here is the completion:\n```python\na + b\n```\nThis adds them.", "a + b"),
        ("Sure! Here's the code:\na + b", "a + b"),
        ("~~~\na + b\n~~~", "a + b"),
        ("```py\na + b", "a + b"),  # cut off before the closing fence
        (f"a + b{HOLE}", "a + b"),
        ("    return a + b", "a + b"),  # echoed the cursor line
        ("def add(a, b):\n    return a + b", "a + b"),  # echoed two prefix lines
        ("a + b\n\nprint(add(1, 2))", "a + b"),  # echoed the suffix
        ("def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n", "a + b"),  # whole file
    ],
)
def test_strip_chat_answer(answer: str, expected: str) -> None:
    """Prose, fences, the marker and echoed context are removed."""
    assert strip_chat_answer(answer, PRE, SUF) == expected


def test_strip_chat_answer_keeps_code_that_only_looks_like_context() -> None:
    """A single shared character is not treated as an echo."""
    assert strip_chat_answer("(x)", "g = f(", "") == "(x)"
    assert strip_chat_answer("x + 1", "y = (", "1)\n") == "x + 1"
