"""Logging to stderr (the editor's output channel), with keys scrubbed from every line."""

from __future__ import annotations

import logging
import sys

from byok_ls.errors import scrub
from byok_ls.secrets import known_keys


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), *known_keys())


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pygls logs every message body at INFO/DEBUG; bodies carry code and chat text, so
    # only its warnings are worth the user's output channel.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
