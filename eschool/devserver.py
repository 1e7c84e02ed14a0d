"""Serve the demo: the portal on 127.0.0.1:8000 and the ESIA emulator on :8001.

``make run`` calls this module with ``DATABASE_URL`` set. It migrates the
database, builds the demo school (a no-op when it exists), prepares the
portal's ESIA credentials and registers them with the emulator, then runs
both servers until Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ESIA_DIR = BASE_DIR / "var" / "esia"
PORTAL_ADDRESS = ("127.0.0.1", 8000)
EMULATOR_ADDRESS = ("127.0.0.1", 8001)
ROLE_TITLES = {
    "guardian": "Родители",
    "student": "Ученики",
    "teacher": "Учителя",
    "head_of_studies": "Заместитель директора по УВР",
    "school_admin": "Администратор школы",
    "unknown": "Для проверки отказов",
}

logger = logging.getLogger(__name__)


def _manage(*arguments: str) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments],
        check=True,
        cwd=BASE_DIR,
    )


def _wait_for_port(address: tuple[str, int], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _port_is_free(address: tuple[str, int]) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def print_demo_people(people_file: Path) -> None:
    """Print whom to sign in as, grouped by role, from the emulator's list."""
    try:
        people = json.loads(people_file.read_text(encoding="utf-8"))["people"]
    except (OSError, ValueError, KeyError) as error:
        print(f"Cannot read the demo people list {people_file}: {error}")
        return
    by_role: dict[str, list[str]] = {}
    for person in people:
        by_role.setdefault(person.get("role", "unknown"), []).append(
            f"{person.get('snils') or 'без СНИЛС'}  {person.get('label', '')}"
        )
    print("\nДемо-пользователи (кнопка на странице входа эмулятора или СНИЛС):")
    for role, title in ROLE_TITLES.items():
        lines = by_role.get(role, [])
        if not lines:
            continue
        print(f"\n  {title}:")
        for line in lines[:6]:
            print(f"    {line}")
        if len(lines) > 6:
            print(f"    … и ещё {len(lines) - 6}")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for address in (PORTAL_ADDRESS, EMULATOR_ADDRESS):
        if not _port_is_free(address):
            print(f"Port {address[1]} on {address[0]} is busy: stop what uses it.")
            return 1

    _manage("migrate", "--noinput")
    _manage("seed_demo")
    _manage("esia_dev_setup")

    environment = dict(os.environ)
    emulator = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "esia_emulator",
            "--host",
            EMULATOR_ADDRESS[0],
            "--port",
            str(EMULATOR_ADDRESS[1]),
            "--data-dir",
            str(ESIA_DIR),
        ],
        cwd=BASE_DIR,
        env=environment,
    )
    portal: subprocess.Popen[bytes] | None = None
    try:
        if not _wait_for_port(EMULATOR_ADDRESS):
            print("The ESIA emulator did not start; see its output above.")
            return 1
        portal = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(BASE_DIR / "manage.py"),
                "runserver",
                f"{PORTAL_ADDRESS[0]}:{PORTAL_ADDRESS[1]}",
            ],
            cwd=BASE_DIR,
            env=environment,
        )
        if _wait_for_port(PORTAL_ADDRESS, timeout=60):
            print_demo_people(ESIA_DIR / "people.json")
            print(
                f"\nПортал: http://{PORTAL_ADDRESS[0]}:{PORTAL_ADDRESS[1]}/  "
                f"(эмулятор ЕСИА: http://{EMULATOR_ADDRESS[0]}:{EMULATOR_ADDRESS[1]}/)"
                "\nОстановить: Ctrl-C\n",
                flush=True,
            )
        return portal.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (portal, emulator):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
