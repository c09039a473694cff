from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import settings

from tests.factories import PatientFactory, UserFactory, practice_settings

# Property tests through the database (hostile input to every form) run their full count
# once, on PostgreSQL, the production database; the SQLite run checks the same properties on
# a tenth as many examples. Property tests of pure code set their own count.
settings.register_profile("postgresql", max_examples=500)
settings.register_profile("sqlite", max_examples=50)
settings.load_profile(connection.vendor)


@pytest.fixture
def nurse(db):
    return UserFactory(
        username="rn.alvarez",
        first_name="Maria",
        last_name="Alvarez",
        role="Nurse",
        credential="RN",
    )


@pytest.fixture
def nurse2(db):
    return UserFactory(
        username="rn.chen", first_name="David", last_name="Chen", role="Nurse", credential="RN"
    )


@pytest.fixture
def provider(db):
    return UserFactory(
        username="dr.okafor",
        first_name="Ngozi",
        last_name="Okafor",
        role="Provider",
        credential="MD",
    )


@pytest.fixture
def biller(db):
    return UserFactory(username="biller.jones", role="Biller")


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin.kim", role="Admin")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def inactive(db):
    user = UserFactory(username="gone", role="Nurse")
    user.is_active = False
    user.save()
    return user


@pytest.fixture
def patient(db):
    return PatientFactory(last_name="Brooks", first_name="Eleanor", mrn="MRN10001")


def pytest_runtest_setup(item):
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, concurrent connections): set DATABASE_URL")


@pytest.fixture
def practice(db):
    return practice_settings()
