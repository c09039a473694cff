"""The suite sees the same settings whatever the caller's environment holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a developer's shell, a .env file or a production-like CI might export.
HOSTILE = {
    "DJANGO_DEBUG": "true",
    "DJANGO_SECRET_KEY": "short",
    "DJANGO_ALLOWED_HOSTS": "example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://example.org",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_HSTS_SECONDS": "0",
    "SESSION_IDLE_SECONDS": "5",
    "AXES_FAILURE_LIMIT": "1",
    "AXES_ENABLED": "false",
    "CLINIC_TIME_ZONE": "Pacific/Kiritimati",
    "CLINIC_NAME": "Elsewhere",
    "LAB_WINDOW_DAYS": "1",
    "LOG_LEVEL": "DEBUG",
    "DATABASE_CONN_MAX_AGE": "600",
}
NAMES = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_AGE",
    "AXES_FAILURE_LIMIT",
    "AXES_ENABLED",
    "TIME_ZONE",
    "CLINIC_TIME_ZONE",
    "CLINIC_NAME",
    "LAB_WINDOW_DAYS",
    "CRISPY_FAIL_SILENTLY",
    "STORAGES",
]
SCRIPT = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "from django.db import connection as c;"
    f"values = {{name: getattr(s, name) for name in {NAMES!r}}};"
    "values['CONN_MAX_AGE'] = c.settings_dict['CONN_MAX_AGE'];"
    "values['LOG_LEVEL'] = s.LOGGING['root']['level'];"
    "print(json.dumps(values))"
)


def settings_seen(environment: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in HOSTILE} | environment
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "config.test_settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_hostile_environment_changes_no_setting_the_suite_sees():
    calm = settings_seen({})
    hostile = settings_seen(HOSTILE)

    assert hostile == calm
    assert {
        name: calm[name] for name in ("DEBUG", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT")
    } == {
        "DEBUG": False,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": False,
    }
    assert (calm["TIME_ZONE"], calm["AXES_FAILURE_LIMIT"], calm["SESSION_COOKIE_AGE"]) == (
        "America/New_York",
        5,
        900,
    )
