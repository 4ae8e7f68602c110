"""The same setting is spelled three ways: ``apiKeyEnv`` over LSP, ``api_key_env`` in
config.yaml, ``--key-env`` on the command line. Messages are written with the LSP spelling;
a front end that shows them re-spells the words its user knows under another name."""

from __future__ import annotations

import re
from typing import Literal

FrontEnd = Literal["lsp", "file", "cli"]

#: (LSP, config file, command line)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("apiKeyEnv", "api_key_env", "--key-env"),
    ("apiKey", "api_key", "--key"),
    ("baseUrl", "base_url", "--base-url"),
    ("allowInsecureHttp", "allow_insecure_http", "--allow-insecure-http"),
    ("nCtx", "n_ctx", "--n-ctx"),
    ("defaultTemperature", "default_temperature", "--temperature"),
    ("reasoningStyle", "reasoning_style", "--reasoning"),
    ("maxOutputTokens", "max_output_tokens", "--max-output-tokens"),
    ("modelId", "model_id", "--model"),
    ("groupBy", "group_by", "--group-by"),
)
_COLUMN = {"lsp": 0, "file": 1, "cli": 2}
# Longest first, so apiKeyEnv is not read as apiKey followed by "Env".
_WORDS = {word: names for names in FIELDS for word in sorted(names[:2], key=len, reverse=True)}
_PATTERN = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True))
    + r")(?![\w-])"
)


def spell(text: str, front_end: FrontEnd) -> str:
    """``text`` with every known field name in the spelling of ``front_end``. A field path
    (``model.nCtx``) keeps only its last part on the command line, where flags are flat."""
    column = _COLUMN[front_end]

    def one(match: re.Match[str]) -> str:
        return _WORDS[match.group(1)][column]

    spelled = _PATTERN.sub(one, text)
    if front_end == "cli":
        spelled = re.sub(r"\b[\w\[\]]+(?:\.[\w\[\]]+)*\.(--[\w-]+)", r"\1", spelled)
    return spelled
