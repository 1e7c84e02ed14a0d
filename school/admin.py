"""Django admin for the school structure, contingent, applications and consent.

Every admin here derives from the scoped bases of ``school.admin_scoping``,
so a school administrator sees and changes only their schools' records (see
``school.admin_site`` for who is admitted). Enrollment changes go through the
workflows of ``school.services`` (admin actions on the students' list), never
through editing enrollment rows by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from import_export.admin import ImportExportMixin

from eschool.numbers import parse_id
from school import imports, services
from school import models as sm
from school.admin_forms import (
    ClassDateForm,
    ConsentAdminForm,
    DiaryApplicationAdminForm,
    EnrollBySnilsForm,
    ExpelForm,
    GuardianAddForm,
    InsideYearForm,
    LinkGuardianBySnilsForm,
    PersonAdminForm,
    RolloverForm,
    StaffAddForm,
    StudentAddForm,
    WithdrawConsentForm,
)
from school.admin_scoping import (
    ScopedHistoryAdmin,
    ScopedModelAdmin,
    ScopedTabularInline,
)
from school.admin_site import admin_school_ids
from school.diary_status import diary_status_line
from school.scoping import scope_to_schools
from school.snils import format_snils

RelatedOnly = admin.RelatedOnlyFieldListFilter
WORKFLOW_TEMPLATE = "admin/school/workflow_form.html"


def _snils_display(obj: sm.Person) -> str:
    return format_snils(obj.snils) if obj.snils else "—"


def _scoped(request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
    ids = admin_school_ids(request)
    return queryset if ids is None else scope_to_schools(queryset, ids)


def _run_workflow(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    form: Form,
    title: str,
    apply: Callable[[Any], None],
    extra: dict[str, Any] | None = None,
    ready: bool = True,
) -> HttpResponse | None:
    """Show ``form`` for the selected rows, then apply it to all in one transaction.

    Returns None after a successful run, so the admin goes back to the list
    with a message; otherwise the form page with its errors.
    """
    if "apply" in request.POST and form.is_valid() and ready:
        current: Any = None
        try:
            with transaction.atomic():
                for current in queryset:
                    apply(current)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, f"{current}: {message}")
        else:
            modeladmin.message_user(
                request, f"{title}: выполнено для {queryset.count()} записей."
            )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": queryset,
        "action": request.POST.get("action", ""),
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        **(extra or {}),
    }
    return TemplateResponse(request, WORKFLOW_TEMPLATE, context)


def _simple_form_page(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    form: Form,
    title: str,
    intro: str,
    submit_label: str,
) -> HttpResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "form": form,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/school/simple_form.html", context)


# School set-up


@admin.register(sm.School)
class SchoolAdmin(ScopedModelAdmin):
    list_display = ["short_name", "municipality", "time_zone"]
    search_fields = ["name", "short_name"]
    school_staff_may_add = False
    school_staff_may_delete = False
    fieldsets = [
        (None, {"fields": ["name", "short_name", "municipality", "address"]}),
        ("Календарь", {"fields": ["time_zone", "works_saturday"]}),
        (
            "Округление четвертных отметок",
            {
                "fields": ["threshold_five", "threshold_four", "threshold_three"],
                "description": "Минимальный средний балл для отметок «5», «4» и «3».",
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The school's name and place are regional data.
        if request.user.is_superuser:
            return []
        return ["name", "short_name", "municipality"]


class PeriodInline(ScopedTabularInline):
    model = sm.Period
    form = InsideYearForm
    extra = 0


class HolidayInline(ScopedTabularInline):
    model = sm.Holiday
    form = InsideYearForm
    extra = 0


class BellInline(ScopedTabularInline):
    model = sm.Bell
    extra = 0


@admin.register(sm.AcademicYear)
class AcademicYearAdmin(ScopedModelAdmin):
    list_display = ["name", "school", "start_date", "end_date"]
    list_filter = [("school", RelatedOnly)]
    list_select_related = ["school"]
    search_fields = ["name"]
    inlines = [PeriodInline, HolidayInline, BellInline]
    actions = ["rollover"]

    @admin.action(description="Перевести классы на следующий учебный год")
    def rollover(
        self, request: HttpRequest, queryset: QuerySet[sm.AcademicYear]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request, "Выберите ровно один учебный год.", level=messages.ERROR
            )
            return None
        old_year = queryset.select_related("school").get()
        years = self.get_queryset(request)
        data = request.POST if "new_year" in request.POST else None
        form = RolloverForm(data, old_year=old_year, years=years)
        plan = None
        signature = ""
        if data is not None and form.is_valid():
            new_year = form.cleaned_data["new_year"]
            plan = services.plan_rollover(
                old_year, new_year, form.cleaned_data["top_grade"]
            )
            signature = form.signature()
        # The run must use the parameters of the preview the user has seen.
        ready = bool(signature) and request.POST.get("previewed") == signature
        if "apply" in request.POST and signature and not ready:
            form.add_error(
                None,
                "Параметры изменены после предпросмотра: проверьте новый "
                "предпросмотр и нажмите «Выполнить».",
            )

        def apply(year: sm.AcademicYear) -> None:
            result = services.run_rollover(
                year,
                form.cleaned_data["new_year"],
                form.order(),
                form.cleaned_data["graduation_date"],
                user=request.user,
                top_grade=form.cleaned_data["top_grade"],
            )
            self.message_user(
                request,
                f"Переведено: {result.promoted}, выпущено: {result.graduated}, "
                f"создано классов: {result.classes_created}.",
            )

        return _run_workflow(
            self,
            request,
            queryset,
            form,
            "Перевод на следующий учебный год",
            apply,
            extra={"plan": plan, "needs_preview": True, "previewed": signature},
            ready=ready,
        )


@admin.register(sm.Period)
class PeriodAdmin(ScopedModelAdmin):
    form = InsideYearForm
    list_display = [
        "__str__",
        "academic_year",
        "grade_from",
        "grade_to",
        "start_date",
        "end_date",
        "closed_on",
    ]
    list_filter = [("academic_year__school", RelatedOnly), "kind"]
    list_select_related = ["academic_year"]
    list_editable = ["closed_on"]


@admin.register(sm.Holiday)
class HolidayAdmin(ScopedModelAdmin):
    form = InsideYearForm
    list_display = ["name", "academic_year", "start_date", "end_date", "grade_from"]
    list_filter = [("academic_year__school", RelatedOnly)]
    list_select_related = ["academic_year"]


@admin.register(sm.Bell)
class BellAdmin(ScopedModelAdmin):
    list_display = ["lesson_number", "starts_at", "ends_at", "academic_year"]
    list_filter = [("academic_year__school", RelatedOnly)]
    list_select_related = ["academic_year"]


@admin.register(sm.Subject)
class SubjectAdmin(ScopedModelAdmin):
    list_display = ["name", "short_name", "grading", "school"]
    list_filter = [("school", RelatedOnly), "grading"]
    search_fields = ["name"]
    list_select_related = ["school"]


@admin.register(sm.WorkType)
class WorkTypeAdmin(ScopedModelAdmin):
    list_display = ["name", "short_name", "weight", "is_control", "school"]
    list_filter = [("school", RelatedOnly)]
    list_select_related = ["school"]
    search_fields = ["name"]


# People


class GuardianLinkInline(ScopedTabularInline):
    model = sm.GuardianLink
    extra = 0
    autocomplete_fields = ["guardian", "student"]


_ENROLLMENT_COLUMNS = [
    "school_class",
    "start_date",
    "order_number",
    "order_date",
    "end_date",
    "end_reason",
    "end_order_number",
    "end_order_date",
]


class EnrollmentInline(ScopedTabularInline):
    """The student's enrollment history, read-only: the workflows change it."""

    model = sm.Enrollment
    extra = 0
    fields = tuple(_ENROLLMENT_COLUMNS)
    readonly_fields = tuple(_ENROLLMENT_COLUMNS)
    ordering = ["start_date"]
    school_staff_may_add = False
    school_staff_may_delete = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("school_class")


