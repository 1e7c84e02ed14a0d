from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns
from django.urls import path

from accounts.esia import views
from accounts.esia.provider import EsiaProvider

urlpatterns = [
    *default_urlpatterns(EsiaProvider),
    path("esia/refused/", views.refused, name="esia_refused"),
]
