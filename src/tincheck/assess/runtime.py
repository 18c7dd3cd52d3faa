"""Start Django for one study folder: settings, then ``django.setup()``.

Settings are built here, in code, from the study folder (there is no settings module
to edit): DEBUG is always off, there is no admin site and no superuser, passwords are
hashed with Argon2, sessions and CSRF cookies are HttpOnly and SameSite=Strict (and
Secure when the app is served over HTTPS), and every page carries a strict
Content-Security-Policy (the app has no script at all).

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged save survives a
power cut) and ``BEGIN IMMEDIATE`` transactions, so that writers queue on the database
lock (``busy_timeout``) instead of failing half-way.
"""

from __future__ import annotations

from pathlib import Path

from . import AssessError, require_extra
from .study import Study, database_url, postgres_settings

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
BUSY_TIMEOUT_S = 30
SESSION_HOURS = 8

_configured: Study | None = None


def sqlite_settings(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": BUSY_TIMEOUT_S,
            "transaction_mode": "IMMEDIATE",
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                             "PRAGMA foreign_keys=ON"),
        },
    }


def database_settings(study: Study) -> dict:
    url = database_url()
    return postgres_settings(url) if url else sqlite_settings(study.sqlite_path)


def settings_for(study: Study, *, https: bool = False,
                 allowed_hosts: tuple[str, ...] = ()) -> dict:
    """The Django settings of ``study`` (``https``: users reach the app over TLS)."""
    hosts = list(dict.fromkeys(("127.0.0.1", "localhost", "[::1]", *allowed_hosts)))
    return dict(
        DEBUG=False,
        SECRET_KEY=study.secret_key(),
        ALLOWED_HOSTS=hosts,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                        "django.contrib.sessions", "tincheck.assess.apps.AssessConfig"],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "tincheck.assess.roles.DefaultDenyMiddleware",
            "tincheck.assess.roles.HeadersMiddleware",
        ],
        ROOT_URLCONF="tincheck.assess.urls",
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [], "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.csrf",
                "tincheck.assess.roles.who_context"],
                "string_if_invalid": ""},
        }],
        DATABASES={"default": database_settings(study)},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        AUTH_USER_MODEL="assess.User",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"],
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation."
                     "UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
             "OPTIONS": {"min_length": 12}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        LOGIN_URL="/login/",
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        SESSION_COOKIE_AGE=SESSION_HOURS * 3600,
        SESSION_EXPIRE_AT_BROWSER_CLOSE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="tincheck_assess_session",
        CSRF_COOKIE_HTTPONLY=True,
        CSRF_COOKIE_SAMESITE="Strict",
        CSRF_COOKIE_SECURE=https,
        CSRF_FAILURE_VIEW="tincheck.assess.views.csrf_failure",
        SECURE_CONTENT_TYPE_NOSNIFF=True,
        SECURE_REFERRER_POLICY="same-origin",
        SECURE_CROSS_ORIGIN_OPENER_POLICY="same-origin",
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https") if https else None,
        SECURE_SSL_REDIRECT=https,
        SECURE_HSTS_SECONDS=31_536_000 if https else 0,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=https,
        SECURE_HSTS_PRELOAD=False,
        X_FRAME_OPTIONS="DENY",
        STATIC_URL="/static/",
        USE_TZ=True,
        TIME_ZONE="Europe/London",
        LANGUAGE_CODE="en-gb",
        USE_I18N=False,
        DATA_UPLOAD_MAX_NUMBER_FIELDS=400,
        DATA_UPLOAD_MAX_MEMORY_SIZE=256 * 1024,
        LOGGING={
            "version": 1, "disable_existing_loggers": False,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            # server errors are logged to stderr (never mailed, never shown to users)
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR",
                                           "propagate": False},
                        "django.security": {"handlers": ["stderr"], "level": "WARNING",
                                            "propagate": False}},
        },
        TINCHECK_STUDY=study,
        TINCHECK_HTTPS=https,
    )


def configure(study: Study, *, https: bool = False,
              allowed_hosts: tuple[str, ...] = ()) -> None:
    """Configure and start Django for ``study`` (once per process)."""
    global _configured
    require_extra()
    import django
    from django.conf import settings

    if _configured is not None:
        if _configured.folder != study.folder:
            raise AssessError("a process serves one study at a time")
        return
    settings.configure(**settings_for(study, https=https, allowed_hosts=allowed_hosts))
    django.setup()
    _configured = study


def migrate(verbosity: int = 0) -> None:
    """Apply the app's migrations (creating tables and the append-only triggers)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def check_database() -> None:
    """Fail with a clear message when the database cannot be reached or is not migrated."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise AssessError(f"cannot open the study database ({str(exc).strip()})") from None
    if pending:
        raise AssessError("the study database was made by another version of tincheck "
                          "(its tables are not up to date); this version cannot open it "
                          "yet: keep using the version that made it")
