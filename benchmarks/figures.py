"""Shared by the benchmark scripts: report a figure next to its floor.

Each script prints its own detail; ``emit`` additionally appends the headline figures as
JSON lines to the file named by ``BYOK_BENCH_FIGURES``, which ``run_all`` collects into one
table.
"""

from __future__ import annotations

import json
import os


def emit(
    area: str,
    metric: str,
    value: float,
    unit: str,
    floor: float | None = None,
    floor_label: str = "",
) -> None:
    path = os.environ.get("BYOK_BENCH_FIGURES")
    if not path:
        return
    row = {
        "area": area,
        "metric": metric,
        "value": value,
        "unit": unit,
        "floor": floor,
        "floorLabel": floor_label,
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
