"""The ``chat`` FIM mode: a chat model fills a marked hole, and its answer is cleaned up."""

from __future__ import annotations

import re

HOLE = "{{FILL_HERE}}"

_SYSTEM = (
    "You complete code in an editor. The user sends one file in which the text "
    f"{HOLE} marks the cursor. Reply with only the text that replaces {HOLE}: no "
    "explanation, no code fences, and do not repeat the code before or after the hole. "
    "Match the surrounding indentation and style. If nothing belongs there, reply with an "
    "empty message."
)

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n", re.MULTILINE)
# Chatty lead-ins some models add before bare code ("Here is the completion:").
_PROSE_LEAD = re.compile(
    r"^(?:here(?:'s| is| are)|sure|certainly|okay|ok|the (?:missing|completed?|code))\b[^\n]*:"
    r"[ \t]*\n",
    re.IGNORECASE,
)


def chat_fill_messages(prefix: str, suffix: str, language_id: str, path: str) -> tuple[str, str]:
    """The (system, user) messages asking a chat model to fill the hole at the cursor."""
    user = (
        f'<file path="{path}" language="{language_id}">\n'
        f"{prefix}{HOLE}{suffix}\n"
        "</file>\n"
        f"Reply with the text that replaces {HOLE}."
    )
    return _SYSTEM, user


def _unfence(text: str) -> str:
    """The body of the first fenced block, or the text itself when there is none."""
    opening = _FENCE.search(text)
    if opening is None:
        return text
    fence = opening.group(1)
    body = text[opening.end() :]
    closing = re.search(rf"^[ \t]*{re.escape(fence)}[ \t]*$", body, re.MULTILINE)
    # A missing closing fence means the answer was cut off: keep everything after the opening.
    return body if closing is None else body[: closing.start()].removesuffix("\n")


def _strip_prefix_echo(text: str, prefix: str) -> str:
    """Remove a repeat of the prefix's tail from the start of the answer.

    Only tails that start at a line start and hold non-blank text count, so a completion that
    merely begins with the character the prefix ends with is left alone. The longest echo wins.
    """
    best = 0
    start = len(prefix)
    while start > 0:
        # Start of the line holding prefix[start - 1].
        start = prefix.rfind("\n", 0, start - 1) + 1
        if len(prefix) - start > len(text):
            break
        tail = prefix[start:]
        if tail.strip() and text.startswith(tail):
            best = len(tail)
    return text[best:]


def _strip_suffix_echo(text: str, suffix: str) -> str:
    """Remove a repeat of the suffix's head (whole lines) from the end of the answer."""
    body = text.rstrip()
    best = 0
    end = 0
    while end >= 0:
        nl = suffix.find("\n", end)
        head = (suffix if nl < 0 else suffix[:nl]).rstrip()
        if len(head) > len(body):
            break
        if head.strip() and body.endswith(head):
            best = len(head)
        end = -1 if nl < 0 else nl + 1
    return body[: len(body) - best]


def strip_chat_answer(text: str, prefix: str, suffix: str) -> str:
    """The code a chat model meant for the hole, without prose, fences or echoed context."""
    text = _PROSE_LEAD.sub("", text.lstrip("\n"), count=1)
    text = _unfence(text)
    text = text.replace(HOLE, "")
    text = _strip_prefix_echo(text, prefix)
    text = _strip_suffix_echo(text, suffix)
    return text.rstrip()


_LEAD_WORD = re.compile(r"(?:here|sure|certainly|okay|ok|the|this|i)\b", re.IGNORECASE)


def clean_partial(raw: str, prefix: str, suffix: str, final: bool) -> str | None:
    """:func:`strip_chat_answer` for an answer still arriving; None while its first line
    may be a prose lead-in whose code has not started yet."""
    if final:
        return strip_chat_answer(raw, prefix, suffix)
    text = raw.lstrip("\n")
    newline = text.find("\n")
    if newline < 0:
        return None
    first = text[:newline]
    if _LEAD_WORD.match(first.lstrip()) and not _FENCE.search(text):
        return None
    cleaned = strip_chat_answer(raw, prefix, suffix)
    # strip_chat_answer trims the end; a line break that arrived still ends the last line.
    return cleaned + "\n" if raw.endswith("\n") else cleaned
