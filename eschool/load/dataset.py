"""Copy the benchmark data set and prepare the signed-in users of a load run.

The data set of ``python -m diary.bench`` has guardian accounts only. The
load run's copy gets accounts for every teacher, with a teacher role at the
school, and for some students. A few guardians get ESIA identities. Before
each run, fresh sessions are made and each teacher gets a list of empty
journal cells to fill.

Functions that use the ORM need ``django.setup()`` first; the runner does it.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eschool.load import cluster

logger = logging.getLogger(__name__)

SOURCE_SOCKET_DIR = cluster.BASE_DIR / "var" / "pg"
SOURCE_DATABASE = "eschool_bench"
DUMP_FILE = cluster.WORK_DIR / "bench.dump"
TEACHER_EMAIL = "load-teacher-{}@example.ru"
STUDENT_EMAIL = "load-student-{}@example.ru"
STUDENT_ACCOUNTS = 3000
ESIA_ACCOUNTS = 20
# ESIA oids and the first nine SNILS digits of the prepared ESIA people.
ESIA_OID_BASE = 1_500_000_000
SNILS_BASE = 700_000_000
ESIA_DATA_DIR = cluster.WORK_DIR / "esia"
PORTAL_KEY_FILE = cluster.WORK_DIR / "esia-portal" / "portal_key.pem"
PORTAL_CERT_FILE = cluster.WORK_DIR / "esia-portal" / "portal_cert.pem"
CLIENT_ID = "ESCHOOL"
# Empty cells listed per teacher; a virtual teacher saves at most this many.
CELLS_PER_TEACHER = 80


class DatasetError(RuntimeError):
    """The data set is missing, incomplete or could not be copied."""


def _psql(url: str, sql: str) -> str:
    result = subprocess.run(  # noqa: S603
        [cluster.pg_bin("psql"), "-X", "-A", "-t", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DatasetError(f"psql failed on {url}: {result.stderr.strip()}")
    return result.stdout.strip()


def copy_dataset() -> None:
    """Copy ``eschool_bench`` of the shared server into the load run's server.

    The copy is skipped when the load database already has the benchmark
    schools. The shared server is only read (``pg_dump``).
    """
    admin_url = cluster.database_url("postgres")
    exists = _psql(
        admin_url,
        f"SELECT 1 FROM pg_database WHERE datname = '{cluster.DATABASE}'",  # noqa: S608 - a constant
    )
    if exists:
        schools = _psql(
            cluster.database_url(),
            "SELECT count(*) FROM school_school WHERE name LIKE 'Бенчмарк%'",
        )
        if int(schools or 0) > 0:
            logger.info("Reusing the data set in %s", cluster.DATABASE)
            return
        raise DatasetError(
            f"Database {cluster.DATABASE} exists but has no benchmark schools: "
            f"drop it on port {cluster.PG_PORT} and run prepare again."
        )
    source = (
        f"postgresql://postgres@/{SOURCE_DATABASE}?host={SOURCE_SOCKET_DIR}&port=5432"
    )
    attendance = _psql(source, "SELECT count(*) > 0 FROM journal_attendance")
    if attendance != "t":
        raise DatasetError(
            f"{SOURCE_DATABASE} on the shared server has no attendance rows yet: "
            "wait until `python -m diary.bench` prints 'Data set:'."
        )
    cluster.WORK_DIR.mkdir(parents=True, exist_ok=True)
    logger.info("Dumping %s to %s", SOURCE_DATABASE, DUMP_FILE)
    subprocess.run(  # noqa: S603
        [cluster.pg_bin("pg_dump"), "-Fc", "-Z", "0", "-f", str(DUMP_FILE), source],
        check=True,
    )
    _psql(admin_url, f"CREATE DATABASE {cluster.DATABASE}")
    logger.info("Restoring the dump into %s", cluster.DATABASE)
    subprocess.run(  # noqa: S603
        [
            cluster.pg_bin("pg_restore"),
            "-j",
            "2",
            "--no-owner",
            "-d",
            cluster.database_url(),
            str(DUMP_FILE),
        ],
        check=True,
    )
    _psql(cluster.database_url(), "ANALYZE")


def prepare_accounts() -> None:
    """Give teachers and some students accounts, and a few guardians ESIA ids.

    Runs once per copy: it does nothing when the teacher accounts exist.
    """
    from django.db import transaction

    from accounts.models import User
    from diary.bench.data import BENCH_PREFIX
    from school.models import StaffMember, StaffRole, Student

    if User.objects.filter(email__startswith="load-teacher-").exists():
        logger.info("Teacher and student accounts exist already")
        return
    with transaction.atomic():
        teachers = list(
            StaffMember.objects.filter(
                assignments__school_class__school__name__startswith=BENCH_PREFIX,
                user__isnull=True,
            )
            .distinct()
            .order_by("pk")
        )
        _give_accounts(teachers, TEACHER_EMAIL)
        # A teacher reaches a journal only with a staff role at its school.
        teacher_schools = set(
            StaffMember.objects.filter(
                pk__in=[teacher.pk for teacher in teachers]
            ).values_list("pk", "assignments__school_class__school_id")
        )
        StaffRole.objects.bulk_create(
            StaffRole(staff_id=staff_id, school_id=school_id, role="teacher")
            for staff_id, school_id in sorted(teacher_schools)
        )
        students = list(
            Student.objects.filter(
                user__isnull=True,
                enrollments__school_class__grade__gte=5,
                enrollments__school_class__school__name__startswith=BENCH_PREFIX,
            ).order_by("pk")[:STUDENT_ACCOUNTS]
        )
        _give_accounts(students, STUDENT_EMAIL)
    logger.info(
        "Created accounts for %s teachers and %s students", len(teachers), len(students)
    )


def _give_accounts(records: list[Any], email_pattern: str) -> None:
    from accounts.models import User

    users = User.objects.bulk_create(
        User(email=email_pattern.format(record.pk)) for record in records
    )
    for record, user in zip(records, users, strict=True):
        record.user = user
    if records:
        type(records[0]).objects.bulk_update(records, ["user"])


def prepare_esia_people() -> list[str]:
    """Give ESIA_ACCOUNTS guardians and their children SNILS and ESIA ids.

    Writes the emulator's people.json and registers the portal's development
    credentials with it. Returns the ESIA oids that may sign in.
    """
    from accounts.esia import dev
    from school.models import Guardian, Student
    from school.snils import make_snils

    guardians = list(
        Guardian.objects.filter(user__email__startswith="bench-")
        .select_related("user")
        .prefetch_related("students")
        .order_by("pk")[:ESIA_ACCOUNTS]
    )
    people: list[dict[str, Any]] = []
    oids = []
    for index, guardian in enumerate(guardians):
        child = guardian.students.all()[0]
        guardian_oid = str(ESIA_OID_BASE + 2 * index)
        child_oid = str(ESIA_OID_BASE + 2 * index + 1)
        guardian_snils = make_snils(SNILS_BASE + 2 * index)
        child_snils = make_snils(SNILS_BASE + 2 * index + 1)
        guardian.snils = guardian_snils
        guardian.birth_date = datetime.date(1985, 1, 1)
        guardian.save(update_fields=["snils", "birth_date"])
        Student.objects.filter(pk=child.pk).update(
            snils=child_snils, birth_date=datetime.date(2014, 1, 1)
        )
        user = guardian.user
        if user is not None and user.esia_oid != guardian_oid:
            user.esia_oid = guardian_oid
            user.save(update_fields=["esia_oid"])
        entry = _esia_person(guardian_oid, guardian, guardian_snils)
        entry["kids"] = [child_oid]
        kid = _esia_person(child_oid, child, child_snils)
        kid.update(role="student", level="KD", birth_date="01.01.2014")
        people.extend([entry, kid])
        oids.append(guardian_oid)

    ESIA_DATA_DIR.mkdir(parents=True, exist_ok=True)
    (ESIA_DATA_DIR / "people.json").write_text(
        json.dumps({"people": people}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    dev.ensure_dev_credentials(PORTAL_KEY_FILE, PORTAL_CERT_FILE, CLIENT_ID)
    callbacks = [
        f"http://{cluster.HOST}:{port}/accounts/esia/login/callback/"
        for port in (cluster.BALANCER_PORT, *cluster.APP_PORTS)
    ]
    dev.register_with_emulator(ESIA_DATA_DIR, CLIENT_ID, callbacks, PORTAL_CERT_FILE)
    # The emulator creates its token key on first start; the portal must read
    # the same file, so it is created here before the portal starts.
    from esia_emulator.signing import RS256, load_or_create_token_key

    load_or_create_token_key(ESIA_DATA_DIR, RS256)
    return oids


def _esia_person(oid: str, record: Any, snils: str) -> dict[str, Any]:
    from school.snils import format_snils

    return {
        "oid": oid,
        "snils": format_snils(snils),
        "last_name": record.last_name,
        "first_name": record.first_name,
        "middle_name": record.middle_name,
        "birth_date": "01.01.1985",
        "gender": "F",
        "trusted": True,
        "level": "PR",
        "email": None,
        "email_verified": False,
        "mobile": None,
        "role": "guardian",
        "label": f"Нагрузочный тест {oid}",
        "kids": [],
    }


@dataclass
class DiaryUser:
    """A guardian or student of the plan: the session and whose diary to open."""

    session: str
    student_ids: list[int]
    subject_ids: list[int]


@dataclass
class TeacherUser:
    """A teacher of the plan: the session, journals, lessons and empty cells."""

    session: str
    assignment_ids: list[int]
    lesson_ids: list[int]
    # [lesson id, student id] pairs with no mark and no attendance code.
    cells: list[list[int]] = field(default_factory=list)


def make_session(user: Any) -> str:
    """Create a signed-in session of the configured engine for ``user``."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _diary_users(
    email_prefix: str, count: int, rng: random.Random, *, as_guardian: bool
) -> list[DiaryUser]:
    from accounts.models import User
    from school.models import Enrollment, TeachingAssignment

    ids = list(
        User.objects.filter(email__startswith=email_prefix).values_list("pk", flat=True)
    )
    chosen = rng.sample(ids, min(count, len(ids)))
    users = User.objects.in_bulk(chosen)
    owner = (
        "student__guardian_links__guardian__user_id"
        if as_guardian
        else "student__user_id"
    )
    pairs = Enrollment.objects.filter(**{f"{owner}__in": chosen}).values_list(
        owner, "student_id", "school_class_id"
    )
    children: dict[int, list[tuple[int, int]]] = {}
    for user_id, student_id, class_id in pairs:
        children.setdefault(user_id, []).append((student_id, class_id))
    subjects: dict[int, list[int]] = {}
    class_ids = {class_id for items in children.values() for _, class_id in items}
    for class_id, subject_id in TeachingAssignment.objects.filter(
        school_class_id__in=class_ids
    ).values_list("school_class_id", "subject_id"):
        subjects.setdefault(class_id, []).append(subject_id)
    plan = []
    for user_id in chosen:
        items = children.get(user_id, [])
        if not items:
            continue
        plan.append(
            DiaryUser(
                session=make_session(users[user_id]),
                student_ids=[student_id for student_id, _ in items],
                subject_ids=subjects.get(items[0][1], []),
            )
        )
    return plan


