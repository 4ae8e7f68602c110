"""What the user is told about routing: once per provider and situation, not per keystroke."""

from __future__ import annotations

from byok_ls.config.schema import Task
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.routing.target import Notice, Target

_WHAT = {
    ErrorKind.OUT_OF_CREDIT: "is out of credit",
    ErrorKind.AUTH_FAILED: "rejected its API key",
    ErrorKind.MISSING_KEY: "has no API key",
    ErrorKind.BUDGET_EXCEEDED: "reached its budget",
}


class Notices:
    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        #: Situations already told per provider; forgotten when the provider serves again.
        self._told: dict[str, set[str]] = {}

    def tell_once(self, provider_id: str, key: str, level: str, message: str) -> None:
        told = self._told.setdefault(provider_id, set())
        if key not in told:
            told.add(key)
            self.notice(level, message)

    def recovered(self, provider_id: str) -> None:
        self._told.pop(provider_id, None)

    def fell_back(self, task: Task, failed: Target, error: ByokError, served: Target) -> None:
        what = _WHAT.get(error.kind, f"failed ({error.kind.value})")
        self.tell_once(
            failed.provider.id,
            f"fallback-{error.kind.value}",
            "warning",
            f"{failed.provider.name} {what}; using {served.model_id} for {task} until it is fixed.",
        )

    def gave_up(self, task: Task, target: Target, error: ByokError) -> None:
        # Completion has no answer box to show an error in: say it once. A used-up budget
        # was already announced by the budget warning.
        if task == "completion" and error.kind != ErrorKind.BUDGET_EXCEEDED:
            self.tell_once(target.provider.id, f"error-{error.kind.value}", "error", error.message)
