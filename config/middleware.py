from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone


class ClinicTimezoneMiddleware:
    """Render every page in the clinic's time zone; storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)

    def __call__(self, request):
        with timezone.override(self.zone):
            return self.get_response(request)
