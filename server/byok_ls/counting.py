"""The token counter for a model: its real tokenizer when it can be loaded, else an estimate.

Loading may download ``tokenizer.json`` once, so it runs off the event loop; a tokenizer
that cannot be had (offline, no cached copy) is logged once and retried only after a while,
and the figures are labelled as estimates meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time

from byok_ls.completion.tokens import TokenCounter, get_counter
from byok_ls.errors import ByokError

log = logging.getLogger(__name__)

RETRY_AFTER_S = 600.0

_ready: dict[str, TokenCounter] = {}
_failed_at: dict[str, float] = {}


async def counter_for(spec: str | None) -> TokenCounter:
    if spec is None:
        return get_counter(None)
    counter = _ready.get(spec)
    if counter is not None:
        return counter
    failed = _failed_at.get(spec)
    if failed is not None and time.monotonic() - failed < RETRY_AFTER_S:
        return get_counter(None)
    try:
        counter = await asyncio.to_thread(get_counter, spec)
    except ByokError as exc:
        _failed_at[spec] = time.monotonic()
        log.warning("tokenizer %s unavailable, token counts are estimates: %s", spec, exc.message)
        return get_counter(None)
    _ready[spec] = counter
    _failed_at.pop(spec, None)
    return counter


def count_text(counter: TokenCounter, *texts: str) -> int:
    return sum(counter.count_batch(list(texts))) if texts else 0
