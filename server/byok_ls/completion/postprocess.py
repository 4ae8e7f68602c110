"""Cleaning a whole raw model completion before it is shown as ghost text.

The rules live in :mod:`byok_ls.completion.cut`, which applies them while a stream arrives;
this is the same decision for an answer that is already complete.
"""

from __future__ import annotations

from collections.abc import Iterable

from byok_ls.completion.cut import Cutter


def multiline_for(prefix: str, suffix: str) -> bool:
    """Whether a multi-line completion makes sense at the cursor.

    Mid-line (non-blank text after the cursor on its line) only the rest of the line is
    wanted; a multi-line block there would push that text down in a broken position.
    """
    del prefix  # part of the signature so heuristics on the line before can be added
    end = suffix.find("\n")
    rest_of_line = suffix if end < 0 else suffix[:end]
    return not rest_of_line.strip()


def postprocess(
    text: str,
    *,
    prefix: str,
    suffix: str,
    stop: Iterable[str],
    multiline: bool,
    language_id: str = "",
) -> str:
    """The part of a raw completion worth inserting at the cursor ("" when none is)."""
    cutter = Cutter(prefix, suffix, multiline=multiline, stop=tuple(stop), language_id=language_id)
    shown = cutter.decide(text, final=True)
    assert shown is not None  # a final decision always has an answer
    return shown
