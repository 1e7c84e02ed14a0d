from django.urls import path

from diary import views

app_name = "diary"

urlpatterns = [
    path("", views.week, name="week"),
    path("<int:student_id>/week/", views.week, name="week"),
]
