from django.urls import path

from diary import views

app_name = "diary"

urlpatterns = [
    path("", views.week, name="week"),
    path("low-vision/", views.low_vision, name="low_vision"),
    path("health/", views.health, name="health"),
    path("<int:student_id>/week/", views.week, name="week"),
    path("<int:student_id>/schedule/", views.schedule, name="schedule"),
    path("<int:student_id>/attendance/", views.attendance, name="attendance"),
    path("<int:student_id>/missed/", views.missed, name="missed"),
    path("<int:student_id>/teachers/", views.teachers, name="teachers"),
    path("<int:student_id>/marks/", views.subjects, name="subjects"),
    path(
        "<int:student_id>/marks/<int:subject_id>/",
        views.subject_marks,
        name="subject_marks",
    ),
    path("<int:student_id>/finals/", views.finals, name="finals"),
    path("<int:student_id>/finals/past/", views.past_finals, name="past_finals"),
    path("<int:student_id>/history/", views.history, name="history"),
    path("<int:student_id>/calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
