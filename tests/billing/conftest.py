from __future__ import annotations

import pytest

from tests.billing.status_totals import assert_status_totals_exact
from tests.conftest import DATABASE_FIXTURES


@pytest.fixture(autouse=True)
def _status_totals_stay_exact(request):
    """After every billing test that wrote claims, by whatever path, the totals the database
    keeps by status (ClaimStatusTotal) equal a count of the claims."""
    asked = [name for name in request.fixturenames if name in DATABASE_FIXTURES]
    if not asked and request.node.get_closest_marker("django_db") is None:
        yield
        return
    if asked:
        # Set up before this fixture, so torn down (rolled back) after its check.
        request.getfixturevalue(asked[0])
    yield
    assert_status_totals_exact()
