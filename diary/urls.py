from django.urls import path

app_name = "diary"

urlpatterns: list = []
