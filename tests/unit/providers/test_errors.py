"""Every provider failure becomes a ByokError of the right kind with a usable message."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.errors import (
    classify,
    map_errors,
    parse_duration,
    retry_after,
    stream_error,
)

from .conftest import KEY, make_endpoint

EP = make_endpoint(name="OpenAI (work)")


def oai(code: str | None, message: str, type_: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def ant(type_: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message}}


CASES: list[tuple[str, int, Any, dict[str, str], ErrorKind]] = [
    (
        "openai 401",
        401,
        oai("invalid_api_key", "Incorrect API key provided"),
        {},
        ErrorKind.AUTH_FAILED,
    ),
    (
        "openai quota",
        429,
        oai("insufficient_quota", "You exceeded your current quota", "insufficient_quota"),
        {},
        ErrorKind.OUT_OF_CREDIT,
    ),
    (
        "openai 429",
        429,
        oai("rate_limit_exceeded", "Rate limit reached", "requests"),
        {"retry-after": "2"},
        ErrorKind.RATE_LIMITED,
    ),
    (
        "openai context",
        400,
        oai("context_length_exceeded", "This model's maximum context length is 8192 tokens"),
        {},
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "openai 404",
        404,
        oai("model_not_found", "The model `gpt-9` does not exist"),
        {},
        ErrorKind.MODEL_NOT_FOUND,
    ),
    ("model_not_found code", 400, oai("model_not_found", "nope"), {}, ErrorKind.MODEL_NOT_FOUND),
    (
        "anthropic 401",
        401,
        ant("authentication_error", "invalid x-api-key"),
        {},
        ErrorKind.AUTH_FAILED,
    ),
    (
        "anthropic credit",
        400,
        ant("invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
        {},
        ErrorKind.OUT_OF_CREDIT,
    ),
    (
        "anthropic 429",
        429,
        ant("rate_limit_error", "Number of request tokens has exceeded your rate limit"),
        {"retry-after": "5"},
        ErrorKind.RATE_LIMITED,
    ),
    ("anthropic 529", 529, ant("overloaded_error", "Overloaded"), {}, ErrorKind.OVERLOADED),
    (
        "anthropic too long",
        400,
        ant("invalid_request_error", "prompt is too long: 208000 tokens > 200000 maximum"),
        {},
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    ("503", 503, "Service Unavailable", {}, ErrorKind.OVERLOADED),
    ("500", 500, oai(None, "The server had an error", "server_error"), {}, ErrorKind.SERVER_ERROR),
    ("502 html", 502, "<html>Bad Gateway</html>", {}, ErrorKind.SERVER_ERROR),
    (
        "deepseek 402",
        402,
        {
            "error": {
                "message": "Insufficient Balance",
                "type": "unknown_error",
                "param": None,
                "code": "invalid_request_error",
            }
        },
        {},
        ErrorKind.OUT_OF_CREDIT,
    ),
    (
        "openrouter 402",
        402,
        {"error": {"code": 402, "message": "This request requires more credits"}},
        {},
        ErrorKind.OUT_OF_CREDIT,
    ),
    (
        "gemini array 429",
        429,
        [
            {
                "error": {
                    "code": 429,
                    "message": "Resource has been exhausted",
                    "status": "RESOURCE_EXHAUSTED",
                }
            }
        ],
        {},
        ErrorKind.RATE_LIMITED,
    ),
    (
        "gemini bad key",
        400,
        [
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                }
            }
        ],
        {},
        ErrorKind.AUTH_FAILED,
    ),
    (
        "vllm object error",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        {},
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "vllm model",
        404,
        {
            "object": "error",
            "message": "The model `x` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        },
        {},
        ErrorKind.MODEL_NOT_FOUND,
    ),
    (
        "ollama model",
        404,
        {"error": "model 'llama9' not found, try pulling it first"},
        {},
        ErrorKind.MODEL_NOT_FOUND,
    ),
    (
        "ollama 500",
        500,
        {"error": "llama runner process has terminated"},
        {},
        ErrorKind.SERVER_ERROR,
    ),
    ("plain 400", 400, oai(None, "temperature must be <= 2"), {}, ErrorKind.BAD_REQUEST),
    ("403", 403, "Forbidden", {}, ErrorKind.AUTH_FAILED),
]


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_classification_table(
    status: int, body: Any, headers: dict[str, str], kind: ErrorKind
) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    error = classify(EP, "gpt-4o", status, httpx.Headers(headers), raw.encode())
    assert error.kind is kind
    assert error.status == status
    assert "OpenAI (work)" in error.message
    assert error.provider_id == "example"


def test_out_of_credit_message_is_actionable() -> None:
    body = json.dumps(oai("insufficient_quota", "quota", "insufficient_quota")).encode()
    error = classify(EP, "gpt-4o", 429, {}, body)
    assert error.message.startswith("OpenAI (work) has no credit left for gpt-4o: add credit")
    assert "Configure Providers" in error.message


def test_rate_limit_carries_retry_after() -> None:
    error = classify(EP, "m", 429, httpx.Headers({"retry-after-ms": "1500"}), b"{}")
    assert error.retry_after_s == 1.5
    assert error.to_data()["retryAfterS"] == 1.5


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "20"}, 0.02),
        ({"x-ratelimit-reset-requests": "6m0s"}, 360.0),
        ({"x-ratelimit-reset-tokens": "1.5s", "x-ratelimit-reset-requests": "20ms"}, 1.5),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(httpx.Headers(headers)) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("1.5s", 1.5), ("20ms", 0.02), ("1h2m3s", 3723.0), ("7", 7.0), ("x", None)],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_key_never_appears_in_messages() -> None:
    body = json.dumps(oai("invalid_api_key", f"Incorrect API key provided: {KEY}")).encode()
    error = classify(EP, "gpt-4o", 401, {}, body)
    assert KEY not in error.message
    assert "[redacted]" in error.message


def test_provider_text_is_truncated() -> None:
    error = classify(EP, "m", 400, {}, ("x " * 5000).encode())
    assert len(error.message) < 700


def test_openrouter_error_chunk_in_stream() -> None:
    error = stream_error(EP, "m", {"error": {"code": 402, "message": "Insufficient credits"}})
    assert error.kind is ErrorKind.OUT_OF_CREDIT


def test_anthropic_error_event_in_stream() -> None:
    error = stream_error(EP, "m", ant("overloaded_error", "Overloaded"))
    assert error.kind is ErrorKind.OVERLOADED
    assert error.status == 529


def raise_in(exc: Exception) -> ByokError:
    with pytest.raises(ByokError) as info, map_errors(EP, "gpt-4o"):
        raise exc
    return info.value


def test_transport_errors() -> None:
    assert (
        raise_in(httpx.ConnectError("[Errno 111] Connection refused")).kind is ErrorKind.UNREACHABLE
    )
    assert (
        raise_in(httpx.ConnectError("[Errno -2] Name or service not known")).kind
        is ErrorKind.UNREACHABLE
    )
    assert raise_in(httpx.ReadTimeout("timed out")).kind is ErrorKind.TIMEOUT
    assert raise_in(httpx.ConnectTimeout("timed out")).kind is ErrorKind.TIMEOUT
    assert raise_in(httpx.RemoteProtocolError("peer closed")).kind is ErrorKind.BAD_RESPONSE
    assert raise_in(json.JSONDecodeError("bad", "{", 0)).kind is ErrorKind.BAD_RESPONSE


def test_transport_error_scrubs_key() -> None:
    error = raise_in(httpx.ConnectError(f"failed for Bearer {KEY}"))
    assert KEY not in error.message


@pytest.mark.parametrize("pad", [280, 290, 295, 299, 300])
def test_a_key_straddling_the_quote_cut_leaves_no_piece_of_eight(pad: int) -> None:
    message = "e" * pad + KEY + " trailing text"
    error = classify(EP, "gpt-4o", 400, {}, oai(None, message))
    text = error.message
    assert not [KEY[i : i + 8] for i in range(len(KEY) - 7) if KEY[i : i + 8] in text], text
