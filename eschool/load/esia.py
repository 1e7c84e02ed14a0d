"""Run the ESIA emulator for the fault runs, with its back channel switchable.

``python -m eschool.load.esia --port 8633 --data-dir DIR --slow-seconds 5``
serves the emulator like ``python -m esia_emulator``. SIGUSR1 makes every
``/te`` and ``/rs`` response wait ``--slow-seconds`` (the emulator's
back-channel delay), SIGUSR2 makes them prompt again, SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from esia_emulator.server import make_server

logger = logging.getLogger("eschool.load.esia")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eschool.load.esia")
    parser.add_argument("--port", type=int, required=True, help="TCP port")
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="people.json and clients.json"
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=5.0,
        help="delay of /te and /rs responses after SIGUSR1, in seconds",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    server = make_server("127.0.0.1", arguments.port, arguments.data_dir)

    def slow_down(_signum: int, _frame: FrameType | None) -> None:
        server.state.back_channel_delay = arguments.slow_seconds
        logger.info("Back channel delay set to %s s", arguments.slow_seconds)

    def speed_up(_signum: int, _frame: FrameType | None) -> None:
        server.state.back_channel_delay = 0.0
        logger.info("Back channel delay removed")

    def shut_down(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it runs elsewhere.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGUSR1, slow_down)
    signal.signal(signal.SIGUSR2, speed_up)
    signal.signal(signal.SIGTERM, shut_down)
    logger.info("ESIA emulator started on port %s", arguments.port)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        logger.info("ESIA emulator stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
