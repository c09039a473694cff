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


def clinician(username: str, name: str, role: str, credential: str):
    first_name, last_name = name.split()
    return UserFactory(
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=role,
        credential=credential,
    )


@pytest.fixture
def nurse(db):
    return clinician("rn.alvarez", "Maria Alvarez", "Nurse", "RN")


@pytest.fixture
def nurse2(db):
    return clinician("rn.chen", "David Chen", "Nurse", "RN")


@pytest.fixture
def provider(db):
    return clinician("dr.okafor", "Ngozi Okafor", "Provider", "MD")


@pytest.fixture
def biller(db):
    return UserFactory(username="biller.jones", role="Biller")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin.kim", role="Admin", is_staff=True)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def inactive(db):
    return UserFactory(username="gone", role="Nurse", is_active=False)


@pytest.fixture
def patient(db):
    return PatientFactory(last_name="Brooks", first_name="Eleanor", mrn="MRN10001")


# A test uses the database when it is marked django_db or asks for one of these fixtures.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="leave out the tests that do not use the database (CI runs those once, on "
        "PostgreSQL, and only the database tests again on SQLite)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    kept, left_out = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_database else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_runtest_setup(item):
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, concurrent connections): set DATABASE_URL")
    if item.get_closest_marker("migration_paths") and connection.vendor != "postgresql":
        pytest.skip("runs once, on PostgreSQL (make test-postgres): the same on every database")


@pytest.fixture
def practice(db):
    return practice_settings()
