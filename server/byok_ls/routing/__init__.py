"""Which provider/model serves a request: the active model and its fallback chain.

``router.py`` is the fallback loop; the rules it consults live beside it: ``health.py``
(cool-downs and back-offs), ``budgets.py`` (spend limits and their warnings), ``usage.py``
(one ledger record per upstream attempt) and ``notices.py`` (what the user is told, once).
"""

from byok_ls.routing.router import Router, Streamed
from byok_ls.routing.target import Notice, Served, Spent, Target

__all__ = ["Notice", "Router", "Served", "Spent", "Streamed", "Target"]