class StaffRoleInline(ScopedTabularInline):
    model = sm.StaffRole
    extra = 0


class CurrentClassFilter(admin.SimpleListFilter):
    """Students by the class of their open enrollment, among the user's classes."""

    title = "класс"
    parameter_name = "current_class"
    NOT_ENROLLED = "none"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        classes = (
            _scoped(request, sm.SchoolClass.objects.all())
            .filter(enrollments__end_date__isnull=True)
            .select_related("academic_year")
            .distinct()
            .order_by("-academic_year__start_date", "grade", "letter")
        )
        choices = [
            (
                str(school_class.pk),
                f"{school_class.name} ({school_class.academic_year})",
            )
            for school_class in classes
        ]
        return [*choices, (self.NOT_ENROLLED, "не зачислены")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any] | None:
        value = self.value()
        if not value:
            return queryset
        open_enrollments = sm.Enrollment.objects.filter(end_date__isnull=True)
        if value == self.NOT_ENROLLED:
            return queryset.exclude(pk__in=open_enrollments.values("student_id"))
        class_id = parse_id(value)
        if class_id is None:
            return queryset.none()
        in_class = open_enrollments.filter(school_class_id=class_id)
        return queryset.filter(pk__in=in_class.values("student_id"))


class PersonAdmin(ImportExportMixin, ScopedHistoryAdmin):
    """People are regional records: deleting one would also delete its links
    and consents in other schools, so only the regional administrator may."""

    form = PersonAdminForm
    school_staff_may_delete = False
    add_form: type[Any] = PersonAdminForm
    search_fields = ["last_name", "first_name", "middle_name", "snils"]
    readonly_fields = ["user"]
    import_formats = imports.IMPORT_FORMATS
    export_formats = imports.EXPORT_FORMATS

    def link_choices(self, request: HttpRequest) -> QuerySet[Any]:
        raise NotImplementedError

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = type(
                self.add_form.__name__,
                (self.add_form,),
                {
                    "choices": self.link_choices(request),
                    "link_required": not request.user.is_superuser,
                },
            )
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fieldsets = [
                *fieldsets,
                ("Связь со школой", {"fields": self.add_form.link_fields()}),
            ]
        return fieldsets

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change and form.cleaned_data.get(form.choice_field) is not None:
                self.create_link(request, obj, form.cleaned_data)

    def create_link(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # An invalid row rolls the whole file back, not only its own row.
        data_kwargs: dict[str, Any] = super().get_import_data_kwargs(**kwargs)
        data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    @admin.display(description="СНИЛС", ordering="snils")
    def snils_display(self, obj: sm.Person) -> str:
        return _snils_display(obj)

    @admin.display(description="ФИО", ordering="last_name")
    def full_name(self, obj: sm.Person) -> str:
        return obj.full_name

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # A SNILS is searched with or without its separators.
        digits = "".join(char for char in search_term if char.isdigit())
        if len(digits) == 11 and not any(char.isalpha() for char in search_term):
            return queryset.filter(snils=digits), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[no-any-return]

    def get_import_resource_kwargs(
        self, request: HttpRequest, **kwargs: Any
    ) -> dict[str, Any]:
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "request": request,
        }

    def get_export_resource_kwargs(
        self, request: HttpRequest, **kwargs: Any
    ) -> dict[str, Any]:
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            "request": request,
        }


