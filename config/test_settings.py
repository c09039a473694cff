"""Settings for the test suite: the production settings, whatever the caller's environment.

Every variable the settings read is dropped from this process's environment before they are
read, so a developer's `DJANGO_DEBUG=true`, `CLINIC_TIME_ZONE` or `AXES_FAILURE_LIMIT` changes
nothing the tests see: debug is off and HSTS, secure cookies, lockout, idle logoff and the
clinic's zone have their production values. Then a throwaway key, plain HTTP for the test
client and the live server, and fast hashing.
"""

import os

# The families of variables config.settings reads. DATABASE_URL chooses the database the
# suite runs on and is kept.
SETTINGS_ENVIRONMENT = ("DJANGO_", "AXES_", "SESSION_", "CLINIC_", "LAB_", "LOG_", "DATABASE_")
KEPT_ENVIRONMENT = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}

for name in [name for name in os.environ if name.startswith(SETTINGS_ENVIRONMENT)]:
    if name not in KEPT_ENVIRONMENT:
        del os.environ[name]
os.environ["DJANGO_SECRET_KEY"] = "test-only-key-" + "k" * 60

from config.settings import *  # noqa: E402, F403

# The test client and the live server speak plain HTTP; test_security checks the production
# values of these in a process of their own.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: speed
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
