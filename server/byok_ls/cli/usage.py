"""``byok-ls usage``: what was spent, per provider, model, task and/or day.

Prints a table for people, or with ``--json`` the same object ``byok/usage`` answers.
Reads the same usage database as the language server; safe to run while servers write.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from byok_ls import api
from byok_ls.app import App
from byok_ls.cli.common import verb
from byok_ls.cli.output import as_json, fail_with, table
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.provider_ops import DEFAULT_GROUP_BY
from byok_ls.usage import UsageReport, UsageRow
from byok_ls.usage.report import validate_group_by

if TYPE_CHECKING:
    from byok_ls.cli.common import SubParsers

_LABELS = {"day": "DAY", "provider": "PROVIDER", "model": "MODEL", "task": "TASK"}


def register(sub: SubParsers) -> None:
    usage = verb(sub, "usage", "what you spent, per provider and model", run_usage)
    usage.add_argument("--since", help="YYYY-MM-DD")
    usage.add_argument("--until", help="YYYY-MM-DD (the day itself not included)")
    usage.add_argument("--group-by", default=",".join(DEFAULT_GROUP_BY))


def parse_day(text: str, option: str) -> float:
    """Local midnight starting ``YYYY-MM-DD`` as unix seconds."""
    try:
        parsed = time.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"{option}: expected a date like 2025-01-31, got {text!r}",
            field=option,
        ) from None
    return time.mktime((parsed.tm_year, parsed.tm_mon, parsed.tm_mday, 0, 0, 0, 0, 0, -1))


def parse_group_by(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    try:
        validate_group_by(names)
    except ByokError as exc:
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"--group-by: unknown grouping in {text!r}; use any of provider, model, task, day",
            field="--group-by",
        ) from exc
    return names


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "-"  # no known prices (local servers, models without prices)
    return f"${cost:,.2f}" if cost >= 100 else f"${cost:.4f}" if cost >= 0.01 else f"${cost:.6f}"


def _tokens(value: int, estimated: bool) -> str:
    return f"~{value:,}" if estimated else f"{value:,}"


def render_table(report: UsageReport, group_by: list[str], since: str | None) -> str:
    dims = [d for d in ("day", "provider", "model", "task") if d in group_by]
    headers = [_LABELS[d] for d in dims] + [
        "REQUESTS",
        "INPUT TOKENS",
        "OUTPUT TOKENS",
        "COST",
        "ERRORS",
        "FALLBACKS",
    ]

    def cells(row: UsageRow, names: list[str]) -> list[str]:
        return [
            *names,
            f"{row.requests:,}",
            _tokens(row.input_tokens, row.estimated),
            _tokens(row.output_tokens, row.estimated),
            format_cost(row.cost_usd),
            f"{row.errors:,}",
            f"{row.fallbacks:,}",
        ]

    period = f" since {since}" if since else ""
    if not report.rows:
        return f"No usage recorded{period}."
    values = {"day": "day", "provider": "provider_id", "model": "model", "task": "task"}
    if dims:
        rows = [cells(r, [str(getattr(r, values[d]) or "-") for d in dims]) for r in report.rows]
        rows.append(cells(report.totals, ["TOTAL"] + [""] * (len(dims) - 1)))
    else:
        rows = [cells(report.totals, [])]
    lines = [table(rows, headers)]
    if any(r.estimated for r in report.rows):
        lines.append("~ token counts estimated where the provider reported none.")
    if any(r.cost_usd is None for r in report.rows):
        lines.append("- no prices known for the model (set prices in the model's settings).")
    return "\n".join(lines)


def run_usage(app: App, args: argparse.Namespace) -> int:
    try:
        since = parse_day(args.since, "--since") if args.since else None
        until = parse_day(args.until, "--until") if args.until else None
        group_by = parse_group_by(args.group_by or ",".join(DEFAULT_GROUP_BY))
    except ByokError as exc:
        return fail_with(exc, 2)
    try:
        report = app.ledger.query(since, until, group_by)
    finally:
        app.ledger.close()
    if args.json:
        print(as_json(api.UsageResult.model_validate(report.to_json())))  # the byok/usage shape
    else:
        print(render_table(report, group_by, args.since))
    return 0