@admin.register(sm.Student)
class StudentAdmin(PersonAdmin):
    list_display = ["full_name", "birth_date", "snils_display", "current_class"]
    list_filter = [CurrentClassFilter]
    inlines = [EnrollmentInline, GuardianLinkInline]
    readonly_fields = ["user", "diary_status"]
    fields = [
        "diary_status",
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "gender",
        "snils",
        "user",
    ]
    resource_classes = [imports.StudentResource]
    actions = ["enroll", "move", "expel", "re_enroll"]
    add_form = StudentAddForm
    change_list_template = "admin/school/student/change_list.html"

    def link_choices(self, request: HttpRequest) -> QuerySet[Any]:
        return self._classes(request).select_related("academic_year", "school")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name != "diary_status"]
        return fields

    def create_link(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> None:
        services.enroll(
            obj,
            data["school_class"],
            data["enrollment_date"],
            services.Order(number=data["order_number"], date=data["order_date"]),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        enrollments: QuerySet[Any] = sm.Enrollment.objects.filter(
            student=OuterRef("pk"), end_date__isnull=True
        ).order_by("-start_date")
        enrollments = _scoped(request, enrollments)
        name = Concat(
            Cast("school_class__grade", CharField()),
            F("school_class__letter"),
            Value(""),
            output_field=CharField(),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_class_name=Subquery(
                    enrollments.annotate(name=name).values("name")[:1]
                )
            )
        )

    @admin.display(description="Класс")
    def current_class(self, obj: sm.Student) -> str:
        return getattr(obj, "current_class_name", None) or "не зачислен(а)"

    @admin.display(description="Электронный дневник")
    def diary_status(self, obj: sm.Student) -> str:
        if obj.pk is None:
            return "—"
        return diary_status_line(obj)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        extra = [
            path(
                "enroll-by-snils/",
                self.admin_site.admin_view(self.enroll_by_snils_view),
                name="school_student_enroll_by_snils",
            ),
        ]
        return extra + super().get_urls()

    def enroll_by_snils_view(self, request: HttpRequest) -> HttpResponse:
        """Enroll a student of the regional base found by SNILS and last name."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = EnrollBySnilsForm(data, classes=self._classes(request))
        if form.is_valid():
            student = form.cleaned_data["student"]
            try:
                services.enroll(
                    student,
                    form.cleaned_data["school_class"],
                    form.cleaned_data["day"],
                    form.order(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, f"{student} зачислен(а).")
                url = reverse("admin:school_student_change", args=[student.pk])
                return HttpResponseRedirect(url)
        return _simple_form_page(
            self,
            request,
            form,
            "Зачисление по СНИЛС",
            "Для обучающегося, который уже есть в региональной базе (например, "
            "переводится из другой школы). СНИЛС и фамилия должны совпасть "
            "с записью.",
            "Зачислить",
        )

    def _classes(self, request: HttpRequest) -> QuerySet[sm.SchoolClass]:
        return _scoped(request, sm.SchoolClass.objects.all())

    def _class_workflow(
        self,
        request: HttpRequest,
        queryset: QuerySet[sm.Student],
        title: str,
        service: Callable[..., Any],
    ) -> HttpResponse | None:
        data = request.POST if "apply" in request.POST else None
        form = ClassDateForm(data, classes=self._classes(request))

        def apply(student: sm.Student) -> None:
            service(
                student,
                form.cleaned_data["school_class"],
                form.cleaned_data["day"],
                form.order(),
            )

        return _run_workflow(self, request, queryset, form, title, apply)

    @admin.action(description="Зачислить в класс")
    def enroll(
        self, request: HttpRequest, queryset: QuerySet[sm.Student]
    ) -> HttpResponse | None:
        return self._class_workflow(
            request, queryset, "Зачисление в класс", services.enroll
        )

    @admin.action(description="Перевести в другой класс")
    def move(
        self, request: HttpRequest, queryset: QuerySet[sm.Student]
    ) -> HttpResponse | None:
        return self._class_workflow(
            request, queryset, "Перевод в другой класс", services.move
        )

    @admin.action(description="Восстановить (повторно зачислить)")
    def re_enroll(
        self, request: HttpRequest, queryset: QuerySet[sm.Student]
    ) -> HttpResponse | None:
        return self._class_workflow(
            request, queryset, "Повторное зачисление", services.re_enroll
        )

    @admin.action(description="Отчислить")
    def expel(
        self, request: HttpRequest, queryset: QuerySet[sm.Student]
    ) -> HttpResponse | None:
        data = request.POST if "apply" in request.POST else None
        form = ExpelForm(data)

        def apply(student: sm.Student) -> None:
            services.expel(
                student,
                form.cleaned_data["day"],
                form.cleaned_data["reason"],
                form.order(),
                form.cleaned_data["note"],
                school_ids=admin_school_ids(request),
            )

        return _run_workflow(self, request, queryset, form, "Отчисление", apply)


@admin.register(sm.Guardian)
class GuardianAdmin(PersonAdmin):
    list_display = ["full_name", "phone", "snils_display"]
    fields = [
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "snils",
        "phone",
        "user",
    ]
    inlines = [GuardianLinkInline]
    resource_classes = [imports.GuardianResource]
    add_form = GuardianAddForm
    change_list_template = "admin/school/guardian/change_list.html"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        extra = [
            path(
                "link-by-snils/",
                self.admin_site.admin_view(self.link_by_snils_view),
                name="school_guardian_link_by_snils",
            ),
        ]
        return extra + super().get_urls()

    def link_by_snils_view(self, request: HttpRequest) -> HttpResponse:
        """Link a guardian of the regional base, found by SNILS and last name."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = LinkGuardianBySnilsForm(data, students=self.link_choices(request))
        if form.is_valid():
            guardian = form.cleaned_data["guardian"]
            sm.GuardianLink.objects.update_or_create(
                guardian=guardian,
                student=form.cleaned_data["student"],
                defaults={"relation": form.cleaned_data["relation"]},
            )
            self.message_user(request, f"{guardian} связан(а) с обучающимся.")
            url = reverse("admin:school_guardian_change", args=[guardian.pk])
            return HttpResponseRedirect(url)
        return _simple_form_page(
            self,
            request,
            form,
            "Связь с представителем по СНИЛС",
            "Для представителя, который уже есть в региональной базе (например, "
            "его другой ребёнок учится в другой школе). СНИЛС и фамилия должны "
            "совпасть с записью.",
            "Связать",
        )

    def link_choices(self, request: HttpRequest) -> QuerySet[Any]:
        return _scoped(request, sm.Student.objects.all())

    def create_link(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> None:
        sm.GuardianLink.objects.create(
            guardian=obj, student=data["student"], relation=data["relation"]
        )


@admin.register(sm.StaffMember)
class StaffMemberAdmin(PersonAdmin):
    list_display = ["full_name", "position", "snils_display"]
    fields = [
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "snils",
        "position",
        "user",
    ]
    inlines = [StaffRoleInline]
    resource_classes = [imports.StaffResource]
    add_form = StaffAddForm

    def link_choices(self, request: HttpRequest) -> QuerySet[Any]:
        return _scoped(request, sm.School.objects.all())

    def create_link(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> None:
        sm.StaffRole.objects.get_or_create(
            staff=obj, school=data["school"], role=data["role"]
        )


@admin.register(sm.GuardianLink)
class GuardianLinkAdmin(ScopedHistoryAdmin):
    list_display = ["guardian", "student", "relation"]
    list_select_related = ["guardian", "student"]
    search_fields = ["guardian__last_name", "student__last_name"]
    autocomplete_fields = ["guardian", "student"]


@admin.register(sm.StaffRole)
class StaffRoleAdmin(ScopedHistoryAdmin):
    list_display = ["staff", "role", "school"]
    list_filter = ["role", ("school", RelatedOnly)]
    list_select_related = ["staff", "school"]
    search_fields = ["staff__last_name"]
    autocomplete_fields = ["staff"]


# Classes and teaching


@admin.register(sm.SchoolClass)
class SchoolClassAdmin(ScopedModelAdmin):
    list_display = ["name", "academic_year", "school", "class_teacher"]
    list_filter = [("school", RelatedOnly), "academic_year__name", "grade"]
    search_fields = ["letter", "grade"]
    list_select_related = ["academic_year", "school", "class_teacher"]
    autocomplete_fields = ["class_teacher"]
    ordering = ["-academic_year__start_date", "grade", "letter"]


@admin.register(sm.Subgroup)
class SubgroupAdmin(ScopedModelAdmin):
    list_display = ["name", "school_class"]
    list_select_related = ["school_class"]
    search_fields = ["name"]


@admin.register(sm.Enrollment)
class EnrollmentAdmin(ScopedHistoryAdmin):
    """The enrollment register; school staff change it through the workflows."""

    list_display = [
        "student",
        "school_class",
        "start_date",
        "order_number",
        "end_date",
        "end_reason",
    ]
    list_filter = ["end_reason", ("school_class__school", RelatedOnly)]
    search_fields = ["student__last_name", "student__snils", "order_number"]
    list_select_related = ["student", "school_class"]
    autocomplete_fields = ["student", "school_class"]
    school_staff_may_add = False
    school_staff_may_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(sm.TeachingAssignment)
class TeachingAssignmentAdmin(ScopedModelAdmin):
    list_display = ["school_class", "subgroup", "subject", "teacher", "hours_per_week"]
    list_filter = [("school_class__school", RelatedOnly), ("subject", RelatedOnly)]
    list_select_related = ["school_class", "subgroup", "subject", "teacher"]
    autocomplete_fields = ["teacher", "school_class", "subject"]


@admin.register(sm.TimetableEntry)
class TimetableEntryAdmin(ScopedModelAdmin):
    list_display = ["assignment", "weekday", "lesson_number", "room", "valid_from"]
    list_select_related = [
        "assignment__school_class",
        "assignment__subgroup",
        "assignment__subject",
    ]


# Applications and consent


@admin.register(sm.DiaryApplication)
class DiaryApplicationAdmin(ScopedHistoryAdmin):
    form = DiaryApplicationAdminForm
    list_display = ["student", "guardian", "status", "filed_on", "school"]
    list_filter = ["status", ("school", RelatedOnly)]
    search_fields = ["student__last_name", "guardian__last_name"]
    list_select_related = ["student", "guardian", "school"]
    autocomplete_fields = ["student", "guardian"]


@admin.register(sm.Consent)
class ConsentAdmin(ScopedHistoryAdmin):
    form = ConsentAdminForm
    list_display = ["guardian", "student", "given_on", "withdrawn_on"]
    list_filter = [("withdrawn_on", admin.EmptyFieldListFilter)]
    search_fields = ["student__last_name", "guardian__last_name"]
    list_select_related = ["student", "guardian"]
    autocomplete_fields = ["student", "guardian"]
    readonly_fields = ["withdrawn_on"]
    actions = ["withdraw"]
    school_staff_may_delete = False

    def get_readonly_fields(
        self, request: HttpRequest, obj: Any = None
    ) -> Sequence[str]:
        if obj is not None:
            return ["guardian", "student", "given_on", "withdrawn_on"]
        return ["withdrawn_on"]

    @admin.action(description="Отозвать согласие (удалить персональные данные)")
    def withdraw(
        self, request: HttpRequest, queryset: QuerySet[sm.Consent]
    ) -> HttpResponse | None:
        data = request.POST if "apply" in request.POST else None
        form = WithdrawConsentForm(data)
        queryset = queryset.select_related("guardian", "student")

        def apply(consent: sm.Consent) -> None:
            consent.refresh_from_db(fields=["withdrawn_on"])
            if consent.withdrawn_on is not None:
                # Withdrawn together with another consent of the same guardian.
                return
            school = _student_school(request, consent.student)
            services.withdraw_consent(
                consent,
                form.cleaned_data["day"],
                school,
                statement=form.cleaned_data["statement"],
                user=request.user,
            )

        warning = (
            "У представителя будут удалены все персональные данные, кроме ФИО "
            "(СНИЛС, дата рождения, телефон, в том числе в истории изменений), "
            "учётная запись Госуслуг будет отвязана, а все его согласия отозваны "
            "с указанной даты. Отменить это нельзя."
        )
        return _run_workflow(
            self,
            request,
            queryset,
            form,
            "Отзыв согласия",
            apply,
            extra={"warning": warning},
        )


def _student_school(request: HttpRequest, student: sm.Student) -> sm.School:
    """Return the school where the student is (or was last) enrolled.

    Raises ValidationError when that school is not one of the user's, because
    the consent of a student who moved on is the new school's business.
    """
    ids = admin_school_ids(request)
    latest = (
        sm.Enrollment.objects.filter(student=student)
        .select_related("school_class__school")
        .order_by("-start_date")
        .first()
    )
    if latest is not None:
        if ids is not None and latest.school_class.school_id not in ids:
            raise ValidationError(
                "Обучающийся числится в другой школе: отзыв согласия оформляет она."
            )
        return latest.school_class.school
    application = _scoped(
        request, sm.DiaryApplication.objects.filter(student=student)
    ).select_related("school")
    found = application.order_by("-filed_on").first()
    if found is None:
        raise ValidationError("Обучающийся не числится в вашей школе.")
    return found.school


@admin.register(sm.ConsentWithdrawal)
class ConsentWithdrawalAdmin(ScopedModelAdmin):
    list_display = [
        "guardian",
        "student",
        "withdrawn_on",
        "erased_fields",
        "unlinked_account",
        "recorded_by",
        "recorded_at",
    ]
    list_select_related = ["guardian", "student", "recorded_by"]
    search_fields = ["guardian__last_name", "student__last_name"]
    school_staff_may_add = False
    school_staff_may_delete = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Audit: every change of people, enrollments, applications and consent


class ChangeLogAdmin(ScopedModelAdmin):
    """A read-only list of the history rows of one model, newest first."""

    list_display = [
        "history_date",
        "history_user",
        "history_type",
        "record",
        "history_change_reason",
    ]
    list_filter = ["history_type"]
    list_select_related = ["history_user"]
    date_hierarchy = "history_date"
    ordering = ["-history_date"]
    school_staff_may_add = False
    school_staff_may_delete = False

    # Related rows shown for a record, loaded by list_select_related. A
    # person's history row carries the name itself.
    record_fields: list[str] = []

    @admin.display(description="запись")
    def record(self, obj: Any) -> str:
        # str() of a history row builds the live instance, whose related rows
        # are not loaded, so the text is built from the history row itself.
        if not self.record_fields:
            return " ".join(
                part
                for part in (obj.last_name, obj.first_name, obj.middle_name)
                if part
            )
        return " — ".join(str(getattr(obj, name)) for name in self.record_fields)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_CHANGE_LOGS: list[tuple[type[Any], list[str]]] = [
    (sm.Student, []),
    (sm.Guardian, []),
    (sm.StaffMember, []),
    (sm.GuardianLink, ["guardian", "student"]),
    (sm.StaffRole, ["staff", "school"]),
    (sm.Enrollment, ["student", "school_class"]),
    (sm.DiaryApplication, ["student", "guardian"]),
    (sm.Consent, ["student", "guardian"]),
]
for _model, _related in _CHANGE_LOGS:
    _history_model = _model.history.model
    _history_model._meta.verbose_name = f"изменение: {_model._meta.verbose_name}"
    _history_model._meta.verbose_name_plural = (
        f"журнал изменений: {_model._meta.verbose_name_plural}"
    )
    admin.site.register(
        _history_model,
        type(
            f"{_model.__name__}ChangeLogAdmin",
            (ChangeLogAdmin,),
            {
                "list_select_related": ["history_user", *_related],
                "record_fields": _related,
            },
        ),
    )
