"""One small error hierarchy shared by the services, the LSP layer and the CLI.

Every failure a user can see carries a ``kind`` (the vocabulary of DESIGN.md) and a message
that says what happened, where, and what to do. Messages are built by the raiser and must
never contain an API key; :func:`scrub` is the last line of defence for text that came from
elsewhere (provider bodies, exception strings).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    AUTH_FAILED = "auth_failed"
    OUT_OF_CREDIT = "out_of_credit"
    RATE_LIMITED = "rate_limited"
    CONTEXT_TOO_LONG = "context_too_long"
    MODEL_NOT_FOUND = "model_not_found"
    BAD_REQUEST = "bad_request"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "bad_response"
    NO_ACTIVE_MODEL = "no_active_model"
    PROVIDER_DISABLED = "provider_disabled"
    BUDGET_EXCEEDED = "budget_exceeded"
    CANCELLED = "cancelled"
    # Configuration-level kinds (not provider failures).
    INVALID_PARAMS = "invalid_params"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    CONFIG_INVALID = "config_invalid"
    KEYRING_UNAVAILABLE = "keyring_unavailable"
    INSECURE_URL = "insecure_url"
    #: The config folder cannot be written (missing permission, not a folder, disk full).
    CONFIG_UNWRITABLE = "config_unwritable"
    #: The provider's template needs an API key and none is stored or set in the environment.
    MISSING_KEY = "missing_key"


# JSON-RPC codes for domain errors live in -32001..-32099 (DESIGN.md); one per kind keeps
# clients that only look at the code able to tell them apart. Written out, not counted: a
# code is part of the API and must not change when a kind is added (tests pin them).
CODES: dict[ErrorKind, int] = {
    ErrorKind.AUTH_FAILED: -32001,
    ErrorKind.OUT_OF_CREDIT: -32002,
    ErrorKind.RATE_LIMITED: -32003,
    ErrorKind.CONTEXT_TOO_LONG: -32004,
    ErrorKind.MODEL_NOT_FOUND: -32005,
    ErrorKind.BAD_REQUEST: -32006,
    ErrorKind.OVERLOADED: -32007,
    ErrorKind.SERVER_ERROR: -32008,
    ErrorKind.TIMEOUT: -32009,
    ErrorKind.UNREACHABLE: -32010,
    ErrorKind.BAD_RESPONSE: -32011,
    ErrorKind.NO_ACTIVE_MODEL: -32012,
    ErrorKind.PROVIDER_DISABLED: -32013,
    ErrorKind.BUDGET_EXCEEDED: -32014,
    ErrorKind.CANCELLED: -32015,
    ErrorKind.INVALID_PARAMS: -32016,
    ErrorKind.NOT_FOUND: -32017,
    ErrorKind.CONFLICT: -32018,
    ErrorKind.CONFIG_INVALID: -32019,
    ErrorKind.KEYRING_UNAVAILABLE: -32020,
    ErrorKind.INSECURE_URL: -32021,
    ErrorKind.CONFIG_UNWRITABLE: -32022,
    ErrorKind.MISSING_KEY: -32023,
}

#: Provider failures after which a fallback model may be tried (the usage/fallback issue).
FALLBACK_KINDS = frozenset(
    {
        ErrorKind.OUT_OF_CREDIT,
        ErrorKind.BUDGET_EXCEEDED,
        ErrorKind.AUTH_FAILED,
        ErrorKind.RATE_LIMITED,
        ErrorKind.OVERLOADED,
        ErrorKind.UNREACHABLE,
        ErrorKind.TIMEOUT,
        ErrorKind.PROVIDER_DISABLED,
        ErrorKind.SERVER_ERROR,
    }
)


def may_fall_back(error: ByokError) -> bool:
    """Whether a fallback model may be tried after ``error`` (when nothing was shown yet)."""
    return error.kind in FALLBACK_KINDS or error.connection_lost


#: Failures worth retrying against the same provider (with backoff).
RETRY_KINDS = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED, ErrorKind.SERVER_ERROR})


class ByokError(Exception):
    """A failure with a user-facing message and a machine-readable kind."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        field: str | None = None,
        provider_id: str | None = None,
        model: str | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
        extra: dict[str, Any] | None = None,
        connection_lost: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        #: The provider broke the connection (crashed, restarted, was killed). Before any
        #: output this is as good a reason to try a fallback as an unreachable server.
        self.connection_lost = connection_lost
        self.message = message
        self.field = field
        self.provider_id = provider_id
        self.model = model
        self.status = status
        self.retry_after_s = retry_after_s
        self.extra = dict(extra or {})

    @property
    def code(self) -> int:
        return CODES[self.kind]

    def to_data(self) -> dict[str, Any]:
        """The JSON-RPC ``error.data`` object (camelCase, no None values)."""
        data: dict[str, Any] = {"kind": self.kind.value}
        for key, value in (
            ("field", self.field),
            ("providerId", self.provider_id),
            ("model", self.model),
            ("status", self.status),
            ("retryAfterS", self.retry_after_s),
        ):
            if value is not None:
                data[key] = value
        data.update(self.extra)
        return data

    def __repr__(self) -> str:
        return f"ByokError({self.kind.value!r}, {self.message!r})"


