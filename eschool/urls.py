from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from eschool.health import health

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("diary/", include("diary.urls")),
    path("journal/", include("journal.urls")),
    path("accounts/", include("allauth.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
