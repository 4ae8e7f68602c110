"""Whether a host or URL points at this machine (a key may then travel over plain http)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_localhost_name(host: str) -> bool:
    """``localhost`` and ``*.localhost`` (RFC 6761): names that must mean this machine.

    The HTTP layer connects such names on a loopback address it resolves itself, so a DNS
    answer for them can never receive a key over plain http.
    """
    host = host.strip("[]").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_loopback_host(host: str) -> bool:
    if is_localhost_name(host):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")
