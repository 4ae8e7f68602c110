"""Classification of every provider failure into a :class:`~byok_ls.errors.ByokError`.

Providers disagree on error shapes (OpenAI ``{"error": {...}}``, Anthropic ``{"type":
"error", "error": {...}}``, Gemini a JSON array of those, vLLM ``{"object": "error", ...}``,
Ollama ``{"error": "text"}``), so the body is first reduced to (code, type, message) and the
decision is made on status + those three. Messages name the provider and model, say what the
user can do, and pass through :func:`byok_ls.errors.scrub` before they leave this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from byok_ls.errors import ByokError, ErrorKind, scrub, scrub_quoted

from .types import Endpoint

#: Longest piece of provider body text quoted in a message.
MAX_DETAIL = 300
#: Longest error body read from the wire (the rest is not needed to classify it).
MAX_ERROR_BODY = 64 * 1024

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

_OUT_OF_CREDIT = re.compile(
    r"insufficient[_ ](quota|balance|credits?|funds)|credit balance is too low|"
    r"requires more credits|out of credits?|billing",
    re.I,
)
_CONTEXT = re.compile(
    r"context[_ ]length|context window|prompt is too long|maximum context|too many tokens|"
    r"exceeds? the (?:model'?s? )?(?:maximum|max)|input is too long|reduce the length|"
    r"context size",
    re.I,
)
#: Some providers answer a bad key with 400 (Gemini "API key not valid", API_KEY_INVALID).
_BAD_KEY = re.compile(r"api[_ ]key[_ ](?:not[_ ]valid|invalid)|(?:invalid|incorrect) api key", re.I)
_MODEL_MISSING = re.compile(
    r"model[_ ]not[_ ]found|model .{0,80}(?:not found|does not exist|not exist)|"
    r"(?:unknown|invalid|no such) model|not a valid model",
    re.I,
)

#: Anthropic (and Anthropic-style stream) error types → the HTTP status they stand for.
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
}


@dataclass(frozen=True)
class ErrorInfo:
    """The parts of an error body that classification looks at."""

    code: str = ""
    type: str = ""
    message: str = ""
    status: int | None = None


def parse_duration(text: str) -> float | None:
    """OpenAI's reset durations: "6m0s", "1.5s", "20ms", "1h2m3.5s"; plain numbers are s."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before retrying, from the first header that says so."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # An HTTP date: rare from APIs; the reset headers below are better.
    waits = [
        d
        for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
        if (v := headers.get(name)) is not None and (d := parse_duration(v)) is not None
    ]
    return max(waits) if waits else None


def error_info(body: bytes | str | Any) -> ErrorInfo:
    """Reduce any known error body shape (or plain text) to an :class:`ErrorInfo`."""
    data: Any = body
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            return ErrorInfo(message=text.strip())
    if isinstance(data, list):  # Gemini: [{"error": {...}}]
        data = data[0] if data else {}
    if not isinstance(data, dict):
        return ErrorInfo(message=str(data))
    err: Any = data.get("error", data)
    if isinstance(err, str):  # Ollama, llama.cpp older builds
        return ErrorInfo(message=err)
    if not isinstance(err, dict):
        return ErrorInfo(message=json.dumps(data)[:MAX_DETAIL])
    code = err.get("code")
    status = code if isinstance(code, int) and 100 <= code < 600 else None
    etype = err.get("type") or err.get("status") or ""
    message = err.get("message") or err.get("detail") or ""
    metadata = err.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
        message = f"{message} ({metadata['raw']})"  # OpenRouter: the upstream's own text
    return ErrorInfo(
        code="" if code is None else str(code),
        type=str(etype),
        message=str(message),
        status=status,
    )


def _who(endpoint: Endpoint) -> str:
    return endpoint.provider_name or endpoint.provider_id


def _for(model: str | None) -> str:
    return f" for {model}" if model else ""


def quote(endpoint: Endpoint, text: str, limit: int = MAX_DETAIL) -> str:
    """Provider text, scrubbed of the key *before* it is cut: a cut through the key would
    leave a piece that no longer matches and so would survive a later scrub."""
    text = scrub_quoted(text, endpoint.api_key)
    return text if len(text) <= limit else text[:limit] + "…"


def make_error(
    endpoint: Endpoint,
    model: str | None,
    kind: ErrorKind,
    message: str,
    *,
    status: int | None = None,
    detail: str = "",
    retry_after_s: float | None = None,
) -> ByokError:
    """Build the error with a scrubbed message and, when given, a short provider quote."""
    if detail:
        message = f"{message} Provider said: {quote(endpoint, ' '.join(detail.split()))}"
    return ByokError(
        kind,
        scrub(message, endpoint.api_key),
        provider_id=endpoint.provider_id,
        model=model,
        status=status,
        retry_after_s=retry_after_s,
    )


