"""Run the ESIA emulator: ``python -m esia_emulator --data-dir var/esia``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from esia_emulator.server import make_server
from esia_emulator.signing import ALGORITHMS, RS256
from esia_emulator.tokens import DEFAULT_ISSUER

logger = logging.getLogger("esia_emulator")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m esia_emulator",
        description="Serve a local ESIA (Госуслуги) emulator for development.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8001, help="TCP port")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var/esia"),
        help="folder with people.json and clients.json; the key is created here",
    )
    parser.add_argument(
        "--issuer", default=DEFAULT_ISSUER, help="the iss claim of issued tokens"
    )
    parser.add_argument(
        "--token-algorithm",
        choices=ALGORITHMS,
        default=RS256,
        help="how tokens are signed (ESIA offers both; the portal default is RS256)",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    server = make_server(
        arguments.host,
        arguments.port,
        arguments.data_dir,
        arguments.issuer,
        arguments.token_algorithm,
    )
    host, port = server.server_address[:2]
    logger.info(
        "ESIA emulator started on http://%s:%s/ (data in %s)",
        host,
        port,
        arguments.data_dir,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        logger.info("ESIA emulator stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
