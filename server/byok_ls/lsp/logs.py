"""Logging to stderr (the editor's output channel), with keys scrubbed from every line."""

from __future__ import annotations

import logging
import sys

from pygls.exceptions import JsonRpcException

from byok_ls.errors import scrub


def _expected(exc: BaseException | None) -> bool:
    """Errors the server answers on purpose: bad params, domain errors, cancellation."""
    code = getattr(exc, "code", None)
    return (
        isinstance(exc, JsonRpcException)
        and isinstance(code, int)
        and (code in (-32602, -32800) or -32099 <= code <= -32001)
    )


class ExpectedErrors(logging.Filter):
    """pygls logs every error answer with a traceback; for the answers the server meant to
    give (a bad key, no credit, invalid params) one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if _expected(exc):
            record.msg, record.args = "answered with an error: %s", (exc,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Imported here: the key store loads filelock, which start-up does without.
        from byok_ls.secrets import known_keys

        return scrub(super().format(record), *known_keys())


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ExpectedErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pygls logs every message body at INFO/DEBUG; bodies carry code and chat text, so
    # only its warnings are worth the user's output channel.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
