"""School structure and contingent: schools, calendars, classes, people.

Students, guardians and staff are regional records: one person has one record
whatever school they are in, and a school reaches them through enrollments,
staff roles and guardian links. Calendar facts are dates in the school's time
zone.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from school.snils import validate_snils


class DateRangeFunc(models.Func):
    """``daterange(lower, upper, '[]')``, for exclusion constraints."""

    function = "daterange"
    output_field = DateRangeField()


class School(models.Model):
    name = models.CharField("название", max_length=255)
    short_name = models.CharField("краткое название", max_length=100)
    municipality = models.CharField("муниципалитет", max_length=255, blank=True)
    address = models.CharField("адрес", max_length=500, blank=True)
    time_zone = models.CharField("часовой пояс", max_length=64, default="Europe/Moscow")
    # Period-mark rounding: the minimal unrounded weighted average that
    # suggests a 5, a 4 and a 3. The default is rounding half up.
    threshold_five = models.DecimalField(
        "порог для «5»", max_digits=3, decimal_places=2, default=4.5
    )
    threshold_four = models.DecimalField(
        "порог для «4»", max_digits=3, decimal_places=2, default=3.5
    )
    threshold_three = models.DecimalField(
        "порог для «3»", max_digits=3, decimal_places=2, default=2.5
    )
    works_saturday = models.BooleanField("шестидневная неделя", default=False)

    class Meta:
        verbose_name = "школа"
        verbose_name_plural = "школы"
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_five__gt=F("threshold_four"))
                & Q(threshold_four__gt=F("threshold_three"))
                & Q(threshold_three__gt=1),
                name="school_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class AcademicYear(models.Model):
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="academic_years",
        verbose_name="школа",
    )
    name = models.CharField("учебный год", max_length=9)  # "2026/2027"
    start_date = models.DateField("начало")
    end_date = models.DateField("окончание")

    class Meta:
        verbose_name = "учебный год"
        verbose_name_plural = "учебные годы"
        ordering = ["school", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="academic_year_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="academic_year_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Period(models.Model):
    """A reporting period (quarter, half-year, trimester) for a grade range."""

    class Kind(models.TextChoices):
        QUARTER = "quarter", "четверть"
        HALF_YEAR = "half", "полугодие"
        TRIMESTER = "trimester", "триместр"

    academic_year = models.ForeignKey(
        AcademicYear,
        on_delete=models.CASCADE,
        related_name="periods",
        verbose_name="учебный год",
    )
    kind = models.CharField("вид", max_length=16, choices=Kind.choices)
    number = models.PositiveSmallIntegerField("номер")
    grade_from = models.PositiveSmallIntegerField("с класса")
    grade_to = models.PositiveSmallIntegerField("по класс")
    start_date = models.DateField("начало")
    end_date = models.DateField("окончание")
    # After this date only the завуч or the school admin edits the period's
    # marks. Empty while the period is open.
    closed_on = models.DateField("закрыт с", null=True, blank=True)

    class Meta:
        verbose_name = "учебный период"
        verbose_name_plural = "учебные периоды"
        ordering = ["academic_year", "grade_from", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "grade_from", "number"],
                name="period_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="period_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(grade_from__gte=1)
                & Q(grade_to__lte=11)
                & Q(grade_from__lte=F("grade_to")),
                name="period_grade_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    def contains(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date


class Holiday(models.Model):
    """School holidays (каникулы) for a grade range; both end dates included."""

    academic_year = models.ForeignKey(
        AcademicYear,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name="учебный год",
    )
    name = models.CharField("название", max_length=100)
    start_date = models.DateField("начало")
    end_date = models.DateField("окончание")
    grade_from = models.PositiveSmallIntegerField("с класса", default=1)
    grade_to = models.PositiveSmallIntegerField("по класс", default=11)

    class Meta:
        verbose_name = "каникулы"
        verbose_name_plural = "каникулы"
        ordering = ["academic_year", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="holiday_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Bell(models.Model):
    """Start and end time of one lesson number (расписание звонков)."""

    academic_year = models.ForeignKey(
        AcademicYear,
        on_delete=models.CASCADE,
        related_name="bells",
        verbose_name="учебный год",
    )
    lesson_number = models.PositiveSmallIntegerField("номер урока")
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")

    class Meta:
        verbose_name = "звонок"
        verbose_name_plural = "расписание звонков"
        ordering = ["academic_year", "lesson_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "lesson_number"], name="bell_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="bell_times_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_number}: {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Subject(models.Model):
    class Grading(models.TextChoices):
        NUMERIC = "numeric", "пятибалльная"
        PASS_FAIL = "pass_fail", "зачёт / незачёт"

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="subjects",
        verbose_name="школа",
    )
    name = models.CharField("название", max_length=150)
    short_name = models.CharField("краткое название", max_length=40)
    grading = models.CharField(
        "оценивание", max_length=16, choices=Grading.choices, default=Grading.NUMERIC
    )

    class Meta:
        verbose_name = "предмет"
        verbose_name_plural = "предметы"
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="subject_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkType(models.Model):
    """A kind of work a mark is given for, with its weight in averages."""

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="work_types",
        verbose_name="школа",
    )
    name = models.CharField("название", max_length=100)
    short_name = models.CharField("сокращение", max_length=20)
    weight = models.PositiveSmallIntegerField("вес", default=1)
    is_control = models.BooleanField("контрольная работа", default=False)
    is_default = models.BooleanField("по умолчанию", default=False)

    class Meta:
        verbose_name = "вид работы"
        verbose_name_plural = "виды работ"
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="work_type_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=10),
                name="work_type_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Fields every person record has. SNILS is 11 digits without separators."""

    last_name = models.CharField("фамилия", max_length=100)
    first_name = models.CharField("имя", max_length=100)
    middle_name = models.CharField("отчество", max_length=100, blank=True)
    birth_date = models.DateField("дата рождения", null=True, blank=True)
    # NULL, not "", for a person without SNILS: the unique constraint then
    # ignores them.
    snils = models.CharField(  # noqa: DJ001
        "СНИЛС",
        max_length=11,
        null=True,
        blank=True,
        validators=[validate_snils],
    )

    class Meta:
        abstract = True
        ordering = ["last_name", "first_name", "middle_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.last_name, self.first_name, self.middle_name) if part
        )

    @property
    def short_name(self) -> str:
        initials = "".join(
            f"{part[0]}." for part in (self.first_name, self.middle_name) if part
        )
        return f"{self.last_name} {initials}".strip()


