"""Production serving and security settings: check --deploy, headers, health."""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from eschool.log_redaction import RedactUrlSecrets, redact

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "production-test-key-" + "Zq8#x" * 8
TEMPLATE_DIRS = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]


def _test_database_url() -> str:
    params = connection.get_connection_params()
    query = urlencode({"host": params["host"]}) if params.get("host") else ""
    port = params.get("port") or 5432
    user = params.get("user") or "postgres"
    return f"postgresql://{user}@:{port}/{params['dbname']}?{query}"


def _run_production(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with DEBUG off and production secrets."""
    env = {
        key: value
        for key, value in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy
        # rejects and no deployment sets.
        if key not in {"DEBUG", "SECRET_KEY", "ADMIN_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not key.startswith(("SECURE_", "GUNICORN_"))
    }
    env.update(
        DEBUG="off",
        SECRET_KEY=PRODUCTION_KEY,
        DATABASE_URL=_test_database_url(),
        DJANGO_SETTINGS_MODULE="eschool.settings",
    )
    env.update(extra)
    return subprocess.run(  # noqa: S603 (the tests' own code, no user input)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production() -> None:
    result = _run_production(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', "
        "'--fail-level', 'WARNING'])"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_harden_cookies_and_https() -> None:
    result = _run_production(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.X_FRAME_OPTIONS)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "Lax",
        "True",
        "True",
        "True",
        "31536000",
        "DENY",
    ]


def test_production_uses_hashed_static_and_cached_templates() -> None:
    result = _run_production(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.STORAGES['staticfiles']['BACKEND']); "
        "print(s.TEMPLATES[0]['OPTIONS']['loaders'][0][0]); "
        "print(sorted(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']))"
    )
    assert result.returncode == 0, result.stderr
    storage, loader, script_src = result.stdout.splitlines()
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert loader == "django.template.loaders.cached.Loader"
    assert script_src == "[\"'self'\"]"


def test_production_redirects_http_except_health(db: None) -> None:
    result = _run_production(
        "import django; django.setup(); from django.test import Client; "
        "c = Client(); "
        "print(c.get('/health/').status_code, c.get('/diary/health/').status_code, "
        "c.get('/').status_code); "
        "print(c.get('/health/', secure=True)['Strict-Transport-Security'])",
        ALLOWED_HOSTS="testserver",
    )
    assert result.returncode == 0, result.stderr
    statuses, hsts = result.stdout.splitlines()
    health, diary_health, home = statuses.split()
    assert health == "200"
    assert diary_health == "200"
    assert home == "301"
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_admin_path_comes_from_environment() -> None:
    result = _run_production(
        "import django; django.setup(); from django.urls import reverse; "
        "print(reverse('admin:index'))",
        ADMIN_URL="staff-panel-7f3a/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/staff-panel-7f3a/"


@pytest.mark.parametrize("value", ["/admin/", "admin"])
def test_admin_path_without_trailing_slash_rejected(value: str) -> None:
    result = _run_production("import eschool.settings", ADMIN_URL=value)
    assert result.returncode != 0
    assert "ADMIN_URL must be a relative path" in result.stderr


def test_development_admin_at_default_path() -> None:
    assert settings.ADMIN_URL == "admin/"
    assert reverse("admin:index") == "/admin/"


def test_gunicorn_config_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8955")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "2")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert config["bind"] == "127.0.0.1:8955"
    assert config["workers"] == 3
    assert config["threads"] == 2
    assert config["timeout"] == 45
    assert config["wsgi_app"] == "eschool.wsgi:application"


def test_gunicorn_config_rejects_non_integer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_WORKERS", "many")
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS must be an integer"):
        runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_health_returns_ok_without_sign_in(client: Client, db: None) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


def test_health_returns_503_when_database_down(client: Client, db: None) -> None:
    with mock.patch(
        "eschool.health.connection.cursor", side_effect=OperationalError("down")
    ):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.content == b"database unavailable"


def test_health_rejects_post(client: Client, db: None) -> None:
    assert client.post("/health/").status_code == 405


def test_diary_health_still_works(client: Client, db: None) -> None:
    assert client.get("/diary/health/").status_code == 200


def test_pages_carry_csp_and_frame_headers(client: Client, db: None) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy-Report-Only"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"


def _templates() -> list[Path]:
    return [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]


def test_templates_have_no_inline_scripts() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    offenders = [
        str(path)
        for path in _templates()
        if inline_script.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_templates_have_no_event_handler_attributes() -> None:
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        str(path)
        for path in _templates()
        if handler.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_templates_have_no_inline_styles() -> None:
    inline_style = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
    offenders = [
        str(path)
        for path in _templates()
        if inline_style.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_htmx_pages_turn_off_inline_styles() -> None:
    # htmx reads only the first htmx-config meta tag; without
    # includeIndicatorStyles false it adds a <style> element the CSP blocks.
    config = re.compile(r'<meta name="htmx-config" content=\'([^\']*)\'>')
    pages = [
        path
        for path in _templates()
        if "vendor/htmx/htmx.min.js" in path.read_text(encoding="utf-8")
    ]
    assert pages
    for path in pages:
        found = config.findall(path.read_text(encoding="utf-8"))
        assert len(found) == 1, path
        settings_json = json.loads(found[0])
        assert settings_json["includeIndicatorStyles"] is False, path
        assert settings_json["allowEval"] is False, path


def test_calendar_token_redacted_in_paths() -> None:
    line = 'GET /diary/calendar/Ab3-xYz_0123456789.ics?x=1 HTTP/1.1" 404'
    assert redact(line) == 'GET /diary/calendar/[redacted].ics?x=1 HTTP/1.1" 404'


def test_redaction_filter_rewrites_record() -> None:
    import logging

    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/diary/calendar/SECRET123.ics",),
        None,
    )
    assert RedactUrlSecrets().filter(record)
    assert record.getMessage() == "Not Found: /diary/calendar/[redacted].ics"
