"""Settings of the e-school portal.

The environment is read once, here, through django-environ. With nothing set
the portal runs as the local demo: DEBUG on, the embedded PostgreSQL and the
ESIA emulator on 127.0.0.1:8001. With ``DEBUG=off`` it refuses to start unless
``SECRET_KEY`` and ``DATABASE_URL`` are given.
"""

from pathlib import Path
from typing import Any

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
    "csp",
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
    # WhiteNoise serves static files straight after the HTTPS checks.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
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
    # Last, so that it can tell whether a view was reached. It removes
    # itself when no read replica is configured.
    "eschool.db_router.ReplicaPinMiddleware",
]

ROOT_URLCONF = "eschool.urls"

TEMPLATES: list[dict[str, Any]] = [
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
                "eschool.context_processors.low_vision",
            ],
        },
    },
]

if not DEBUG:
    # Production parses each template once per worker. The development server
    # keeps Django's default loaders, which reload changed templates.
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        ),
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

# A streaming read replica, switched on by DATABASE_REPLICA_URL. The router
# (eschool/db_router.py) sends the diary, journal and school reads of GET and
# HEAD requests there and everything else to the primary. A browser that has
# just written reads from the primary for DATABASE_REPLICA_PIN_SECONDS.
if "DATABASE_REPLICA_URL" in env:
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests run against the primary's test database under both aliases.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["eschool.db_router.PrimaryReplicaRouter"]
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=5)
# While the replica cannot be reached, reads go to the primary and the
# replica is tried again after this many seconds.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions. REDIS_URL moves the cache to Redis and sessions to the
# cached_db engine, which reads a session from Redis and writes it to Redis
# and PostgreSQL, so a Redis outage or flush signs no user out. Redis errors
# are logged and treated as cache misses (IGNORE_EXCEPTIONS), and the short
# socket timeouts keep a hung Redis from holding up a page for long.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env.float(
                    "REDIS_CONNECT_TIMEOUT_SECONDS", default=0.25
                ),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT_SECONDS", default=0.5),
                "IGNORE_EXCEPTIONS": True,
            },
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "eschool.cache"
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Each process keeps its own cache, which app servers do not share.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

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
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Production serves the files that `manage.py collectstatic` gathered, under
# hashed names and pre-compressed (gzip, and Brotli where installed). Tests and
# the development server read them from STATICFILES_DIRS without collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# In development WhiteNoise reads STATICFILES_DIRS on each request. pytest-django
# turns settings.DEBUG off, so these follow the environment's DEBUG instead.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# The admin site's URL prefix; a non-default one keeps password guessers off it.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/"):
    raise ImproperlyConfigured(
        f"ADMIN_URL must be a relative path ending in '/', got {ADMIN_URL!r}."
    )

# HTTPS. In production TLS ends at nginx, which passes X-Forwarded-Proto;
# docs/deployment.md has the site configuration.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer may probe the health endpoints over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^diary/health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
# The journal grid sends the token from the page (hx-headers), never from the
# cookie, so scripts need no access to it.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
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

# Content Security Policy (django-csp): scripts, styles and images only from
# the portal itself, no inline code, no framing. Production enforces it. The
# development server and the tests only report it (Report-Only), because the
# browser tests inject axe-core. Violations still show in the console.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    # The sign-in form posts to the portal, which redirects to ESIA, and
    # browsers apply form-action to that redirect too.
    "form-action": ["'self'", ESIA_BASE_URL],
    "frame-ancestors": ["'none'"],
}
if DEBUG:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "redact_url_secrets": {"()": "eschool.log_redaction.RedactUrlSecrets"},
        "throttle_repeats": {
            "()": "eschool.log_throttle.ThrottleRepeats",
            "interval_seconds": 60,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_url_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Cache errors that django-redis ignored: several per request while
        # Redis is down, so one a minute is logged with a count of the rest.
        "eschool.cache": {"filters": ["throttle_repeats"]},
    },
}
