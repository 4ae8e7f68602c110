"""Run a fake provider as a process: `python -m tests.fakes FLAVOR --port PORT`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.fakes.contract import ContractChecker
from tests.fakes.flavors import FLAVORS
from tests.fakes.server import FakeServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("flavor", choices=sorted(FLAVORS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--expect-key", default=None)
    parser.add_argument("--no-contract", action="store_true", help="do not validate request bodies")
    args = parser.parse_args(argv)
    fake = FakeServer(
        args.flavor,
        host=args.host,
        port=args.port,
        expect_key=args.expect_key,
        contract=None if args.no_contract else ContractChecker(),
        control_api=True,
    )
    fake.start()
    print(f"listening on {fake.base_url}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
