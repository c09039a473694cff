"""Pages and files the app makes carry patient data: the browser must not keep them."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Cache-Control: no-store on every response Django makes. Static files are served by
    WhiteNoise before this middleware, with their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
