"""What the tests of the admin's forms check alike."""

from __future__ import annotations

from django.http import HttpResponse


def assert_refused_in_words(response: HttpResponse, message: str, constraint: str) -> None:
    """The admin form came back with the constraint's message in words, and never its name."""
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert constraint not in content
