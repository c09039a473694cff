"""The clinic's dose tolerance: one row, kept by administrators in the admin, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from refills.models import ClinicSettings


def test_without_a_row_the_tolerance_is_five_percent(db):
    assert ClinicSettings.current().dose_tolerance_percent == Decimal("5.00")


def test_an_administrator_sets_it_in_the_admin_and_it_is_on_record(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:refills_clinicsettings_add"),
        {"dose_tolerance_percent": "7.5", "after_hours_phone": "217-555-0199"},
    )

    assert response.status_code == 302
    settings = ClinicSettings.current()
    assert (settings.dose_tolerance_percent, settings.after_hours_phone) == (
        Decimal("7.50"),
        "217-555-0199",
    )
    record = settings.history.get()
    assert (record.history_user, record.history_change_reason) == (
        admin_user,
        "clinic settings changed in admin",
    )
    # One row: there is nothing more to add.
    assert client.get(reverse("admin:refills_clinicsettings_add")).status_code == 403


@pytest.mark.parametrize("value", ["0", "20.01", "-5"])
def test_the_database_refuses_a_tolerance_outside_0_to_20(db, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicSettings.objects.create(dose_tolerance_percent=Decimal(value))


def test_a_nurse_cannot_change_it(client, nurse):
    client.force_login(nurse)

    response = client.get(reverse("admin:refills_clinicsettings_add"))

    assert response.status_code == 302  # to the admin's sign-in: not staff
