"""API keys: the OS keyring, ``$ENV`` references, an opt-in file store, and masking.

Keys are looked up in one documented order: the provider's ``api_key_env`` variable if set,
else the keyring (service ``byok-ls``, user = provider id), else the opt-in file store.
A key never leaves this module except towards the provider's own base URL; everything the
user sees is a :class:`KeyStatus` with the last four characters only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.keyfile import KeyFile

SERVICE = "byok-ls"
log = logging.getLogger(__name__)

KeySource = Literal["keyring", "env", "file"]

# Every key this process has seen, so log output can be scrubbed of them (see lsp/logging).
_known_keys: set[str] = set()
_known_lock = threading.Lock()


def remember(key: str) -> None:
    if len(key) >= 4:
        with _known_lock:
            _known_keys.add(key)


def known_keys() -> tuple[str, ...]:
    with _known_lock:
        return tuple(_known_keys)


def hint(key: str) -> str:
    """``sk-…wxyz``: a short, recognisable, non-secret label for a key."""
    head = key[:3] if len(key) >= 16 else ""
    return f"{head}…{key[-4:]}" if len(key) >= 8 else "…"


@dataclass(frozen=True)
class KeyStatus:
    present: bool
    source: KeySource | None
    hint: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"present": self.present, "source": self.source, "hint": self.hint}


def _keyring_usable(backend: Any) -> bool:
    # keyring's "fail" backend and a chainer without members both mean: nothing works.
    name = type(backend).__module__ + "." + type(backend).__name__
    if name.startswith("keyring.backends.fail"):
        return False
    if name.startswith("keyring.backends.chainer") and not getattr(backend, "backends", None):
        return False
    return float(getattr(backend, "priority", 1)) > 0


class KeyStore:
    def __init__(self, file_store: Path | None = None, *, use_file_store: bool = False) -> None:
        self._file_store = file_store
        self.use_file_store = use_file_store
        self._lock = threading.Lock()
        self._backend: Any = None
        #: Bumped by every set and delete, so callers that cache a key know it changed.
        self.version = 0

    # ---- backends ----------------------------------------------------------------------

    def _keyring(self) -> Any:
        if self._backend is None:
            # Imported lazily: keyring's backend discovery costs start-up time.
            import keyring
            import keyring.core

            # An explicit choice is honoured per store (keyring itself caches one backend
            # per process, which tests that switch backends would otherwise share).
            chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
            self._backend = keyring.core.load_keyring(chosen) if chosen else keyring.get_keyring()
        return self._backend

    def keyring_available(self) -> bool:
        try:
            return _keyring_usable(self._keyring())
        except Exception:
            return False

    def _file(self) -> KeyFile:
        assert self._file_store is not None
        return KeyFile(self._file_store)

    def _file_read(self) -> dict[str, str]:
        if self._file_store is None:
            return {}
        return self._file().read()

    def _file_update(self, change: Callable[[dict[str, str]], bool]) -> None:
        try:
            self._file().update(change)
        except OSError as exc:
            raise ByokError(
                ErrorKind.CONFIG_UNWRITABLE,
                f"apiKey: cannot save the key in {self._file_store} "
                f"({exc.strerror or type(exc).__name__}): check that it is a file you can "
                "write to. Nothing was changed.",
                field="apiKey",
            ) from exc

    # ---- operations --------------------------------------------------------------------

    def get(
        self, provider_id: str, api_key_env: str | None = None
    ) -> tuple[str | None, KeySource | None]:
        if api_key_env:
            value = os.environ.get(api_key_env)
            if value:
                remember(value)
                return value, "env"
            return None, None
        with self._lock:
            if self.keyring_available():
                try:
                    value = self._keyring().get_password(SERVICE, provider_id)
                except Exception as exc:
                    log.warning("keyring lookup for %s failed: %s", provider_id, type(exc).__name__)
                    value = None
                if value:
                    remember(value)
                    return value, "keyring"
            if self.use_file_store:
                value = self._file_read().get(provider_id)
                if value:
                    remember(value)
                    return value, "file"
        return None, None

    def status(self, provider_id: str, api_key_env: str | None = None) -> KeyStatus:
        key, source = self.get(provider_id, api_key_env)
        return KeyStatus(present=key is not None, source=source, hint=hint(key) if key else None)

    @staticmethod
    def check(key: str) -> None:
        """Refuse a key that cannot be one, before anything is changed."""
        if not key or any(c.isspace() for c in key):
            raise ByokError(
                ErrorKind.INVALID_PARAMS,
                "apiKey: must be non-empty and contain no spaces",
                field="apiKey",
            )

    def set(self, provider_id: str, key: str) -> KeySource:
        self.check(key)
        remember(key)
        with self._lock:
            try:
                return self._store(provider_id, key)
            finally:
                # After the write: a reader that cached the old key sees the new version.
                self.version += 1

    def _store(self, provider_id: str, key: str) -> KeySource:
        """Write the key to the keyring, else to the opt-in file store (caller holds the lock)."""
        if self.keyring_available():
            try:
                self._keyring().set_password(SERVICE, provider_id, key)
                return "keyring"
            except Exception as exc:
                if not self.use_file_store:
                    raise self._no_keyring(
                        f"the keyring refused the key ({type(exc).__name__})"
                    ) from exc
        if self.use_file_store:

            def put(data: dict[str, str]) -> bool:
                data[provider_id] = key
                return True

            self._file_update(put)
            log.warning(
                "API key for %s stored in the plain file %s (key_file_store is on)",
                provider_id,
                self._file_store,
            )
            return "file"
        raise self._no_keyring("no keyring backend is available on this machine")

    def delete(self, provider_id: str) -> None:
        with self._lock:
            try:
                if self.keyring_available():
                    # Nothing stored is the same outcome as deleted.
                    with contextlib.suppress(Exception):
                        self._keyring().delete_password(SERVICE, provider_id)
                if self._file_store is not None and self._file_store.exists():
                    self._file_update(lambda data: data.pop(provider_id, None) is not None)
            finally:
                self.version += 1

    @staticmethod
    def _no_keyring(why: str) -> ByokError:
        return ByokError(
            ErrorKind.KEYRING_UNAVAILABLE,
            f"Cannot save the API key: {why}. Either set the provider's apiKeyEnv to the name of "
            "an environment variable that holds the key, or opt in to the plain-file key store "
            "with `settings: {key_file_store: true}` in config.yaml (stored with mode 0600).",
            field="apiKey",
        )
