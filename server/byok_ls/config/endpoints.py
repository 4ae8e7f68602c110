"""From a configured provider to the Endpoint an adapter talks to (URL, key, profile)."""

from __future__ import annotations

from typing import Any

from byok_ls.config.catalog import templates
from byok_ls.config.schema import Provider, Settings, Template
from byok_ls.providers.types import Endpoint, Profile
from byok_ls.secrets import KeyStore


def template_of(provider: Provider) -> Template:
    found = templates()
    return found.get(provider.template) or found["custom"]


def profile_from(template: Template) -> Profile:
    raw: dict[str, Any] = dict(template.profile)
    if "extra_headers" in raw:
        raw["extra_headers"] = tuple(tuple(pair) for pair in raw["extra_headers"])
    return Profile(**raw)


class Endpoints:
    """Endpoints built once per provider and configuration.

    A key lookup can be a round trip to the OS keyring (D-Bus, Keychain), too slow to repeat
    on every keystroke. Any save, by this server or another window, and any key change
    start a new cache (``stamp`` changes).
    """

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._cache: dict[str, tuple[Provider, Endpoint]] = {}
        self._stamp: tuple[int, int] = (-1, -1)

    def get(self, provider: Provider, settings: Settings, generation: int) -> Endpoint:
        stamp = (generation, self.keys.version)
        if stamp != self._stamp:
            self._cache.clear()
            self._stamp = stamp
        cached = self._cache.get(provider.id)
        if cached is not None and cached[0] == provider:
            return cached[1]
        endpoint = self._build(provider, settings)
        self._cache[provider.id] = (provider, endpoint)
        return endpoint

    def _build(self, provider: Provider, settings: Settings) -> Endpoint:
        template = template_of(provider)
        key, _ = self.keys.get(provider.id, provider.api_key_env)
        return Endpoint(
            provider_id=provider.id,
            provider_name=provider.name,
            wire_format=template.wire_format,
            base_url=provider.base_url,
            api_key=key,
            profile=profile_from(template),
            allow_insecure_http=provider.allow_insecure_http,
            connect_timeout_s=settings.connect_timeout_s,
            read_timeout_s=settings.read_timeout_s,
        )
