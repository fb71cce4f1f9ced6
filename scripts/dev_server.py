"""The dev gateway: every cloud function over local HTTP, as CloudBase and SCF would call it.

.venv/bin/python scripts/dev_server.py --host 127.0.0.1 --port 8787 --workers 4
"""

from __future__ import annotations

import argparse

from gateway.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--workers", type=int, default=1, help="worker processes sharing the store")
    args = parser.parse_args()
    serve(args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
