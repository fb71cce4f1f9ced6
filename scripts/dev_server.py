"""The dev gateway: every cloud function over local HTTP, as CloudBase and SCF would call it.

.venv/bin/python scripts/dev_server.py --host 127.0.0.1 --port 8787 --workers 4
"""

from __future__ import annotations

import argparse

from dev_storage import start_dev_storage
from gateway.server import SOCKET_TIMEOUT_SECONDS, serve


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--workers", type=int, default=1, help="worker processes sharing the store")
    parser.add_argument(
        "--socket-timeout",
        type=float,
        default=SOCKET_TIMEOUT_SECONDS,
        help="seconds an idle or stalled connection is kept",
    )
    args = parser.parse_args()
    start_dev_storage()  # dev only: statements' CSVs in a local S3 (scripts/dev_storage.py)
    serve(args.host, args.port, args.workers, socket_timeout=args.socket_timeout)


if __name__ == "__main__":
    main()
