"""Reading a completion stream until its cut is decided, then closing it.

Closing the stream closes the upstream connection, which is how a provider learns to stop
generating (and billing) tokens nobody will see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from byok_ls.completion.cut import Cutter
from byok_ls.providers.types import Event, Finish, TextDelta, Usage

#: Turns the raw text so far into the text the cut rules see; None while that is not
#: known yet (a chat answer that may still be a prose lead-in).
Clean = Callable[[str, bool], str | None]


@dataclass(frozen=True)
class Reading:
    #: The ghost text.
    shown: str
    #: Everything the provider sent (what it bills).
    raw: str
    #: What the provider reported, when its stream got that far.
    usage: Usage | None
    #: The cut was decided before the provider finished: the stream was closed.
    closed_early: bool


async def read_until_cut(
    stream: AsyncIterator[Event], cutter: Cutter, clean: Clean | None = None
) -> Reading:
    raw = ""
    usage: Usage | None = None
    truncated = False
    events: Any = stream
    async with aclosing(events):
        async for event in stream:
            if isinstance(event, TextDelta):
                raw += event.text
                if not cutter.needs_check(raw, event.text):
                    continue
                text = raw if clean is None else clean(raw, False)
                shown = None if text is None else cutter.decide(text)
                if shown is not None:
                    return Reading(shown, raw, usage, True)
            elif isinstance(event, Usage):
                usage = event
            elif isinstance(event, Finish):
                truncated = event.reason == "length"
    text = raw if clean is None else clean(raw, True)
    shown = cutter.decide(text or "", final=True, truncated=truncated)
    return Reading(shown or "", raw, usage, False)
