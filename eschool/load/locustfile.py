"""Monday, 8 a.m.: parents, students and teachers open the portal at once.

Run by ``python -m eschool.load run`` (which prepares the plan file and the
servers), or by hand::

    LOAD_PLAN=var/h3-load/plan.json LOAD_EVENTS=var/h3-load/events.jsonl \\
        locust -f eschool/load/locustfile.py --headless -u 100 -r 10 -t 60s \\
        --host http://127.0.0.1:8632 GuardianUser StudentUser TeacherUser

Mix of virtual users (the ``weight`` of each class):

- 60 % guardians and 10 % students: the diary week of this week (task
  weight 5) and of next week (2), the marks of one subject (2), the
  attendance page (1) and the final marks (1). They read each page for
  5–15 s.
- 30 % teachers: the teacher's day (2), a journal grid (3), saving a mark in
  an empty grid cell with the grid's htmx POST (4) and a lesson page (1),
  with 3–10 s between actions.
- ``EsiaUser`` (only when named on the command line, with
  ``LOAD_ESIA_USERS`` of them) signs in through the ESIA emulator again and
  again: start page, ESIA's page, choosing the account, the callback.

Each virtual user is a real user of the data set with a session made before
the run, so only EsiaUser signs in. Errors are responses with
status >= 500, timeouts and refused connections, and any 4xx that the page
should not return. Every saved cell that the portal acknowledged with 200,
the title of every error page (and whether a 5xx body contains "Traceback")
and every request's outcome go to the ``LOAD_EVENTS`` file (JSON lines) for
the runner's checks.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import secrets
import string
import threading
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(
    Path(os.environ.get("LOAD_PLAN", "var/h3-load/plan.json")).read_text("utf-8")
)
EVENTS_PATH = Path(os.environ.get("LOAD_EVENTS", "var/h3-load/events.jsonl"))
ESIA_URL = os.environ.get("LOAD_ESIA_URL", "http://127.0.0.1:8633")
TIMEOUT_SECONDS = float(os.environ.get("LOAD_TIMEOUT_SECONDS", "10"))
# The next unused plan entry of each kind: every virtual user is another person.
_counters = {kind: itertools.count() for kind in ("guardians", "students", "teachers")}
_events_lock = threading.Lock()
_events_file = EVENTS_PATH.open("a", encoding="utf-8")

CSRF_IN_GRID = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET_FIELD = re.compile(r"name=['\"]ticket['\"] value=['\"]([^'\"]+)['\"]")


def record(kind: str, **values: Any) -> None:
    """Append one event line to the LOAD_EVENTS file."""
    line = json.dumps({"t": round(time.time(), 3), "kind": kind, **values})
    with _events_lock:
        _events_file.write(line + "\n")


@events.request.add_listener
def _note_request(
    request_type: str,
    name: str,
    response_time: float,
    response: Any,
    exception: BaseException | None,
    **_kwargs: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    record(
        "request",
        name=name,
        status=status,
        ok=exception is None,
        ms=round(response_time, 1),
    )


@events.quitting.add_listener
def _close_events(**_kwargs: Any) -> None:
    with _events_lock:
        _events_file.flush()


def take(kind: str) -> dict[str, Any]:
    """Return the next unused plan entry of ``kind``; raise when none is left."""
    entries = PLAN[kind]
    index = next(_counters[kind])
    if index >= len(entries):
        raise RuntimeError(
            f"The plan has {len(entries)} {kind}: make a larger plan for this run."
        )
    return entries[index]  # type: ignore[no-any-return]


def check(response: Any, name: str, expected: tuple[int, ...] = (200,)) -> bool:
    """Mark the response of a ``catch_response`` block as success or failure."""
    status = response.status_code or 0
    if status in expected:
        response.success()
        return True
    if status == 0:
        error = response.error
        kind = "timeout" if "timed out" in str(error).lower() else "connection error"
        response.failure(f"{kind}: {type(error).__name__}")
        return False
    body = response.text or ""
    if status >= 500:
        record(
            "error_page",
            name=name,
            status=status,
            traceback="Traceback" in body,
            title=_title(body),
        )
        response.failure(f"HTTP {status}")
        return False
    record("unexpected", name=name, status=status, title=_title(body))
    response.failure(f"unexpected HTTP {status}")
    return False


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    return (match.group(1) if match else html[:120]).strip()


class PortalUser(FastHttpUser):
    abstract = True
    network_timeout = TIMEOUT_SECONDS
    connection_timeout = TIMEOUT_SECONDS
    cookie = ""

    def get(self, path: str, name: str, expected: tuple[int, ...] = (200,)) -> str:
        """GET a portal page with the user's session; return the body on success."""
        with self.client.get(
            path,
            name=name,
            headers={"Cookie": self.cookie},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if check(response, name, expected):
                return response.text or ""
        return ""


class DiaryReader(PortalUser):
    abstract = True
    wait_time = between(5, 15)
    kind = ""

    def on_start(self) -> None:
        self.entry = take(self.kind)
        self.cookie = f"sessionid={self.entry['session']}"

    def student(self) -> int:
        return random.choice(self.entry["student_ids"])  # noqa: S311

    @task(5)
    def week(self) -> None:
        self.get(f"/diary/{self.student()}/week/", "diary week")

    @task(2)
    def next_week(self) -> None:
        day = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
        self.get(f"/diary/{self.student()}/week/?date={day}", "diary week")

    @task(2)
    def subject_marks(self) -> None:
        if not self.entry["subject_ids"]:
            return
        subject = random.choice(self.entry["subject_ids"])  # noqa: S311
        self.get(f"/diary/{self.student()}/marks/{subject}/", "diary subject marks")

    @task(1)
    def attendance(self) -> None:
        self.get(f"/diary/{self.student()}/attendance/", "diary attendance")

    @task(1)
    def finals(self) -> None:
        self.get(f"/diary/{self.student()}/finals/", "diary finals")


class GuardianUser(DiaryReader):
    weight = 60
    kind = "guardians"


class StudentUser(DiaryReader):
    weight = 10
    kind = "students"


class TeacherUser(PortalUser):
    weight = 30
    wait_time = between(3, 10)

    def on_start(self) -> None:
        self.entry = take("teachers")
        # The CSRF cookie is a random secret that the browser returns; the
        # portal masks it into the grid's token, as for a browser's cookie.
        alphabet = string.ascii_letters + string.digits
        self.csrf_secret = "".join(secrets.choice(alphabet) for _ in range(32))
        self.cookie = f"sessionid={self.entry['session']}; csrftoken={self.csrf_secret}"
        self.token = ""
        self.assignment = random.choice(self.entry["assignment_ids"])  # noqa: S311

    @task(2)
    def day(self) -> None:
        self.get("/journal/", "teacher day")

    @task(3)
    def grid(self) -> None:
        self.assignment = random.choice(self.entry["assignment_ids"])  # noqa: S311
        page = self.get(f"/journal/journals/{self.assignment}/", "journal grid")
        match = CSRF_IN_GRID.search(page)
        if match:
            self.token = match.group(1)

    @task(4)
    def save_cell(self) -> None:
        if not self.token:
            self.grid()
            if not self.token:
                return
        if not self.entry["cells"]:
            return
        lesson_id, student_id = self.entry["cells"].pop()
        value = random.choice("2345")  # noqa: S311
        name = "cell save"
        with self.client.post(
            f"/journal/lessons/{lesson_id}/cells/{student_id}/",
            name=name,
            data={"value": value, "work_type": "", "state": "a;"},
            headers={
                "Cookie": self.cookie,
                "HX-Request": "true",
                "X-CSRFToken": self.token,
            },
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if check(response, name):
                record("saved", lesson=lesson_id, student=student_id, value=value)

    @task(1)
    def lesson(self) -> None:
        if self.entry["lesson_ids"]:
            lesson = random.choice(self.entry["lesson_ids"])  # noqa: S311
            self.get(f"/journal/lessons/{lesson}/", "lesson page")


class EsiaUser(PortalUser):
    """Signs in through ESIA with a fresh browser session, over and over.

    The portal's cookies are kept by hand: they carry the Secure flag, which
    a browser honours over the HTTPS of production, and the load runs over
    plain HTTP on loopback.
    """

    fixed_count = int(os.environ.get("LOAD_ESIA_USERS", "0"))
    wait_time = between(3, 8)
    # A browser waits far longer than LOAD_TIMEOUT_SECONDS for the callback,
    # which includes the portal's own ESIA requests (10 s timeout each).
    network_timeout = 60.0

    def on_start(self) -> None:
        self.oids = PLAN["esia_oids"]
        self.cookies: dict[str, str] = {}

    @task
    def sign_in(self) -> None:
        self.cookies = {}
        outcome = self._sign_in(random.choice(self.oids))  # noqa: S311
        record("esia_sign_in", outcome=outcome)

    def _request(
        self,
        method: str,
        url: str,
        name: str,
        expected: tuple[int, ...],
        data: dict[str, str] | None = None,
    ) -> tuple[bool, Any]:
        """Send one request of the sign-in and keep the portal's cookies."""
        headers = {}
        if url.startswith("/") and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        with self.client.request(
            method,
            url,
            name=name,
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            ok = check(response, name, expected)
            if url.startswith("/") and response.headers is not None:
                for cookie in response.headers.getlist("set-cookie"):
                    key, _, value = cookie.split(";", 1)[0].partition("=")
                    self.cookies[key.strip()] = value.strip()
            return ok, response

    def _sign_in(self, oid: str) -> str:
        ok, response = self._request("GET", "/", "esia: start page", (200,))
        token = CSRF_IN_FORM.search(response.text or "") if ok else None
        if token is None:
            return "start page failed"

        ok, response = self._request(
            "POST",
            "/accounts/esia/login/",
            "esia: redirect to ESIA",
            (302,),
            {"csrfmiddlewaretoken": token.group(1)},
        )
        if not ok:
            return "redirect to ESIA failed"

        location = response.headers.get("Location", "")
        ok, response = self._request("GET", location, "esia: ESIA page", (200,))
        if not ok:
            return "ESIA page unreachable"
        ticket = TICKET_FIELD.search(response.text or "")
        if ticket is None:
            return "no ticket on ESIA's page"

        ok, response = self._request(
            "POST",
            f"{ESIA_URL}/aas/oauth2/v2/ac",
            "esia: choose account",
            (302,),
            {"ticket": ticket.group(1), "oid": oid},
        )
        if not ok:
            return "choosing the account failed"

        # ESIA redirects to the absolute callback URL on the balancer; its
        # path goes through self.client, which sends the portal's cookies.
        callback = str(response.headers.get("Location", ""))
        path = "/" + callback.split("/", 3)[3] if callback.count("/") >= 3 else "/"
        # 302 to the start page signs the user in. 401 is the portal's page
        # that explains that Госуслуги did not respond: clear, but no sign-in.
        ok, response = self._request("GET", path, "esia: callback", (302,))
        if not ok:
            return f"callback HTTP {response.status_code}"

        ok, response = self._request("GET", "/", "esia: signed in", (302,))
        if not ok:
            return "not signed in after the callback"
        return "signed in"
