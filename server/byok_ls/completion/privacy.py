"""Keeping secrets out of what leaves the machine.

Whole files are kept out by :mod:`byok_ls.workspace.exclusion` (``.byokignore`` and secret
file names); in the files that are sent, key-shaped strings and private key blocks are
masked before the context leaves the machine.
"""

from __future__ import annotations

import re

from byok_ls.errors import SECRET_PATTERNS

# Shapes not in the shared list (which scrubs outgoing error text); only masking needs them.
_EXTRA_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"npm_[A-Za-z0-9]{36}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
)
_PATTERNS = SECRET_PATTERNS + _EXTRA_PATTERNS

# The recognisable start of a key kept in its placeholder, so the model still sees what kind
# of value sits there (``sk-ant-…REDACTED``) without the value itself.
_KIND = re.compile(
    r"^(?:sk-ant-|sk-proj-|sk-or-v1-|sk-|gsk_|xai-|AIza|gh[pousr]_|github_pat_|AKIA|ASIA|"
    r"xox[abprs]-|hf_|glpat-|[sr]k_(?:live|test)_|npm_|(?i:bearer)\s+)"
)
_PEM = re.compile(
    r"(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)(.*?)(-----END \2PRIVATE KEY-----)", re.DOTALL
)
REDACTED = "REDACTED"


def _placeholder(match: re.Match[str]) -> str:
    kind = _KIND.match(match.group(0))
    return f"{kind.group(0) if kind else ''}…{REDACTED}"


def _pem_placeholder(match: re.Match[str]) -> str:
    # Every line of the body becomes the marker, so the text keeps its line count and the
    # editor's positions still line up with the masked context.
    body = re.sub(r"[^\r\n]+", REDACTED, match.group(3))
    return f"{match.group(1)}{body}{match.group(4)}"


def mask_secrets(text: str) -> str:
    """``text`` with private key blocks and key-shaped strings replaced by placeholders."""
    if "PRIVATE KEY-----" in text:
        text = _PEM.sub(_pem_placeholder, text)
    for pattern in _PATTERNS:
        text = pattern.sub(_placeholder, text)
    return text
