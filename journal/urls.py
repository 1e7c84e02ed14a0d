from django.urls import path

from journal import views

app_name = "journal"

urlpatterns = [
    path("", views.day, name="day"),
    path("lessons/<int:lesson_id>/", views.lesson_page, name="lesson"),
]