EMPTY_CELLS_SQL = """
WITH chosen AS (
    SELECT a.id AS assignment_id, a.school_class_id
    FROM school_teachingassignment a
    JOIN school_schoolclass c ON c.id = a.school_class_id
    WHERE a.teacher_id = %(teacher)s AND c.grade > 1
), lessons AS (
    SELECT l.id, l.school_class_id
    FROM journal_lesson l
    JOIN chosen ON chosen.assignment_id = l.assignment_id
    WHERE l.date BETWEEN %(start)s AND %(today)s AND NOT l.is_cancelled
)
SELECT lessons.id, e.student_id
FROM lessons
JOIN school_enrollment e ON e.school_class_id = lessons.school_class_id
WHERE NOT EXISTS (
        SELECT 1 FROM journal_mark m
        WHERE m.lesson_id = lessons.id AND m.student_id = e.student_id)
  AND NOT EXISTS (
        SELECT 1 FROM journal_attendance t
        WHERE t.lesson_id = lessons.id AND t.student_id = e.student_id)
ORDER BY random()
LIMIT %(limit)s
"""


def _teacher_users(count: int, rng: random.Random) -> list[TeacherUser]:
    from django.db import connection

    from accounts.models import User
    from journal.dates import local_today
    from journal.models import Lesson
    from school.models import Period, StaffMember

    staff = list(
        StaffMember.objects.filter(user__email__startswith="load-teacher-")
        .select_related("user")
        .order_by("pk")
    )
    chosen = rng.sample(staff, min(count, len(staff)))
    today = local_today("Europe/Moscow")
    plan = []
    for member in chosen:
        assignments = list(
            member.assignments.filter(school_class__grade__gt=1).values_list(
                "pk", "school_class__academic_year_id"
            )
        )
        if not assignments:
            continue
        period = (
            Period.objects.filter(
                academic_year_id=assignments[0][1],
                start_date__lte=today,
                end_date__gte=today,
            )
            .order_by("start_date")
            .first()
        )
        start = period.start_date if period else today - datetime.timedelta(days=30)
        with connection.cursor() as cursor:
            cursor.execute(
                EMPTY_CELLS_SQL,
                {
                    "teacher": member.pk,
                    "start": start,
                    "today": today,
                    "limit": CELLS_PER_TEACHER,
                },
            )
            cells = [[lesson_id, student_id] for lesson_id, student_id in cursor]
        lessons = list(
            Lesson.objects.filter(
                assignment__teacher=member, date__range=(start, today)
            ).values_list("pk", flat=True)[:40]
        )
        user = member.user
        assert isinstance(user, User)  # noqa: S101 - the filter above needs one
        plan.append(
            TeacherUser(
                session=make_session(user),
                assignment_ids=[pk for pk, _ in assignments],
                lesson_ids=lessons,
                cells=cells,
            )
        )
    return plan


def build_plan(max_users: int, esia_oids: list[str], path: Path, seed: int) -> None:
    """Write the users of one run (sessions, ids, empty cells) to ``path``.

    Each virtual user takes its own entry, so there are as many entries of a
    kind as the largest run can start of it, plus a margin.
    """
    rng = random.Random(seed)  # noqa: S311 - picks test users only
    guardians = _diary_users("bench-", max_users, rng, as_guardian=True)
    students = _diary_users(
        "load-student-", max_users // 3 + 10, rng, as_guardian=False
    )
    teachers = _teacher_users(max_users // 2 + 10, rng)
    document = {
        "guardians": [asdict(item) for item in guardians],
        "students": [asdict(item) for item in students],
        "teachers": [asdict(item) for item in teachers],
        "esia_oids": esia_oids,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    logger.info(
        "Plan %s: %s guardians, %s students, %s teachers, %s empty cells",
        path,
        len(guardians),
        len(students),
        len(teachers),
        sum(len(item.cells) for item in teachers),
    )
