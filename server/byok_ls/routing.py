"""Which provider/model serves a request: the active model, its fallback chain, cool-downs,
budgets, and the usage record of every upstream attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from byok_ls.config.catalog import templates
from byok_ls.config.schema import Model, Provider, Task, Template
from byok_ls.config.service import ConfigService
from byok_ls.errors import FALLBACK_KINDS, ByokError, ErrorKind
from byok_ls.providers.types import Endpoint, Profile
from byok_ls.usage import Ledger, Period, Prices, UsageRecord, cost_usd, local_day

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Failures after which a provider is skipped for the configured cool-down.
COOLDOWN_KINDS = frozenset({ErrorKind.OUT_OF_CREDIT, ErrorKind.AUTH_FAILED})
#: Failures after which completion (every keystroke) backs off briefly instead of retrying.
BACKOFF_KINDS = frozenset(
    {ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED}
)
COMPLETION_BACKOFF_S = 15.0
#: Share of a budget at which the client is warned (once per provider, period and limit).
BUDGET_WARNING = 0.8
#: Longest wait for the ledger's first read of today's spend before a budget check.
SEED_WAIT_S = 2.0

_PERIODS: tuple[tuple[Period, str], ...] = (("day", "daily"), ("month", "monthly"))

Notice = Callable[[str, str], None]  # (level: "info" | "warning" | "error", message)


class Served(Protocol):
    """What an attempt returns: enough for the usage record."""

    input_tokens: int
    output_tokens: int
    estimated: bool


@dataclass(frozen=True)
class Target:
    model_id: str
    provider: Provider
    model: Model
    template: Template
    endpoint: Endpoint
    fallback: bool


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
    #: Notices already shown; cleared when the provider serves a request again.
    told: set[str] = field(default_factory=set)
    #: Budget warnings already shown (per period and limit); a success does not clear them.
    warned: set[str] = field(default_factory=set)


def profile_from(template: Template) -> Profile:
    raw: dict[str, Any] = dict(template.profile)
    if "extra_headers" in raw:
        raw["extra_headers"] = tuple(tuple(pair) for pair in raw["extra_headers"])
    return Profile(**raw)


class Router:
    def __init__(
        self,
        config: ConfigService,
        ledger: Ledger | None = None,
        notice: Notice | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        ledger_source: Callable[[], Ledger] | None = None,
    ) -> None:
        self.config = config
        self._ledger = ledger
        #: Opens the ledger on the first request when none was given (lazy start-up).
        self._ledger_source = ledger_source
        self.notice = notice or (lambda level, message: None)
        self.clock = clock
        self.health: dict[str, Health] = {}
        self._endpoints: dict[str, tuple[Provider, Endpoint]] = {}
        self._endpoints_stamp: tuple[int, int] = (-1, -1)

    @property
    def ledger(self) -> Ledger | None:
        if self._ledger is None and self._ledger_source is not None:
            source, self._ledger_source = self._ledger_source, None
            try:
                self._ledger = source()
            except Exception:  # usage bookkeeping must never stop a request
                log.exception("the usage ledger could not be opened")
        return self._ledger

    @ledger.setter
    def ledger(self, ledger: Ledger | None) -> None:
        self._ledger = ledger

    # ---- building blocks -------------------------------------------------------------

    def template_of(self, provider: Provider) -> Template:
        found = templates()
        return found.get(provider.template) or found["custom"]

    def endpoint(self, provider: Provider) -> Endpoint:
        # Built once per provider and configuration: a key lookup can be a round trip to the
        # OS keyring (D-Bus, Keychain), too slow to repeat on every keystroke. Any save, by
        # this server or another window, and any key change start a new cache.
        stamp = (self.config.store.generation, self.config.keys.version)
        if stamp != self._endpoints_stamp:
            self._endpoints.clear()
            self._endpoints_stamp = stamp
        cached = self._endpoints.get(provider.id)
        if cached is not None and cached[0] == provider:
            return cached[1]
        endpoint = self._build_endpoint(provider)
        self._endpoints[provider.id] = (provider, endpoint)
        return endpoint

    def _build_endpoint(self, provider: Provider) -> Endpoint:
        template = self.template_of(provider)
        key, _ = self.config.keys.get(provider.id, provider.api_key_env)
        settings = self.config.config.settings
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

    def target(self, model_id: str, task: Task, fallback: bool = False) -> Target:
        provider, model = self.config.resolve(model_id, task)
        return Target(
            model_id, provider, model, self.template_of(provider), self.endpoint(provider), fallback
        )

    def chain(self, task: Task, model_id: str | None) -> list[str]:
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

    # ---- health ----------------------------------------------------------------------

    def _health(self, provider_id: str) -> Health:
        return self.health.setdefault(provider_id, Health())

    def blocked(self, target: Target, task: Task) -> ByokError | None:
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

    def cool_down(self, provider: Provider) -> tuple[float, str | None]:
        """Seconds ``provider`` is still skipped and why; (0, None) when it is not.

        A block set for an endpoint that has since changed (new key or URL) is over.
        """
        health = self.health.get(provider.id)
        if health is None or health.blocked_kind is None:
            return 0.0, None
        remaining = health.blocked_until - self.clock()
        if remaining <= 0 or health.blocked_endpoint != self.endpoint(provider):
            return 0.0, None
        return remaining, health.blocked_kind.value

    def _failed(self, target: Target, task: Task, error: ByokError) -> None:
        health = self._health(target.provider.id)
        health.last_outcome = error.kind.value
        wait = 0.0
        scope: Task | None = None
        if error.kind in COOLDOWN_KINDS:
            wait = self.config.config.settings.cooldown_s
        elif task == "completion" and error.kind in BACKOFF_KINDS:
            wait = max(COMPLETION_BACKOFF_S, min(error.retry_after_s or 0.0, 300.0))
            scope = task
        if wait > 0:
            health.blocked_task = scope
            health.blocked_until = self.clock() + wait
            health.blocked_kind = error.kind
            health.blocked_message = error.message
            health.blocked_endpoint = target.endpoint

    def _succeeded(self, target: Target) -> None:
        health = self._health(target.provider.id)
        health.last_outcome = "ok"
        health.blocked_until = 0.0
        health.told.clear()

    def tell_once(self, provider_id: str, key: str, level: str, message: str) -> None:
        """Say it once per provider and situation, not on every keystroke."""
        health = self._health(provider_id)
        if key not in health.told:
            health.told.add(key)
            self.notice(level, message)

    # ---- budgets ---------------------------------------------------------------------

    def spent(self, provider_id: str, period: Period) -> float:
        ledger = self.ledger
        return ledger.spent(provider_id, period) if ledger is not None else 0.0

    async def _ledger_ready(self, target: Target) -> None:
        """Before the first budget check, let the ledger read what was spent earlier today."""
        ledger = self.ledger
        if target.provider.budget is not None and ledger is not None and not ledger.seeded:
            await asyncio.to_thread(ledger.wait_seeded, SEED_WAIT_S)

    def over_budget(self, target: Target) -> ByokError | None:
        """Refuse a request to a provider whose daily or monthly budget is used up."""
        budget = target.provider.budget
        if budget is None or self.ledger is None:
            return None
        self._warn_budget(target)
        for period, adjective in _PERIODS:
            limit = budget.daily_usd if period == "day" else budget.monthly_usd
            if limit is None:
                continue
            spent = self.spent(target.provider.id, period)
            if spent >= limit:
                return ByokError(
                    ErrorKind.BUDGET_EXCEEDED,
                    f"{target.provider.name} reached its {adjective} budget "
                    f"(${spent:.4f} of ${limit:.4f}); the request was not sent. Raise the "
                    "budget, wait for the next "
                    f"{period}, or switch the active model (Configure Providers).",
                    provider_id=target.provider.id,
                    model=target.model.name,
                    extra={"period": period, "spentUsd": spent, "budgetUsd": limit},
                )
        return None

    def _warn_budget(self, target: Target) -> None:
        """Warn once when a budget passes 80 %, and once when it is used up."""
        budget = target.provider.budget
        if budget is None:
            return
        health = self._health(target.provider.id)
        for period, adjective in _PERIODS:
            limit = budget.daily_usd if period == "day" else budget.monthly_usd
            if limit is None:
                continue
            spent = self.spent(target.provider.id, period)
            if spent < BUDGET_WARNING * limit:
                continue
            when = local_day(time.time())
            when = when if period == "day" else when[:7]
            if spent >= limit:
                key = f"budget100-{period}-{when}-{limit}"
                message = (
                    f"{target.provider.name} has used its {adjective} budget "
                    f"(${spent:.4f} of ${limit:.4f}): further requests to it are refused"
                    " (or go to a fallback model) until the next "
                    f"{period} or until the budget is raised."
                )
            else:
                key = f"budget80-{period}-{when}-{limit}"
                message = (
                    f"{target.provider.name} has used {spent / limit:.0%} of its {adjective} "
                    f"budget (${spent:.4f} of ${limit:.4f})."
                )
            if key not in health.warned:
                # Crossing 100 % in one step also covers the 80 % warning.
                health.warned.update({key, f"budget80-{period}-{when}-{limit}"})
                self.notice("warning", message)

    # ---- usage -----------------------------------------------------------------------

    def record(
        self,
        target: Target,
        task: Task,
        started: float,
        outcome: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        estimated: bool = False,
    ) -> None:
        ledger = self.ledger
        if ledger is None:
            return
        prices = target.model.prices
        cost = cost_usd(
            Prices(prices.input_per_mtok, prices.output_per_mtok) if prices else None,
            input_tokens,
            output_tokens,
        )
        ledger.record(
            UsageRecord(
                ts=time.time(),
                provider_id=target.provider.id,
                model=target.model.name,
                task=task,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                estimated=estimated,
                cost_usd=cost,
                latency_ms=(time.perf_counter() - started) * 1000,
                outcome=outcome,
                fallback=target.fallback,
            )
        )

    # ---- the loop --------------------------------------------------------------------

    async def run(
        self,
        task: Task,
        model_id: str | None,
        attempt: Callable[[Target], Awaitable[T]],
        *,
        delivered: Callable[[], bool] = lambda: False,
        partial_usage: Callable[[], tuple[int, int]] | None = None,
    ) -> tuple[T, Target]:
        """Try the chain in order until one model serves the request.

        ``delivered`` says whether the user has already seen output (a chat stream): from
        then on a failure is final, because a fallback would answer a second time.
        ``partial_usage`` estimates (input, output) tokens of an answer that broke off or was
        cancelled after output arrived: the provider bills those, so the ledger counts them.
        """

        def broken_off() -> tuple[int, int, bool]:
            if partial_usage is None or not delivered():
                return 0, 0, False
            return *partial_usage(), True

        errors: list[tuple[Target | None, ByokError]] = []
        refs = self.chain(task, model_id)
        for index, ref in enumerate(refs):
            try:
                target = self.target(ref, task, fallback=index > 0)
            except ByokError as exc:
                errors.append((None, exc))
                continue
            if not target.provider.enabled:
                errors.append(
                    (
                        target,
                        ByokError(
                            ErrorKind.PROVIDER_DISABLED,
                            f"{target.provider.name} is disabled: enable it or switch the "
                            f"active {task} model (Configure Providers).",
                            provider_id=target.provider.id,
                            model=target.model.name,
                        ),
                    )
                )
                continue
            refusal = self.blocked(target, task)
            if refusal is None:
                await self._ledger_ready(target)
                refusal = self.over_budget(target)
            if refusal is not None:
                errors.append((target, refusal))
                continue
            started = time.perf_counter()
            try:
                result = await attempt(target)
            except ByokError as exc:
                self.record(target, task, started, exc.kind.value, *broken_off())
                self._failed(target, task, exc)
                errors.append((target, exc))
                if exc.kind in FALLBACK_KINDS and not delivered():
                    continue
                raise
            except asyncio.CancelledError:
                self.record(target, task, started, "cancelled", *broken_off())
                raise
            self._succeeded(target)
            served: Any = result
            self.record(
                target,
                task,
                started,
                "ok",
                int(getattr(served, "input_tokens", 0)),
                int(getattr(served, "output_tokens", 0)),
                bool(getattr(served, "estimated", False)),
            )
            self._warn_budget(target)
            if errors:
                self._announce_fallback(task, errors, target)
            return result, target
        raise self._give_up(task, errors)

    def _announce_fallback(
        self, task: Task, errors: list[tuple[Target | None, ByokError]], served: Target
    ) -> None:
        first_target, first_error = errors[0]
        if first_target is None:
            return
        what = {
            ErrorKind.OUT_OF_CREDIT: "is out of credit",
            ErrorKind.AUTH_FAILED: "rejected its API key",
            ErrorKind.BUDGET_EXCEEDED: "reached its budget",
        }.get(first_error.kind, f"failed ({first_error.kind.value})")
        self.tell_once(
            first_target.provider.id,
            f"fallback-{first_error.kind.value}",
            "warning",
            f"{first_target.provider.name} {what}; using {served.model_id} for {task} "
            "until it is fixed.",
        )

    def _give_up(self, task: Task, errors: list[tuple[Target | None, ByokError]]) -> ByokError:
        target, first = errors[0]
        # Completion has no answer box to show an error in: say it once. A used-up budget
        # was already announced by the budget warning.
        if target is not None and task == "completion" and first.kind != ErrorKind.BUDGET_EXCEEDED:
            self.tell_once(target.provider.id, f"error-{first.kind.value}", "error", first.message)
        if len(errors) == 1:
            return first
        others = "; ".join(f"{t.model_id if t else '?'}: {e.kind.value}" for t, e in errors[1:])
        return ByokError(
            first.kind,
            f"{first.message} Fallbacks failed too ({others}).",
            provider_id=first.provider_id,
            model=first.model,
            status=first.status,
            retry_after_s=first.retry_after_s,
            extra={"attempts": [e.to_data() for _, e in errors]},
        )
