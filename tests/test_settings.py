"""Production mode refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_settings(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", "import eschool.settings"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DEBUG": "off", "DATABASE_URL": "postgres://db/x"}, "SECRET_KEY must be set"),
        (
            {"DEBUG": "off", "SECRET_KEY": "x" * 60},
            "DATABASE_URL must be set",
        ),
        (
            {"DEBUG": "off", "SECRET_KEY": "short", "DATABASE_URL": "postgres://db/x"},
            "at least 50 characters",
        ),
    ],
)
def test_production_refuses_missing_secrets(environment, message):
    result = _load_settings(**environment)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_secrets():
    result = _load_settings(
        DEBUG="off", SECRET_KEY="k" * 60, DATABASE_URL="postgres://db/x"
    )
    assert result.returncode == 0, result.stderr
