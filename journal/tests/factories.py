"""factory-boy factories for lessons, marks and attendance."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from journal import models
from school.tests.factories import (
    StudentFactory,
    TeachingAssignmentFactory,
    WorkTypeFactory,
)


class LessonFactory(DjangoModelFactory[models.Lesson]):
    class Meta:
        model = models.Lesson

    assignment = factory.SubFactory(TeachingAssignmentFactory)
    school_class = factory.SelfAttribute("assignment.school_class")
    date = datetime.date(2026, 12, 1)
    number = 1
    room = "201"
    topic = "Сложение дробей"
    homework = "№ 245, 247"


class MarkFactory(DjangoModelFactory[models.Mark]):
    class Meta:
        model = models.Mark

    lesson = factory.SubFactory(LessonFactory)
    student = factory.SubFactory(StudentFactory)
    score = 5
    work_type = factory.SubFactory(
        WorkTypeFactory, school=factory.SelfAttribute("..lesson.school_class.school")
    )
    weight = factory.SelfAttribute("work_type.weight")
    author = factory.SelfAttribute("lesson.assignment.teacher")
    entered_at = factory.LazyFunction(lambda: timezone.now())


class AttendanceFactory(DjangoModelFactory[models.Attendance]):
    class Meta:
        model = models.Attendance

    lesson = factory.SubFactory(LessonFactory)
    student = factory.SubFactory(StudentFactory)
    code = models.Attendance.Code.ABSENT
    author = factory.SelfAttribute("lesson.assignment.teacher")
