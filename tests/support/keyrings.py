"""Keyring backends for tests and CI, so tests never touch the real keychain.

Selected with ``PYTHON_KEYRING_BACKEND=tests.support.keyrings.MemoryKeyring`` (or
``FailingKeyring`` for fault tests); the repository root must be on ``PYTHONPATH`` for a
server process to find them (tests/conftest.py puts it there). They live outside the
``byok_ls`` package so that no user environment can select them.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Keeps keys in process memory."""

    priority = 1.0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._data.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FailingKeyring(KeyringBackend):
    """Every call raises, as a broken Secret Service or locked keychain does."""

    priority = 1.0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("keyring backend failure")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("keyring backend failure")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("keyring backend failure")
