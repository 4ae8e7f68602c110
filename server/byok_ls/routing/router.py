"""The fallback loop: try the active model, then its fallbacks, until one serves.

Each model of the chain is skipped without a request when its provider is disabled, has no
key, is cooling down after a failure, has used up its budget, or cannot serve this request
(the caller's ``unfit`` says why, e.g. a missing capability); otherwise it is asked, and a
failure of a kind that a fallback can cure moves on to the next. Every attempt that reached
a provider leaves one usage record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from byok_ls.config.schema import Provider, Task
from byok_ls.config.service import ConfigService
from byok_ls.errors import ByokError, ErrorKind, may_fall_back
from byok_ls.routing.budgets import Budgets
from byok_ls.routing.health import HealthBook
from byok_ls.routing.notices import Notices
from byok_ls.routing.target import NOTHING, Notice, Served, Spent, Target
from byok_ls.routing.usage import UsageRecorder
from byok_ls.usage import Ledger

S = TypeVar("S", bound=Served)
#: Why a target cannot serve the request at hand (skipped without a request), or None.
Unfit = Callable[[Target], str | None]
S_co = TypeVar("S_co", bound=Served, covariant=True)


class Streamed(Protocol[S_co]):
    """An attempt whose output the user sees while it arrives (a streamed chat answer)."""

    def __call__(self, target: Target) -> Awaitable[S_co]: ...

    def shown(self) -> Spent | None:
        """Tokens of output the user has already seen from the current attempt; None when
        nothing was shown. After output was shown a failure is final (a fallback would
        answer a second time), and what was shown is billed."""
        ...


@dataclass(frozen=True)
class _Unseen(Generic[S_co]):
    """An attempt that shows nothing before it returns."""

    call: Callable[[Target], Awaitable[S_co]]

    def __call__(self, target: Target) -> Awaitable[S_co]:
        return self.call(target)

    def shown(self) -> Spent | None:
        return None


class Router:
    def __init__(
        self,
        config: ConfigService,
        ledger: Ledger | None = None,
        notice: Notice | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.ledger = ledger
        notice = notice or (lambda level, message: None)
        self.health = HealthBook(clock)
        self.notices = Notices(notice)
        self.budgets = Budgets(ledger, notice)
        self.usage = UsageRecorder(ledger)

    # ---- the chain -------------------------------------------------------------------

    def chain(self, task: Task, model_id: str | None) -> list[str]:
        """The model refs to try in order: ``model_id`` alone, or active then fallbacks."""
        if model_id is not None:
            return [model_id]
        config = self.config.config
        active = getattr(config.active, task)
        if active is None:
            raise ByokError(
                ErrorKind.NO_ACTIVE_MODEL,
                f"No active {task} model: choose one (Configure Providers, or "
                f"`byok-ls active {task} <provider>/<model>`).",
                extra={"task": task},
            )
        return [active, *[ref for ref in getattr(config.fallbacks, task) if ref != active]]

    def target(self, model_id: str, task: Task, fallback: bool = False) -> Target:
        provider, model = self.config.resolve(model_id, task)
        template = self.config.template_of(provider)
        return Target(model_id, provider, model, template, self.config.endpoint(provider), fallback)

    def cool_down(self, provider: Provider) -> tuple[float, str | None]:
        """Seconds ``provider`` is still skipped and why; (0, None) when it is not."""
        return self.health.cool_down(provider.id, self.config.endpoint(provider))

    async def _refusal(self, target: Target, task: Task) -> ByokError | None:
        """Why ``target`` is not asked at all, or None."""
        provider = target.provider
        if not provider.enabled:
            return ByokError(
                ErrorKind.PROVIDER_DISABLED,
                f"{provider.name} is disabled: enable it or switch the "
                f"active {task} model (Configure Providers).",
                provider_id=provider.id,
                model=target.model.name,
            )
        refusal = self.health.blocked(target, task)
        if refusal is None:
            await self.budgets.ready(target)
            refusal = self.budgets.refusal(target)
        return refusal or self.config.missing_key(provider, target.endpoint)

    # ---- the loop --------------------------------------------------------------------

    async def run(
        self,
        task: Task,
        model_id: str | None,
        attempt: Callable[[Target], Awaitable[S]],
        unfit: Unfit | None = None,
    ) -> tuple[S, Target]:
        """Try the chain in order until one model serves; its result and the target."""
        return await self.run_streamed(task, model_id, _Unseen(attempt), unfit)

    async def run_streamed(
        self, task: Task, model_id: str | None, attempt: Streamed[S], unfit: Unfit | None = None
    ) -> tuple[S, Target]:
        """Like :meth:`run`, for an attempt that shows output before it returns."""
        errors: list[tuple[Target | None, ByokError]] = []
        skipped: list[str] = []
        for index, ref in enumerate(self.chain(task, model_id)):
            try:
                target = self.target(ref, task, fallback=index > 0)
            except ByokError as exc:
                errors.append((None, exc))
                continue
            reason = unfit(target) if unfit is not None else None
            if reason is not None:
                skipped.append(f"{ref} was skipped: {reason}")
                continue
            refusal = await self._refusal(target, task)
            if refusal is not None:
                errors.append((target, refusal))
                continue
            started = time.perf_counter()
            try:
                result = await attempt(target)
            except ByokError as exc:
                shown = attempt.shown()
                self.usage.record(target, task, started, exc.kind.value, shown or NOTHING)
                cooldown_s = self.config.config.settings.cooldown_s
                self.health.failed(target, task, exc, cooldown_s)
                errors.append((target, exc))
                if shown is None and may_fall_back(exc):
                    continue
                raise
            except asyncio.CancelledError:
                self.usage.record(target, task, started, "cancelled", attempt.shown() or NOTHING)
                raise
            self.health.succeeded(target)
            self.notices.recovered(target.provider.id)
            spent = Spent(result.input_tokens, result.output_tokens, result.estimated)
            self.usage.record(target, task, started, "ok", spent)
            self.budgets.warn(target)
            first_target, first_error = errors[0] if errors else (None, None)
            if first_target is not None and first_error is not None:
                self.notices.fell_back(task, first_target, first_error, target)
            return result, target
        raise self._give_up(task, errors, skipped)

    def _give_up(
        self, task: Task, errors: list[tuple[Target | None, ByokError]], skipped: list[str]
    ) -> ByokError:
        if not errors:
            return ByokError(
                ErrorKind.BAD_REQUEST,
                f"No {task} model of the chain can serve this request: {'; '.join(skipped)}.",
                extra={"skipped": skipped},
            )
        target, first = errors[0]
        if target is not None:
            self.notices.gave_up(task, target, first)
        if len(errors) == 1 and not skipped:
            return first
        message, field, extra = first.message, first.field, dict(first.extra)
        if len(errors) > 1:
            others = "; ".join(f"{t.model_id if t else '?'}: {e.kind.value}" for t, e in errors[1:])
            message += f" Fallbacks failed too ({others})."
            field, extra = None, {"attempts": [e.to_data() for _, e in errors]}
        if skipped:
            message += f" {'; '.join(skipped)}."
            extra["skipped"] = skipped
        return ByokError(
            first.kind,
            message,
            field=field,
            provider_id=first.provider_id,
            model=first.model,
            status=first.status,
            retry_after_s=first.retry_after_s,
            extra=extra,
        )