def classify(
    endpoint: Endpoint,
    model: str | None,
    status: int,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | Any = b"",
) -> ByokError:
    """The error for an HTTP failure (or an error object that arrived inside a stream)."""
    info = error_info(body)
    headers = headers or {}
    if info.type in _TYPE_STATUS and status < 400:
        status = _TYPE_STATUS[info.type]
    who, where = _who(endpoint), _for(model)
    text = f"{info.code} {info.type} {info.message}"
    wait = retry_after(headers)
    kw: dict[str, Any] = {"status": status, "detail": info.message}

    def err(kind: ErrorKind, message: str, **extra: Any) -> ByokError:
        return make_error(endpoint, model, kind, message, **kw, **extra)

    if (
        status in (401, 403)
        or info.type in ("authentication_error", "permission_error")
        or (status == 400 and _BAD_KEY.search(text))
    ):
        return err(
            ErrorKind.AUTH_FAILED,
            f"{who} rejected the API key{where} (HTTP {status}): check or replace the key "
            "in Configure Providers.",
        )
    if status == 402 or info.type == "billing_error" or _OUT_OF_CREDIT.search(text):
        return err(
            ErrorKind.OUT_OF_CREDIT,
            f"{who} has no credit left{where}: add credit at the provider or switch the "
            "active model (Configure Providers).",
        )
    if status in (400, 413, 422) and (
        info.code == "context_length_exceeded"
        or info.type == "exceed_context_size_error"  # llama.cpp
        or _CONTEXT.search(info.message)
    ):
        return err(
            ErrorKind.CONTEXT_TOO_LONG,
            f"The request is too long for {model or 'the model'} at {who}: shorten the "
            "conversation or lower the model's n_ctx in Configure Providers.",
        )
    if (
        status == 404
        or info.code == "model_not_found"
        or (status < 500 and status != 429 and _MODEL_MISSING.search(info.message))
    ):
        return err(
            ErrorKind.MODEL_NOT_FOUND,
            f"{who} does not know the model {model or '(none)'} or the endpoint path "
            f"(HTTP {status}): check the model name and base URL, or run Discover Models.",
        )
    if status == 429 or info.type == "rate_limit_error":
        after = f" for {wait:g} s" if wait is not None else ""
        return err(
            ErrorKind.RATE_LIMITED,
            f"{who} is rate limiting requests{where}{after}: wait and retry, or switch the "
            "active model (Configure Providers).",
            retry_after_s=wait,
        )
    if status in (503, 529) or info.type == "overloaded_error":
        return err(
            ErrorKind.OVERLOADED,
            f"{who} is overloaded{where} (HTTP {status}): retry shortly or switch to a "
            "fallback model.",
            retry_after_s=wait,
        )
    if status == 408:
        return err(
            ErrorKind.TIMEOUT, f"{who} timed out{where} (HTTP 408): retry or use a smaller request."
        )
    if status >= 500:
        return err(
            ErrorKind.SERVER_ERROR,
            f"{who} had an internal error{where} (HTTP {status}): retry later or switch to a "
            "fallback model.",
            retry_after_s=wait,
        )
    if 400 <= status < 500:
        return err(
            ErrorKind.BAD_REQUEST,
            f"{who} refused the request{where} (HTTP {status}): check the model's settings "
            "(max tokens, temperature, reasoning) in Configure Providers.",
        )
    return err(
        ErrorKind.BAD_RESPONSE,
        f"{who} answered{where} with unexpected HTTP {status}: check the base URL.",
    )


def stream_error(endpoint: Endpoint, model: str | None, payload: Any) -> ByokError:
    """An error object that arrived inside a 200 stream (OpenRouter chunk, Anthropic event)."""
    info = error_info(payload)
    status = info.status or _TYPE_STATUS.get(info.type) or _status_from_text(info.message)
    return classify(endpoint, model, status, {}, payload)


def _status_from_text(message: str) -> int:
    """A plain-text stream error (Ollama's ``{"error": "..."}``) carries no status."""
    if _MODEL_MISSING.search(message):
        return 404
    if _CONTEXT.search(message):
        return 400
    if re.search(r"rate.?limit|too many requests", message, re.I):
        return 429
    return 500


def bad_response(endpoint: Endpoint, model: str | None, what: str) -> ByokError:
    return make_error(
        endpoint,
        model,
        ErrorKind.BAD_RESPONSE,
        # ``what`` may quote the provider (a snippet, a protocol error's bytes).
        f"{_who(endpoint)} sent a response{_for(model)} that could not be read "
        f"({scrub_quoted(what, endpoint.api_key)}): "
        "check the base URL and wire format, or retry.",
    )


def transport_error(endpoint: Endpoint, model: str | None, exc: Exception) -> ByokError:
    """Errors raised below HTTP: connect refused, DNS, timeouts, broken connections."""
    who, where = _who(endpoint), _for(model)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = (
            "connecting"
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            else ("waiting for data")
        )
        return make_error(
            endpoint,
            model,
            ErrorKind.TIMEOUT,
            f"{who} timed out while {phase}{where}: retry, or raise the timeout if the "
            "model is slow (local models loading can take a while).",
        )
    if isinstance(exc, httpx.ConnectError):
        return make_error(
            endpoint,
            model,
            ErrorKind.UNREACHABLE,
            f"Could not reach {who} at {endpoint.base_url}: check the base URL, your network, "
            "and that the server is running.",
            detail=detail,
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return make_error(
            endpoint,
            model,
            ErrorKind.UNREACHABLE,
            f"The base URL of {who} ({endpoint.base_url}) is not a usable http(s) URL: fix it "
            "in Configure Providers.",
        )
    error = bad_response(endpoint, model, f"connection broken: {detail}")
    error.connection_lost = True
    return error


class BodyTooLarge(Exception):
    """A provider body or stream grew past the limit (counted after decompression)."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(f"{what} larger than {limit // (1024 * 1024)} MiB")
        self.limit = limit
        self.what = what


@contextmanager
def map_errors(endpoint: Endpoint, model: str | None) -> Iterator[None]:
    """Translate transport and decoding failures raised inside the block to ByokError.

    Adapters wrap both the one-shot and the streaming path in this, so a failure reads the
    same whichever way the request was made. Cancellation passes through untouched.
    """
    try:
        yield
    except ByokError:
        raise
    except BodyTooLarge as exc:
        raise bad_response(endpoint, model, f"{exc}, the limit") from None
    except httpx.TransportError as exc:
        raise transport_error(endpoint, model, exc) from exc
    except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
        raise bad_response(endpoint, model, f"invalid JSON: {exc}") from exc