def _person_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["snils"], name=f"{prefix}_unique_snils"),
        models.CheckConstraint(
            condition=Q(snils__regex=r"^[0-9]{11}$") | Q(snils__isnull=True),
            name=f"{prefix}_snils_digits",
        ),
    ]


class Student(Person):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student",
        verbose_name="учётная запись",
    )
    gender = models.CharField(
        "пол", max_length=1, choices=[("M", "мужской"), ("F", "женский")], blank=True
    )

    history = HistoricalRecords()

    class Meta(Person.Meta):
        verbose_name = "обучающийся"
        verbose_name_plural = "обучающиеся"
        constraints = _person_constraints("student")


class Guardian(Person):
    """A parent or other legal guardian (законный представитель)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
        verbose_name="учётная запись",
    )
    phone = models.CharField("телефон", max_length=32, blank=True)
    students: models.ManyToManyField[Student, GuardianLink] = models.ManyToManyField(
        Student, through="GuardianLink", related_name="guardians"
    )

    history = HistoricalRecords()

    class Meta(Person.Meta):
        verbose_name = "законный представитель"
        verbose_name_plural = "законные представители"
        constraints = _person_constraints("guardian")


class GuardianLink(models.Model):
    class Relation(models.TextChoices):
        MOTHER = "mother", "мать"
        FATHER = "father", "отец"
        GUARDIAN = "guardian", "опекун"
        OTHER = "other", "иной законный представитель"

    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.CASCADE,
        related_name="links",
        verbose_name="законный представитель",
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="guardian_links",
        verbose_name="обучающийся",
    )
    relation = models.CharField(
        "кем приходится", max_length=16, choices=Relation.choices
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "связь с представителем"
        verbose_name_plural = "связи с представителями"
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "student"], name="guardian_link_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} — {self.student} ({self.get_relation_display()})"


class StaffMember(Person):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_member",
        verbose_name="учётная запись",
    )
    position = models.CharField("должность", max_length=150, blank=True)

    history = HistoricalRecords()

    class Meta(Person.Meta):
        verbose_name = "сотрудник"
        verbose_name_plural = "сотрудники"
        constraints = _person_constraints("staff")


class StaffRole(models.Model):
    class Role(models.TextChoices):
        TEACHER = "teacher", "учитель"
        HEAD_OF_STUDIES = "head_of_studies", "заместитель директора по УВР"
        SCHOOL_ADMIN = "school_admin", "администратор школы"
        DIRECTOR = "director", "директор"

    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name="сотрудник",
    )
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="staff_roles",
        verbose_name="школа",
    )
    role = models.CharField("роль", max_length=32, choices=Role.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "роль сотрудника"
        verbose_name_plural = "роли сотрудников"
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "school", "role"], name="staff_role_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_role_display()} ({self.school})"


class SchoolClass(models.Model):
    """A class of one academic year, such as «5А»."""

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="classes",
        verbose_name="школа",
    )
    academic_year = models.ForeignKey(
        AcademicYear,
        on_delete=models.CASCADE,
        related_name="classes",
        verbose_name="учебный год",
    )
    grade = models.PositiveSmallIntegerField("параллель")
    letter = models.CharField("литера", max_length=4)
    class_teacher = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_classes",
        verbose_name="классный руководитель",
    )

    class Meta:
        verbose_name = "класс"
        verbose_name_plural = "классы"
        ordering = ["academic_year", "grade", "letter"]
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "grade", "letter"], name="class_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1) & Q(grade__lte=11), name="class_grade_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


class Subgroup(models.Model):
    """Part of a class taught separately (languages, technology, computing)."""

    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.CASCADE,
        related_name="subgroups",
        verbose_name="класс",
    )
    name = models.CharField("название", max_length=100)
    students: models.ManyToManyField[Student, SubgroupMembership] = (
        models.ManyToManyField(
            Student, through="SubgroupMembership", related_name="subgroups"
        )
    )

    class Meta:
        verbose_name = "подгруппа"
        verbose_name_plural = "подгруппы"
        ordering = ["school_class", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "name"], name="subgroup_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} {self.name}"


class SubgroupMembership(models.Model):
    subgroup = models.ForeignKey(
        Subgroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="подгруппа",
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="subgroup_memberships",
        verbose_name="обучающийся",
    )

    class Meta:
        verbose_name = "состав подгруппы"
        verbose_name_plural = "составы подгрупп"
        constraints = [
            models.UniqueConstraint(
                fields=["subgroup", "student"], name="subgroup_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subgroup}: {self.student}"


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def active_on(self, day: datetime.date) -> EnrollmentQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).filter(
            start_date__lte=day
        )

    def overlapping(
        self, start: datetime.date, end: datetime.date
    ) -> EnrollmentQuerySet:
        return self.filter(start_date__lte=end).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start)
        )


class Enrollment(models.Model):
    """A student's membership of a class from one date to another, inclusive."""

    class EndReason(models.TextChoices):
        TRANSFER = "transfer", "перевод в другую образовательную организацию"
        GRADUATION = "graduation", "завершение обучения"
        NEXT_GRADE = "next_grade", "перевод в следующий класс"
        CLASS_CHANGE = "class_change", "перевод в другой класс школы"
        OTHER = "other", "иная причина"

    student = models.ForeignKey(
        Student,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name="обучающийся",
    )
    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name="класс",
    )
    start_date = models.DateField("дата зачисления")
    end_date = models.DateField("дата выбытия", null=True, blank=True)
    end_reason = models.CharField(
        "причина выбытия", max_length=16, choices=EndReason.choices, blank=True
    )
    order_number = models.CharField("номер приказа", max_length=50, blank=True)
    order_date = models.DateField("дата приказа", null=True, blank=True)
    # The order that ended the enrollment (expulsion, transfer, promotion).
    end_order_number = models.CharField(
        "номер приказа о выбытии", max_length=50, blank=True
    )
    end_order_date = models.DateField("дата приказа о выбытии", null=True, blank=True)

    history = HistoricalRecords()

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = "зачисление"
        verbose_name_plural = "зачисления"
        ordering = ["student", "start_date"]
        indexes = [
            models.Index(fields=["school_class", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrollment_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True, end_reason="")
                | (Q(end_date__isnull=False) & ~Q(end_reason="")),
                name="enrollment_end_has_reason",
            ),
            # A student is never in two classes on the same day.
            ExclusionConstraint(
                name="enrollment_no_overlap",
                expressions=[
                    ("student", RangeOperators.EQUAL),
                    (
                        DateRangeFunc(
                            "start_date",
                            Coalesce("end_date", models.Value(datetime.date.max)),
                            models.Value("[]"),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.school_class}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (
            self.end_date is None or day <= self.end_date
        )

    def overlaps(self, start: datetime.date, end: datetime.date) -> bool:
        """Tell whether the enrollment covers a day from ``start`` to ``end``."""
        return self.start_date <= end and (
            self.end_date is None or self.end_date >= start
        )


class TeachingAssignment(models.Model):
    """Who teaches which subject to a class or to one of its subgroups."""

    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name="класс",
    )
    subgroup = models.ForeignKey(
        Subgroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name="подгруппа",
    )
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name="предмет",
    )
    teacher = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name="учитель",
    )
    hours_per_week = models.DecimalField(
        "часов в неделю", max_digits=3, decimal_places=1, default=1
    )

    class Meta:
        verbose_name = "учебная нагрузка"
        verbose_name_plural = "учебная нагрузка"
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "subgroup", "subject"],
                nulls_distinct=False,
                name="assignment_unique_group_subject",
            ),
        ]

    def __str__(self) -> str:
        group = self.subgroup.name if self.subgroup_id and self.subgroup else ""
        return f"{self.school_class} {group} {self.subject}".replace("  ", " ")


