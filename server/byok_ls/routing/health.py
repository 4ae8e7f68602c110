"""Provider health: the last outcome, and how long a failing provider is skipped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from byok_ls.config.schema import Task
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.types import Endpoint
from byok_ls.routing.target import Target

#: Failures after which a provider is skipped for the configured cool-down.
COOLDOWN_KINDS = frozenset({ErrorKind.OUT_OF_CREDIT, ErrorKind.AUTH_FAILED})
#: Failures after which completion (every keystroke) backs off briefly instead of retrying.
BACKOFF_KINDS = frozenset(
    {ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED}
)
COMPLETION_BACKOFF_S = 15.0
#: Longest back-off a provider's retry-after can ask of completion.
MAX_BACKOFF_S = 300.0


@dataclass
class Health:
    last_outcome: str | None = None
    blocked_until: float = 0.0
    blocked_kind: ErrorKind | None = None
    blocked_message: str = ""
    #: The endpoint that failed; a changed key or URL lifts the block at once.
    blocked_endpoint: Endpoint | None = None
    #: The task the block holds for; None for every task. A keystroke's short back-off
    #: must not turn away a chat the user sent on purpose.
    blocked_task: Task | None = None


class HealthBook:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._by_provider: dict[str, Health] = {}

    def get(self, provider_id: str) -> Health | None:
        return self._by_provider.get(provider_id)

    def _health(self, provider_id: str) -> Health:
        return self._by_provider.setdefault(provider_id, Health())

    def blocked(self, target: Target, task: Task) -> ByokError | None:
        """Why ``target`` is skipped for ``task`` right now, or None."""
        health = self._health(target.provider.id)
        remaining = health.blocked_until - self.clock()
        if remaining <= 0 or health.blocked_endpoint != target.endpoint:
            return None
        if health.blocked_task is not None and health.blocked_task != task:
            return None
        assert health.blocked_kind is not None
        return ByokError(
            health.blocked_kind,
            f"{health.blocked_message} (skipped for another {remaining:.0f} s)",
            provider_id=target.provider.id,
            model=target.model.name,
            retry_after_s=round(remaining, 1),
        )

    def cool_down(self, provider_id: str, endpoint: Endpoint) -> tuple[float, str | None]:
        """Seconds the provider is still skipped and why; (0, None) when it is not.

        A block set for an endpoint that has since changed (new key or URL) is over.
        """
        health = self._by_provider.get(provider_id)
        if health is None or health.blocked_kind is None:
            return 0.0, None
        remaining = health.blocked_until - self.clock()
        if remaining <= 0 or health.blocked_endpoint != endpoint:
            return 0.0, None
        return remaining, health.blocked_kind.value

    def failed(self, target: Target, task: Task, error: ByokError, cooldown_s: float) -> None:
        health = self._health(target.provider.id)
        health.last_outcome = error.kind.value
        wait = 0.0
        scope: Task | None = None
        if error.kind in COOLDOWN_KINDS:
            wait = cooldown_s
        elif task == "completion" and error.kind in BACKOFF_KINDS:
            wait = max(COMPLETION_BACKOFF_S, min(error.retry_after_s or 0.0, MAX_BACKOFF_S))
            scope = task
        if wait > 0:
            health.blocked_task = scope
            health.blocked_until = self.clock() + wait
            health.blocked_kind = error.kind
            health.blocked_message = error.message
            health.blocked_endpoint = target.endpoint

    def succeeded(self, target: Target) -> None:
        health = self._health(target.provider.id)
        health.last_outcome = "ok"
        health.blocked_until = 0.0
