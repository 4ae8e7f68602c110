"""Usage reports: sums over a time range, grouped by provider, model, task and/or day.

Whole local days are read from the ``usage_daily`` sums; only the partial days at the edges
of ``[since, until)`` are summed from the per-request rows (through the ``ts`` index), so a
report costs about the same over a thousand rows or millions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from byok_ls.errors import invalid
from byok_ls.usage.records import day_bounds, local_day

GroupBy = Literal["provider", "model", "task", "day"]
DEFAULT_GROUP_BY: tuple[GroupBy, ...] = ("provider", "model", "task")
# Rows are sorted by day first: a "by day" report reads as a timeline.
_DIM_ORDER: tuple[GroupBy, ...] = ("day", "provider", "model", "task")
_DAILY_COLUMN = {"day": "day", "provider": "provider_id", "model": "model", "task": "task"}
_RECORD_COLUMN = {
    "day": "date(ts, 'unixepoch', 'localtime')",
    "provider": "provider_id",
    "model": "model",
    "task": "task",
}
_DAILY_SUMS = (
    "SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd), SUM(priced), "
    "SUM(errors), SUM(estimated), SUM(fallbacks)"
)
_RECORD_SUMS = (
    "COUNT(*), SUM(input_tokens), SUM(output_tokens), TOTAL(cost_usd), COUNT(cost_usd), "
    "SUM(outcome <> 'ok'), SUM(estimated), SUM(fallback)"
)


@dataclass(frozen=True)
class UsageRow:
    """Sums for one group (or, with every dimension None, for the whole report)."""

    provider_id: str | None
    model: str | None
    task: str | None
    day: str | None  # local calendar day, YYYY-MM-DD
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # sum over priced requests; None when none had a price
    errors: int  # requests whose outcome was not "ok" (cancelled included)
    estimated: bool  # some token counts were estimated, not reported by the provider
    fallbacks: int

    def to_json(self) -> dict[str, Any]:
        """camelCase object for ``byok/usage``; dimensions not grouped by are left out."""
        out: dict[str, Any] = {}
        for key, value in (
            ("providerId", self.provider_id),
            ("model", self.model),
            ("task", self.task),
            ("day", self.day),
        ):
            if value is not None:
                out[key] = value
        out.update(
            requests=self.requests,
            inputTokens=self.input_tokens,
            outputTokens=self.output_tokens,
            costUsd=self.cost_usd,
            errors=self.errors,
            estimated=self.estimated,
            fallbacks=self.fallbacks,
        )
        return out


@dataclass(frozen=True)
class UsageReport:
    rows: list[UsageRow]
    totals: UsageRow

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "totals": self.totals.to_json()}


def validate_group_by(group_by: Sequence[str]) -> tuple[GroupBy, ...]:
    """The requested dimensions in canonical order; unknown names are bad params."""
    unknown = [g for g in group_by if g not in _DAILY_COLUMN]
    if unknown or isinstance(group_by, str):
        raise invalid(
            "groupBy",
            f"unknown grouping {unknown or group_by!r}; use any of provider, model, task, day",
        )
    return tuple(d for d in _DIM_ORDER if d in group_by)


def _plan(
    since: float | None, until: float | None
) -> tuple[tuple[str | None, str | None] | None, list[tuple[float | None, float | None]]]:
    """Split [since, until) into whole local days (from/to day keys) and partial ranges."""
    full_lo: float | None = None
    full_hi: float | None = None
    if since is not None:
        start, end = day_bounds(since)
        full_lo = since if since == start else end
    if until is not None:
        full_hi = day_bounds(until)[0]
    if full_lo is not None and full_hi is not None and full_lo >= full_hi:
        return None, [(since, until)]  # inside one day (or two partial halves of a midnight)
    partial: list[tuple[float | None, float | None]] = []
    if since is not None and full_lo is not None and full_lo > since:
        partial.append((since, full_lo))
    if until is not None and full_hi is not None and full_hi < until:
        partial.append((full_hi, until))
    days = (
        None if full_lo is None else local_day(full_lo),
        None if full_hi is None else local_day(full_hi),
    )
    return days, partial


def run_query(
    conn: sqlite3.Connection,
    since: float | None,
    until: float | None,
    dims: tuple[GroupBy, ...],
) -> UsageReport:
    """Sum usage in [since, until) grouped by ``dims`` (already validated)."""
    groups: dict[tuple[str, ...], list[float]] = {}

    def add(sql: str, params: Sequence[object]) -> None:
        for row in conn.execute(sql, params):
            key = tuple(row[: len(dims)])
            sums = row[len(dims) :]
            if not sums[0]:
                continue  # aggregate without GROUP BY yields one all-NULL row for no data
            acc = groups.get(key)
            if acc is None:
                groups[key] = [float(v or 0) for v in sums]
            else:
                for i, v in enumerate(sums):
                    acc[i] += v or 0

    def grouped(columns: dict[str, str], sums: str, table: str, where: str) -> str:
        cols = "".join(f"{columns[d]}, " for d in dims)
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
        return f"SELECT {cols}{sums} FROM {table}{where}{group}"

    if since is not None and until is not None and since >= until:
        return _report(dims, groups)
    days, partial = _plan(since, until)
    # One read transaction: a batch committed between the two reads must not be half-seen.
    conn.execute("BEGIN")
    try:
        if days is not None:
            conds, params = [], []
            if days[0] is not None:
                conds.append("day >= ?")
                params.append(days[0])
            if days[1] is not None:
                conds.append("day < ?")
                params.append(days[1])
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            add(grouped(_DAILY_COLUMN, _DAILY_SUMS, "usage_daily", where), params)
        for lo, hi in partial:
            conds, range_params = [], []
            if lo is not None:
                conds.append("ts >= ?")
                range_params.append(lo)
            if hi is not None:
                conds.append("ts < ?")
                range_params.append(hi)
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            add(grouped(_RECORD_COLUMN, _RECORD_SUMS, "usage_records", where), range_params)
    finally:
        conn.execute("COMMIT")
    return _report(dims, groups)


def empty_report() -> UsageReport:
    """The report for a database that does not exist yet."""
    return _report((), {})


def _row(dims: tuple[GroupBy, ...], key: tuple[str, ...], s: Sequence[float]) -> UsageRow:
    named = dict(zip(dims, key, strict=True))
    return UsageRow(
        provider_id=named.get("provider"),
        model=named.get("model"),
        task=named.get("task"),
        day=named.get("day"),
        requests=int(s[0]),
        input_tokens=int(s[1]),
        output_tokens=int(s[2]),
        cost_usd=float(s[3]) if s[4] else None,
        errors=int(s[5]),
        estimated=bool(s[6]),
        fallbacks=int(s[7]),
    )


def _report(dims: tuple[GroupBy, ...], groups: dict[tuple[str, ...], list[float]]) -> UsageReport:
    total = [0.0] * 8
    for sums in groups.values():
        for i, v in enumerate(sums):
            total[i] += v
    rows = [_row(dims, key, groups[key]) for key in sorted(groups)]
    return UsageReport(rows=rows, totals=_row((), (), total))
