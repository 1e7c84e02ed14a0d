from django.apps import AppConfig


class EsiaConfig(AppConfig):
    name = "accounts.esia"
    label = "esia"