def invalid(field: str, message: str) -> ByokError:
    """Bad input: the message starts with the field it is about."""
    return ByokError(ErrorKind.INVALID_PARAMS, f"{field}: {message}", field=field)


def bad_request(field: str, message: str) -> ByokError:
    """Well-formed input the server will not act on, such as a path outside the workspace;
    the message starts with the field it is about."""
    return ByokError(ErrorKind.BAD_REQUEST, f"{field}: {message}", field=field)


# Shapes of well-known secrets; used to scrub text that leaves the process and to mask
# secrets in completion context. Kept here so every layer uses the same list.
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"sk-(?:proj-|or-v1-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"gsk_[A-Za-z0-9]{20,}"),
    re.compile(r"xai-[A-Za-z0-9]{20,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{30,}"),
    re.compile(r"(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"xox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"hf_[A-Za-z0-9]{20,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]{16,}"),
)


#: Half of a UTF-16 pair: JSON may carry one (``"\\ud800"``), but it is not Unicode text, and
#: nothing downstream (tokenizers, providers, the usage database) can encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, or None (ASCII text is not scanned)."""
    if text.isascii():
        return None
    found = _LONE_SURROGATE.search(text)
    return found.group() if found else None


#: A run of this many characters of a known key counts as the key: a provider that echoes a
#: key, or a cut that keeps only part of it, must not reveal a usable prefix or suffix.
KEY_FRAGMENT = 8


def _fragment_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Spans of ``text`` covered by runs of KEY_FRAGMENT+ characters that occur in ``secret``.

    Every such run is a chain of overlapping KEY_FRAGMENT-grams of the secret, so marking
    each matching gram finds them all in one pass over the text.
    """
    n = KEY_FRAGMENT
    grams = {secret[i : i + n] for i in range(len(secret) - n + 1)}
    spans: list[tuple[int, int]] = []
    for i in range(len(text) - n + 1):
        if text[i : i + n] in grams:
            if spans and spans[-1][1] >= i:
                spans[-1] = (spans[-1][0], i + n)
            else:
                spans.append((i, i + n))
    return spans


def _redact_fragments(text: str, secret: str) -> str:
    if len(secret) < KEY_FRAGMENT or len(text) < KEY_FRAGMENT:
        return text
    out, last = [], 0
    for start, end in _fragment_spans(text, secret):
        out += [text[last:start], "[redacted]"]
        last = end
    return "".join(out) + text[last:] if out else text


def scrub(text: str, *secrets: str | None) -> str:
    """Remove the given secrets and anything shaped like a well-known key from ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    for pattern in SECRET_PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text


def scrub_quoted(text: str, *secrets: str | None) -> str:
    """:func:`scrub` for text that came from elsewhere (a provider's error text or body):
    also removes any run of KEY_FRAGMENT+ characters of a secret, since such text may echo
    a key in part or be cut through one. The server's own messages do not need this."""
    text = scrub(text, *secrets)
    for secret in secrets:
        if secret:
            text = _redact_fragments(text, secret)
    return text
