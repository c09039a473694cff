from __future__ import annotations

from django.conf import settings


def clinic(request):
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_TIME_ZONE": settings.CLINIC_TIME_ZONE,
        "IDLE_SECONDS": settings.SESSION_COOKIE_AGE,
    }
