"""The emulator's command lines: serving and client registration."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from esia_emulator import clients

BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_module_serves_and_writes_keys(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "esia_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert "Эмулятор ЕСИА" in answer.text
        assert (
            (tmp_path / "esia_public.pem")
            .read_text()
            .startswith("-----BEGIN PUBLIC KEY-----")
        )
        assert oct((tmp_path / "esia_key.pem").stat().st_mode & 0o777) == "0o600"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_clients_cli_registers(tmp_path: Path, system_key: tuple[bytes, str]) -> None:
    certificate = tmp_path / "cert.pem"
    certificate.write_text(system_key[1])

    clients.main(
        [
            "--data-dir",
            str(tmp_path),
            "--client-id",
            "ESCHOOL",
            "--redirect-uri",
            "http://127.0.0.1:8000/cb/",
            "--redirect-uri",
            "http://localhost:8000/cb/",
            "--certificate",
            str(certificate),
        ]
    )

    document = json.loads((tmp_path / "clients.json").read_text())
    assert document["clients"][0]["redirect_uris"] == [
        "http://127.0.0.1:8000/cb/",
        "http://localhost:8000/cb/",
    ]
    assert clients.ClientStore(tmp_path).get("ESCHOOL") is not None


def test_clients_cli_rejects_bad_certificate(tmp_path: Path) -> None:
    certificate = tmp_path / "cert.pem"
    certificate.write_text("not a certificate")

    with pytest.raises(SystemExit):
        clients.main(
            [
                "--data-dir",
                str(tmp_path),
                "--client-id",
                "ESCHOOL",
                "--redirect-uri",
                "http://127.0.0.1:8000/cb/",
                "--certificate",
                str(certificate),
            ]
        )
    assert not (tmp_path / "clients.json").exists()


def test_register_replaces_same_client(
    tmp_path: Path, system_key: tuple[bytes, str]
) -> None:
    clients.register(tmp_path, "ESCHOOL", ["http://a/"], system_key[1])
    clients.register(tmp_path, "OTHER", ["http://c/"], system_key[1])
    clients.register(tmp_path, "ESCHOOL", ["http://b/"], system_key[1])

    store = clients.ClientStore(tmp_path)
    assert store.get("ESCHOOL").redirect_uris == ("http://b/",)  # type: ignore[union-attr]
    assert store.get("OTHER") is not None
