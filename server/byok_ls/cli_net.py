"""Command-line verbs that talk to providers (test, discover, detect, chat, usage)."""

from __future__ import annotations

import argparse
import sys

from byok_ls.app import App


def run(app: App, args: argparse.Namespace) -> int:
    print(
        f"error: `{args.command} {getattr(args, 'action', '') or ''}` is not available yet",
        file=sys.stderr,
    )
    return 2
