"""Every error kind has its own JSON-RPC code, fixed for good: clients match on them."""

from __future__ import annotations

from byok_ls.errors import CODES, ByokError, ErrorKind

#: The published codes. A kind added later gets a new code; none of these may change.
PUBLISHED = {
    "auth_failed": -32001,
    "out_of_credit": -32002,
    "rate_limited": -32003,
    "context_too_long": -32004,
    "model_not_found": -32005,
    "bad_request": -32006,
    "overloaded": -32007,
    "server_error": -32008,
    "timeout": -32009,
    "unreachable": -32010,
    "bad_response": -32011,
    "no_active_model": -32012,
    "provider_disabled": -32013,
    "budget_exceeded": -32014,
    "cancelled": -32015,
    "invalid_params": -32016,
    "not_found": -32017,
    "conflict": -32018,
    "config_invalid": -32019,
    "keyring_unavailable": -32020,
    "insecure_url": -32021,
    "config_unwritable": -32022,
    "missing_key": -32023,
}


def test_each_kind_keeps_its_published_code() -> None:
    """The code of every kind is the one published, whatever the declaration order."""
    assert {kind.value: code for kind, code in CODES.items()} == PUBLISHED
    for kind in ErrorKind:
        assert ByokError(kind, "x").code == PUBLISHED[kind.value]


def test_codes_are_distinct_and_in_the_domain_range() -> None:
    """Clients that read only the code can tell every kind apart."""
    assert len(set(CODES.values())) == len(ErrorKind)
    assert all(-32099 <= code <= -32001 for code in CODES.values())
