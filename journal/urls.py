from django.urls import path

from journal import class_views, grid_views, manage_views, schedule_views, views

app_name = "journal"

urlpatterns = [
    path("", views.day, name="day"),
    path("lessons/<int:lesson_id>/", views.lesson_page, name="lesson"),
    path("lessons/<int:lesson_id>/topic/", views.lesson_topic, name="lesson_topic"),
    path("journals/<int:assignment_id>/", grid_views.grid, name="grid"),
    path(
        "lessons/<int:lesson_id>/cells/<int:student_id>/",
        grid_views.grid_cell_save,
        name="grid_cell",
    ),
    path("journals/<int:assignment_id>/finals/", grid_views.finals, name="finals"),
    path(
        "journals/<int:assignment_id>/finals/<int:student_id>/",
        grid_views.final_mark_save,
        name="final_mark",
    ),
    path("classes/<int:class_id>/", class_views.class_overview, name="class"),
    path(
        "classes/<int:class_id>/attendance/",
        class_views.class_attendance,
        name="class_attendance",
    ),
    path(
        "classes/<int:class_id>/attendance/<int:attendance_id>/excuse/",
        class_views.excuse,
        name="excuse",
    ),
    path("school/", manage_views.school_overview, name="school"),
    path("school/generate/", manage_views.generate, name="generate"),
    path(
        "school/periods/<int:period_id>/close/",
        manage_views.period_close,
        name="period_close",
    ),
    path(
        "school/lessons/<int:lesson_id>/change/",
        manage_views.lesson_change,
        name="lesson_change",
    ),
    path("school/bells/", schedule_views.bells, name="bells"),
    path("school/timetable/", schedule_views.timetable, name="timetable"),
    path("school/timetable/add/", schedule_views.timetable_add, name="timetable_add"),
    path(
        "school/timetable/entries/<int:entry_id>/",
        schedule_views.timetable_entry,
        name="timetable_entry",
    ),
    path("journals/<int:assignment_id>/xlsx/", grid_views.grid_xlsx, name="grid_xlsx"),
    path(
        "classes/<int:class_id>/report-card.xlsx",
        class_views.report_card_xlsx_view,
        name="report_card_xlsx",
    ),
]
