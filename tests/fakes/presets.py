"""Error replies with the bodies and headers the real providers send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.scripts import Reply

# -- OpenAI ---------------------------------------------------------------------------


def _openai_error(message: str, type_: str, code: str | None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_invalid_key(key_hint: str = "sk-fake*******************1234") -> Reply:
    msg = (
        f"Incorrect API key provided: {key_hint}. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    return Reply(status=401, body=_openai_error(msg, "invalid_request_error", "invalid_api_key"))


def openai_missing_key() -> Reply:
    msg = (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
        "field (with blank username) if you're accessing the API from your browser and are "
        "prompted for a username and password. You can obtain an API key from "
        "https://platform.openai.com/account/api-keys."
    )
    return Reply(status=401, body=_openai_error(msg, "invalid_request_error", None))


def openai_insufficient_quota() -> Reply:
    msg = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors."
    )
    return Reply(status=429, body=_openai_error(msg, "insufficient_quota", "insufficient_quota"))


def openai_rate_limited(retry_after_s: float = 1.0, model: str = "gpt-4o") -> Reply:
    ms = int(retry_after_s * 1000)
    msg = (
        f"Rate limit reached for {model} in organization org-fake on tokens per min (TPM): "
        f"Limit 30000, Used 29850, Requested 700. Please try again in {ms}ms. Visit "
        "https://platform.openai.com/account/rate-limits to learn more."
    )
    headers = {
        "retry-after": str(max(1, round(retry_after_s))),
        "retry-after-ms": str(ms),
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-remaining-tokens": "150",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-reset-tokens": f"{ms}ms",
    }
    return Reply(
        status=429, headers=headers, body=_openai_error(msg, "tokens", "rate_limit_exceeded")
    )


def openai_context_length(limit: int = 128000, got: int = 130542) -> Reply:
    msg = (
        f"This model's maximum context length is {limit} tokens. However, your messages "
        f"resulted in {got} tokens. Please reduce the length of the messages."
    )
    body = _openai_error(msg, "invalid_request_error", "context_length_exceeded", "messages")
    return Reply(status=400, body=body)


def openai_model_not_found(model: str = "gpt-nonexistent") -> Reply:
    msg = f"The model `{model}` does not exist or you do not have access to it."
    return Reply(status=404, body=_openai_error(msg, "invalid_request_error", "model_not_found"))


def openai_server_error() -> Reply:
    msg = (
        "The server had an error while processing your request. Sorry about that! You can retry "
        "your request, or contact us through our help center at help.openai.com if the error "
        "persists."
    )
    return Reply(status=500, body=_openai_error(msg, "server_error", None))


def openai_unavailable() -> Reply:
    msg = "The engine is currently overloaded, please try again later."
    return Reply(
        status=503, headers={"retry-after": "2"}, body=_openai_error(msg, "server_error", None)
    )


def openai_stream_error(
    message: str = "The server had an error while processing your request.",
) -> Reply:
    """A 200 stream that breaks with `data: {"error": ...}` after the first frame."""
    return Reply(stream_error=_openai_error(message, "server_error", None), error_after=1)


# -- Anthropic ------------------------------------------------------------------------


def _anthropic_error(type_: str, message: str) -> Any:
    return {"type": "error", "error": {"type": type_, "message": message}}


def anthropic_invalid_key() -> Reply:
    return Reply(status=401, body=_anthropic_error("authentication_error", "invalid x-api-key"))


def anthropic_missing_key() -> Reply:
    body = _anthropic_error("authentication_error", "x-api-key header is required")
    return Reply(status=401, body=body)


def anthropic_missing_version() -> Reply:
    body = _anthropic_error("invalid_request_error", "anthropic-version: header is required")
    return Reply(status=400, body=body)


def anthropic_credit_too_low() -> Reply:
    msg = (
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits."
    )
    return Reply(status=400, body=_anthropic_error("invalid_request_error", msg))


def anthropic_rate_limited(retry_after_s: int = 15) -> Reply:
    msg = (
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can "
        "see the response headers for current usage. Please reduce the prompt length or the "
        "maximum tokens requested, or try again later. You may also contact sales at "
        "https://www.anthropic.com/contact-sales to discuss your options for a rate limit "
        "increase."
    )
    headers = {
        "retry-after": str(retry_after_s),
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2025-01-01T00:00:15Z",
    }
    return Reply(status=429, headers=headers, body=_anthropic_error("rate_limit_error", msg))


def anthropic_overloaded() -> Reply:
    return Reply(status=529, body=_anthropic_error("overloaded_error", "Overloaded"))


def anthropic_not_found_model(model: str = "claude-nonexistent") -> Reply:
    return Reply(status=404, body=_anthropic_error("not_found_error", f"model: {model}"))


def anthropic_stream_overloaded() -> Reply:
    """A 200 stream interrupted by `event: error` (overloaded_error)."""
    return Reply(stream_error=_anthropic_error("overloaded_error", "Overloaded"), error_after=3)


# -- Vendors on the OpenAI wire format ------------------------------------------------


def deepseek_insufficient_balance() -> Reply:
    body = {
        "error": {
            "message": "Insufficient Balance",
            "type": "unknown_error",
            "param": None,
            "code": "invalid_request_error",
        }
    }
    return Reply(status=402, body=body)


def deepseek_invalid_key() -> Reply:
    body = {
        "error": {
            "message": "Authentication Fails, Your api key: ****1234 is invalid",
            "type": "authentication_error",
            "param": None,
            "code": "invalid_request_error",
        }
    }
    return Reply(status=401, body=body)


def openrouter_insufficient_credits() -> Reply:
    msg = "Insufficient credits. Add more using https://openrouter.ai/settings/credits"
    return Reply(status=402, body={"error": {"message": msg, "code": 402}})


def openrouter_invalid_key() -> Reply:
    return Reply(status=401, body={"error": {"message": "User not found.", "code": 401}})


def openrouter_stream_error(message: str = "Provider returned error") -> Reply:
    """OpenRouter reports upstream failures inside the 200 stream as a chunk with `error`."""
    return Reply(stream_error={"code": 502, "message": message}, error_after=2)


def gemini_invalid_key() -> Reply:
    msg = "API key not valid. Please pass a valid API key."
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": msg,
        },
    ]
    body = [
        {"error": {"code": 400, "message": msg, "status": "INVALID_ARGUMENT", "details": details}}
    ]
    return Reply(status=400, body=body)


def gemini_bad_request(message: str = "Invalid JSON payload received.") -> Reply:
    return Reply(
        status=400,
        body=[{"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}],
    )


def vllm_bad_request(
    message: str = "This model's maximum context length is 4096 tokens. However, you requested "
    "5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of "
    "the messages or completion.",
) -> Reply:
    body = {
        "object": "error",
        "message": message,
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
    return Reply(status=400, body=body)


def vllm_invalid_key() -> Reply:
    return Reply(status=401, body={"error": "Unauthorized"})


def mistral_invalid_key() -> Reply:
    return Reply(status=401, body={"message": "Unauthorized", "request_id": "fake0000000000000000"})


def mistral_rate_limited() -> Reply:
    return Reply(
        status=429, headers={"retry-after": "1"}, body={"message": "Requests rate limit exceeded"}
    )


def llamacpp_invalid_key() -> Reply:
    body = {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}}
    return Reply(status=401, body=body)


def llamacpp_context_exceeded(n_prompt: int = 5000, n_ctx: int = 4096) -> Reply:
    body = {
        "error": {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": n_prompt,
            "n_ctx": n_ctx,
        }
    }
    return Reply(status=400, body=body)


def ollama_model_not_found(model: str = "x") -> Reply:
    return Reply(status=404, body={"error": f'model "{model}" not found, try pulling it first'})


PRESETS: dict[str, Callable[[], Reply]] = {
    "openai.invalid_api_key": openai_invalid_key,
    "openai.missing_key": openai_missing_key,
    "openai.insufficient_quota": openai_insufficient_quota,
    "openai.rate_limit_exceeded": openai_rate_limited,
    "openai.context_length_exceeded": openai_context_length,
    "openai.model_not_found": openai_model_not_found,
    "openai.server_error": openai_server_error,
    "openai.unavailable": openai_unavailable,
    "openai.stream_error": openai_stream_error,
    "anthropic.authentication_error": anthropic_invalid_key,
    "anthropic.credit_too_low": anthropic_credit_too_low,
    "anthropic.rate_limit_error": anthropic_rate_limited,
    "anthropic.overloaded_error": anthropic_overloaded,
    "anthropic.not_found_error": anthropic_not_found_model,
    "anthropic.stream_overloaded": anthropic_stream_overloaded,
    "deepseek.insufficient_balance": deepseek_insufficient_balance,
    "deepseek.invalid_key": deepseek_invalid_key,
    "openrouter.insufficient_credits": openrouter_insufficient_credits,
    "openrouter.invalid_key": openrouter_invalid_key,
    "openrouter.stream_error": openrouter_stream_error,
    "gemini.invalid_key": gemini_invalid_key,
    "gemini.bad_request": gemini_bad_request,
    "vllm.bad_request": vllm_bad_request,
    "vllm.invalid_key": vllm_invalid_key,
    "mistral.invalid_key": mistral_invalid_key,
    "mistral.rate_limited": mistral_rate_limited,
    "llamacpp.invalid_key": llamacpp_invalid_key,
    "llamacpp.context_exceeded": llamacpp_context_exceeded,
    "ollama.model_not_found": ollama_model_not_found,
}
