"""Settings of the e-school portal.

The environment is read once, here, through django-environ. With nothing set
the portal runs as the local demo: DEBUG on, the embedded PostgreSQL and the
ESIA emulator on 127.0.0.1:8001. With ``DEBUG=off`` it refuses to start unless
``SECRET_KEY`` and ``DATABASE_URL`` are given.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

DEMO_SECRET_KEY = "demo-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEMO_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEMO_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django admin with the per-school admin site (school/admin_site.py).
    "school.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "simple_history",
    "import_export",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "accounts",
    "accounts.esia",
    "school",
    "journal",
    "diary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "eschool.middleware.RejectNullCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "eschool.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eschool.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "eschool.wsgi.application"

# Database. Without DATABASE_URL a development run uses the embedded server
# (eschool/embedded_db.py), which `make run` and `make test` start and stop.
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
elif DEBUG:
    from eschool import embedded_db

    DATABASES = {"default": env.db_url_config(embedded_db.start())}
else:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off.")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The e-mail address is the username of the superuser only; ESIA users are
# found by their ESIA identity, and e-mail uniqueness is a partial constraint.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "home"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@eschool.local")

# django-allauth: accounts are created only through ESIA. The first sign-in
# shows a form that asks for an e-mail address.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
# The password field only keeps allauth's login form a password form (for the
# superuser). Without it the form mails one-time login codes to anybody. The
# ESIA sign-up form asks for the e-mail address alone.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Электронная школа: "
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_FORMS = {"signup": "accounts.forms.EsiaSignupForm"}

# ESIA (Госуслуги). The defaults point at the local emulator that `make run`
# starts; a real deployment sets every ESIA_* variable.
ESIA_BASE_URL = env.str("ESIA_BASE_URL", default="http://127.0.0.1:8001")
ESIA_CLIENT_ID = env.str("ESIA_CLIENT_ID", default="ESCHOOL")
ESIA_SCOPES = env.list(
    "ESIA_SCOPES",
    default=[
        "openid",
        "fullname",
        "birthdate",
        "snils",
        "email",
        "contacts",
        "kid_fullname",
        "kid_birthdate",
        "kid_snils",
    ],
)
ESIA_ISSUER = env.str("ESIA_ISSUER", default="http://esia.gosuslugi.ru/")
ESIA_PUBLIC_KEY_FILES = env.list(
    "ESIA_PUBLIC_KEY_FILES", default=[str(VAR_DIR / "esia" / "esia_public.pem")]
)
ESIA_PORTAL_KEY_FILE = env.str(
    "ESIA_PORTAL_KEY_FILE", default=str(VAR_DIR / "esia" / "portal_key.pem")
)
ESIA_PORTAL_CERT_FILE = env.str(
    "ESIA_PORTAL_CERT_FILE", default=str(VAR_DIR / "esia" / "portal_cert.pem")
)
ESIA_LEEWAY_SECONDS = env.int("ESIA_LEEWAY_SECONDS", default=60)
ESIA_TIMEOUT_SECONDS = env.float("ESIA_TIMEOUT_SECONDS", default=10.0)
# The class that signs client_secret; see accounts/esia/signers.py.
ESIA_SIGNER = env.str("ESIA_SIGNER", default="accounts.esia.signers.GostSigner")
# For accounts.esia.signers.CommandSigner: the signing program and its
# arguments, comma-separated, and how long one signature may take.
ESIA_SIGNER_COMMAND = env.list("ESIA_SIGNER_COMMAND", default=[])
ESIA_SIGNER_TIMEOUT_SECONDS = env.float("ESIA_SIGNER_TIMEOUT_SECONDS", default=5.0)
# The "esia" provider is configured here, so no SocialApp row is needed.
SOCIALACCOUNT_PROVIDERS = {
    "esia": {
        "APP": {"client_id": ESIA_CLIENT_ID, "secret": "", "key": ""},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
