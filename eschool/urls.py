from django.contrib import admin
from django.urls import include, path

from accounts.views import home

urlpatterns = [
    path("", home, name="home"),
    path("diary/", include("diary.urls")),
    path("journal/", include("journal.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
