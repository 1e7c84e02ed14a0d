"""The class journal: lessons, marks, attendance, final marks and their history."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from school.models import (
    AcademicYear,
    Period,
    SchoolClass,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
    TimetableEntry,
    WorkType,
)


class LessonQuerySet(models.QuerySet["Lesson"]):
    def between(
        self, first_day: datetime.date, last_day: datetime.date
    ) -> LessonQuerySet:
        return self.filter(date__gte=first_day, date__lte=last_day)


class Lesson(models.Model):
    """One held (or cancelled) lesson of a teaching assignment."""

    assignment = models.ForeignKey(
        TeachingAssignment, on_delete=models.PROTECT, related_name="lessons"
    )
    # Copied from the assignment so that a class's week is one index range.
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="lessons"
    )
    timetable_entry = models.ForeignKey(
        TimetableEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
    )
    date = models.DateField("дата")
    number = models.PositiveSmallIntegerField("номер урока")
    room = models.CharField("кабинет", max_length=20, blank=True)
    topic = models.CharField("тема урока", max_length=500, blank=True)
    homework = models.TextField("домашнее задание", blank=True)
    homework_due = models.DateField("срок выполнения", null=True, blank=True)
    is_control_work = models.BooleanField("контрольная работа", default=False)
    substitute_teacher = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substituted_lessons",
        verbose_name="замещающий учитель",
    )
    is_cancelled = models.BooleanField("урок отменён", default=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Incremented on every change of the topic, homework or due date; a save
    # of those fields that carries a stale version is rejected.
    version = models.PositiveIntegerField(default=1)

    objects = LessonQuerySet.as_manager()

    class Meta:
        verbose_name = "урок"
        verbose_name_plural = "уроки"
        ordering = ["date", "number"]
        indexes = [
            models.Index(fields=["school_class", "date", "number"]),
            models.Index(fields=["assignment", "date"]),
            models.Index(fields=["substitute_teacher", "date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "date", "number"], name="lesson_unique_slot"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=0) & Q(number__lte=12),
                name="lesson_number_range",
            ),
            models.CheckConstraint(
                condition=Q(homework_due__isnull=True) | Q(homework_due__gte=F("date")),
                name="lesson_homework_due_after_lesson",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} №{self.number} {self.assignment}"

    @property
    def teacher(self) -> StaffMember:
        return self.substitute_teacher or self.assignment.teacher


class Mark(models.Model):
    """A current mark: a score 1–5 or a pass / fail, with its work type.

    A pupil may get several marks at one lesson. ``weight`` is copied from the
    work type when the mark is set, so a later change of the school's weights
    is a deliberate recomputation, not a side effect.
    """

    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="marks")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="marks")
    score = models.PositiveSmallIntegerField("оценка", null=True, blank=True)
    passed = models.BooleanField("зачёт", null=True, blank=True)
    work_type = models.ForeignKey(
        WorkType, on_delete=models.PROTECT, related_name="marks"
    )
    weight = models.PositiveSmallIntegerField("вес")
    comment = models.CharField("комментарий", max_length=500, blank=True)
    author = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="marks_given"
    )
    entered_at = models.DateTimeField("время выставления")
    updated_at = models.DateTimeField("время изменения", auto_now=True)
    # Incremented on every change; a save that carries a stale version is
    # rejected, so two teachers cannot overwrite each other silently.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "отметка"
        verbose_name_plural = "отметки"
        ordering = ["lesson__date", "lesson__number", "entered_at"]
        indexes = [
            models.Index(fields=["student", "lesson"]),
            models.Index(fields=["entered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(score__isnull=False) & Q(passed__isnull=True))
                | (Q(score__isnull=True) & Q(passed__isnull=False)),
                name="mark_score_or_pass",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)),
                name="mark_score_range",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=10),
                name="mark_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        if self.score is not None:
            return str(self.score)
        return "зч" if self.passed else "нз"


class Attendance(models.Model):
    class Code(models.TextChoices):
        ABSENT = "Н", "отсутствовал(а) без уважительной причины"
        ILL = "Б", "болел(а)"
        EXCUSED = "УП", "отсутствовал(а) по уважительной причине"
        LATE = "ОП", "опоздал(а)"

    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, related_name="attendance"
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="attendance"
    )
    code = models.CharField("отметка посещаемости", max_length=2, choices=Code.choices)
    author = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="attendance_given"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "посещаемость"
        verbose_name_plural = "посещаемость"
        indexes = [models.Index(fields=["student", "lesson"])]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "student"], name="attendance_one_per_lesson"
            ),
            models.CheckConstraint(
                condition=Q(code__in=["Н", "Б", "УП", "ОП"]),
                name="attendance_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class FinalMark(models.Model):
    """A period, year, exam or final (certificate) mark for a subject."""

    class Kind(models.TextChoices):
        PERIOD = "period", "за период"
        YEAR = "year", "годовая"
        EXAM = "exam", "экзаменационная"
        FINAL = "final", "итоговая"

    class Value(models.TextChoices):
        ONE = "1", "1"
        TWO = "2", "2"
        THREE = "3", "3"
        FOUR = "4", "4"
        FIVE = "5", "5"
        NOT_CERTIFIED = "na", "н/а"
        EXEMPT = "osv", "осв"
        PASS = "pass", "зач"
        FAIL = "fail", "незач"

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="final_marks"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="final_marks"
    )
    academic_year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="final_marks"
    )
    kind = models.CharField("вид", max_length=8, choices=Kind.choices)
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="final_marks",
    )
    value = models.CharField("отметка", max_length=4, choices=Value.choices)
    # False when the value was accepted from the suggestion; a mark set by
    # hand is never recomputed.
    set_by_hand = models.BooleanField("выставлена вручную", default=True)
    author = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="final_marks_given",
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "итоговая отметка"
        verbose_name_plural = "итоговые отметки"
        indexes = [models.Index(fields=["student", "academic_year"])]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "academic_year", "kind", "period"],
                nulls_distinct=False,
                name="final_mark_unique",
            ),
            models.CheckConstraint(
                condition=(Q(kind="period") & Q(period__isnull=False))
                | (~Q(kind="period") & Q(period__isnull=True)),
                name="final_mark_period_only_for_period_kind",
            ),
            models.CheckConstraint(
                condition=Q(
                    value__in=["1", "2", "3", "4", "5", "na", "osv", "pass", "fail"]
                ),
                name="final_mark_value_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.get_value_display()


class JournalChange(models.Model):
    """Append-only history of marks, attendance codes and final marks."""

    class Kind(models.TextChoices):
        MARK = "mark", "отметка"
        ATTENDANCE = "attendance", "посещаемость"
        FINAL_MARK = "final_mark", "итоговая отметка"

    class Action(models.TextChoices):
        CREATED = "created", "выставлена"
        CHANGED = "changed", "изменена"
        DELETED = "deleted", "удалена"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    action = models.CharField(max_length=8, choices=Action.choices)
    object_id = models.BigIntegerField()
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="journal_changes"
    )
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="journal_changes"
    )
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="journal_changes",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField("причина", max_length=500, blank=True)

    class Meta:
        verbose_name = "изменение журнала"
        verbose_name_plural = "история журнала"
        ordering = ["changed_at"]
        indexes = [
            models.Index(fields=["student", "changed_at"]),
            models.Index(fields=["kind", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.old_value} → {self.new_value}"
