"""Token and cost ledger: what users spend, recorded per upstream request.

``Ledger.record()`` is called on the request path and costs microseconds; a background
thread saves records to SQLite (``$BYOK_LS_DATA_DIR/usage.sqlite3``). ``Ledger.spent()``
answers budget checks from in-memory totals; ``Ledger.query()`` builds usage reports.
"""

from byok_ls.usage.ledger import FILE_NAME, Ledger, UsageUnavailable, default_path
from byok_ls.usage.records import (
    OK,
    Period,
    Prices,
    Task,
    UsageRecord,
    cost_usd,
    day_bounds,
    local_day,
    month_bounds,
)
from byok_ls.usage.report import DEFAULT_GROUP_BY, GroupBy, UsageReport, UsageRow

__all__ = [
    "DEFAULT_GROUP_BY",
    "FILE_NAME",
    "OK",
    "GroupBy",
    "Ledger",
    "Period",
    "Prices",
    "Task",
    "UsageRecord",
    "UsageReport",
    "UsageRow",
    "UsageUnavailable",
    "cost_usd",
    "day_bounds",
    "default_path",
    "local_day",
    "month_bounds",
]
