"""Django admin for the school structure and contingent.

NOTE: every school's records are visible to every admin user here; the
per-school scoping of school administrators is not built yet, so only the
regional superuser should have admin access for now.
"""

from __future__ import annotations

from django.contrib import admin

from school import models


class GuardianLinkInline(admin.TabularInline):
    model = models.GuardianLink
    extra = 0
    autocomplete_fields = ["guardian", "student"]


class EnrollmentInline(admin.TabularInline):
    model = models.Enrollment
    extra = 0
    autocomplete_fields = ["school_class"]


class StaffRoleInline(admin.TabularInline):
    model = models.StaffRole
    extra = 0


@admin.register(models.School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["short_name", "municipality", "time_zone"]
    search_fields = ["name", "short_name"]


@admin.register(models.AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "start_date", "end_date"]
    list_filter = ["school"]
    list_select_related = ["school"]


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "academic_year",
        "grade_from",
        "grade_to",
        "start_date",
        "end_date",
        "closed_on",
    ]
    list_filter = ["academic_year__school", "kind"]
    list_select_related = ["academic_year"]


@admin.register(models.Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["name", "academic_year", "start_date", "end_date", "grade_from"]
    list_filter = ["academic_year__school"]
    list_select_related = ["academic_year"]


@admin.register(models.Bell)
class BellAdmin(admin.ModelAdmin):
    list_display = ["lesson_number", "starts_at", "ends_at", "academic_year"]
    list_select_related = ["academic_year"]


@admin.register(models.Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "grading", "school"]
    list_filter = ["school", "grading"]
    search_fields = ["name"]
    list_select_related = ["school"]


@admin.register(models.WorkType)
class WorkTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "weight", "is_control", "school"]
    list_filter = ["school"]
    list_select_related = ["school"]


@admin.register(models.Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["full_name", "birth_date", "snils"]
    search_fields = ["last_name", "first_name", "snils"]
    inlines = [EnrollmentInline, GuardianLinkInline]
    raw_id_fields = ["user"]


@admin.register(models.Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ["full_name", "phone", "snils"]
    search_fields = ["last_name", "first_name", "snils"]
    inlines = [GuardianLinkInline]
    raw_id_fields = ["user"]


@admin.register(models.StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "position", "snils"]
    search_fields = ["last_name", "first_name", "snils"]
    inlines = [StaffRoleInline]
    raw_id_fields = ["user"]


@admin.register(models.SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["name", "academic_year", "school", "class_teacher"]
    list_filter = ["school", "academic_year__name", "grade"]
    search_fields = ["letter", "grade"]
    list_select_related = ["academic_year", "school", "class_teacher"]
    autocomplete_fields = ["class_teacher"]


@admin.register(models.Subgroup)
class SubgroupAdmin(admin.ModelAdmin):
    list_display = ["name", "school_class"]
    list_select_related = ["school_class"]


@admin.register(models.Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "school_class", "start_date", "end_date", "end_reason"]
    list_filter = ["end_reason", "school_class__school"]
    search_fields = ["student__last_name", "student__snils"]
    list_select_related = ["student", "school_class"]
    autocomplete_fields = ["student", "school_class"]


@admin.register(models.TeachingAssignment)
class TeachingAssignmentAdmin(admin.ModelAdmin):
    list_display = ["school_class", "subgroup", "subject", "teacher", "hours_per_week"]
    list_filter = ["school_class__school", "subject"]
    list_select_related = ["school_class", "subgroup", "subject", "teacher"]
    autocomplete_fields = ["teacher", "school_class", "subject"]


@admin.register(models.TimetableEntry)
class TimetableEntryAdmin(admin.ModelAdmin):
    list_display = ["assignment", "weekday", "lesson_number", "room", "valid_from"]
    list_select_related = [
        "assignment__school_class",
        "assignment__subgroup",
        "assignment__subject",
    ]


@admin.register(models.DiaryApplication)
class DiaryApplicationAdmin(admin.ModelAdmin):
    list_display = ["student", "guardian", "status", "filed_on"]
    list_filter = ["status", "school"]
    search_fields = ["student__last_name", "guardian__last_name"]
    list_select_related = ["student", "guardian"]
    autocomplete_fields = ["student", "guardian"]


@admin.register(models.Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["guardian", "student", "given_on", "withdrawn_on"]
    search_fields = ["student__last_name", "guardian__last_name"]
    list_select_related = ["student", "guardian"]
    autocomplete_fields = ["student", "guardian"]