class TimetableEntry(models.Model):
    """One slot of the weekly timetable, in force from one date to another."""

    class Weekday(models.IntegerChoices):
        MONDAY = 1, "понедельник"
        TUESDAY = 2, "вторник"
        WEDNESDAY = 3, "среда"
        THURSDAY = 4, "четверг"
        FRIDAY = 5, "пятница"
        SATURDAY = 6, "суббота"

    assignment = models.ForeignKey(
        TeachingAssignment,
        on_delete=models.CASCADE,
        related_name="timetable_entries",
        verbose_name="учебная нагрузка",
    )
    weekday = models.PositiveSmallIntegerField("день недели", choices=Weekday.choices)
    lesson_number = models.PositiveSmallIntegerField("номер урока")
    room = models.CharField("кабинет", max_length=20, blank=True)
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)

    class Meta:
        verbose_name = "урок в расписании"
        verbose_name_plural = "расписание уроков"
        ordering = ["weekday", "lesson_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="timetable_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}, {self.lesson_number}: {self.assignment}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (
            self.valid_to is None or day <= self.valid_to
        )


class DiaryApplication(models.Model):
    """A guardian's application for the e-diary, or its refusal or stop.

    The latest row of a student decides: ``filed`` opens the diary (with the
    guardian's consent), ``refused`` and ``stopped`` close it, and the school
    then informs the family on paper.
    """

    class Status(models.TextChoices):
        FILED = "filed", "подано"
        REFUSED = "refused", "отказ от электронного дневника"
        STOPPED = "stopped", "прекращено по заявлению"

    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="diary_applications",
        verbose_name="обучающийся",
    )
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="diary_applications",
        verbose_name="законный представитель",
    )
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="diary_applications",
        verbose_name="школа",
    )
    status = models.CharField("статус", max_length=16, choices=Status.choices)
    filed_on = models.DateField("дата заявления")
    reason = models.TextField("основание", blank=True)
    created_at = models.DateTimeField("записано", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "заявление об электронном дневнике"
        verbose_name_plural = "заявления об электронном дневнике"
        ordering = ["student", "filed_on", "created_at"]
        indexes = [models.Index(fields=["student", "-filed_on", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.get_status_display()} {self.filed_on:%d.%m.%Y}"


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force_on(self, day: datetime.date) -> ConsentQuerySet:
        return self.filter(given_on__lte=day).filter(
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day)
        )


class Consent(models.Model):
    """A guardian's consent to automated processing of personal data."""

    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name="законный представитель",
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name="обучающийся",
    )
    given_on = models.DateField("дата согласия")
    withdrawn_on = models.DateField("дата отзыва", null=True, blank=True)

    history = HistoricalRecords()

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = "согласие на обработку персональных данных"
        verbose_name_plural = "согласия на обработку персональных данных"
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True)
                | Q(withdrawn_on__gte=F("given_on")),
                name="consent_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} / {self.student}"


class ConsentWithdrawal(models.Model):
    """The record of a guardian's withdrawal of consent and what it erased.

    The guardian's row keeps only the full name after a withdrawal, so this
    record stores the names of the erased fields, never their values.
    """

    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.PROTECT,
        related_name="consent_withdrawals",
        verbose_name="законный представитель",
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.PROTECT,
        related_name="consent_withdrawals",
        verbose_name="обучающийся",
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="consent_withdrawals",
        verbose_name="школа",
    )
    withdrawn_on = models.DateField("дата отзыва")
    statement = models.CharField("основание (заявление)", max_length=255, blank=True)
    erased_fields = models.CharField("удалённые данные", max_length=255, blank=True)
    unlinked_account = models.BooleanField(
        "учётная запись ЕСИА отвязана", default=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто оформил",
    )
    recorded_at = models.DateTimeField("когда оформлено", auto_now_add=True)

    class Meta:
        verbose_name = "отзыв согласия"
        verbose_name_plural = "отзывы согласий"
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.guardian} / {self.student}: {self.withdrawn_on:%d.%m.%Y}"
