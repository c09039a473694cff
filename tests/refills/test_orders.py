"""Orders: the database keeps one active order per patient and only sane values; roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from refills.models import Order
from tests.factories import PatientFactory, make_order


@pytest.fixture
def bare_patient(db):
    return PatientFactory(order=False)


def test_the_factory_order_is_computed_by_mosteller(bare_patient, provider):
    order = make_order(bare_patient, by=provider)

    stored = Order.objects.get(pk=order.pk)
    assert (stored.bsa_m2, stored.calculated_dose_mg, stored.dose_mg) == (
        Decimal("1.84"),
        Decimal("2392.00"),
        Decimal("2400.00"),
    )
    assert stored.history.get().history_change_reason == "order signed"


def test_one_active_order_per_patient(bare_patient, provider):
    make_order(bare_patient, by=provider)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(bare_patient, by=provider)
    make_order(
        bare_patient,
        by=provider,
        status="discontinued",
        discontinued_by=provider,
        discontinued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert Order.objects.filter(patient=bare_patient).count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"dose_mg": Decimal("0")},
        {"rate_ml_h": Decimal("-1")},
        {"infusion_hours": Decimal("0")},
        {"cycles": 0},
        {"dosing_weight_kg": Decimal("401")},
        {"dosing_height_cm": Decimal("29.9")},
        {"valid_from": dt.date(2026, 3, 2), "valid_to": dt.date(2026, 3, 1)},
        {"creatinine_max": Decimal("0")},
        {"status": "discontinued"},
    ],
    ids=str,
)
def test_the_database_refuses_impossible_orders(bare_patient, provider, overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(bare_patient, by=provider, **overrides)
    assert not Order.objects.exists()


def test_in_force_on(bare_patient, provider):
    order = make_order(
        bare_patient, by=provider, valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 3, 31)
    )

    assert [
        list(Order.objects.in_force_on(day))
        for day in (
            dt.date(2026, 2, 28),
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 31),
            dt.date(2026, 4, 1),
        )
    ] == [[], [order], [order], []]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "codenames"),
    [
        ("Nurse", {"view_order", "view_provideroverride"}),
        (
            "Provider",
            {
                "view_order",
                "add_order",
                "change_order",
                "override_encounter",
                "view_provideroverride",
            },
        ),
        ("Biller", {"view_order"}),
        (
            "Admin",
            {"view_order", "view_clinicsettings", "add_clinicsettings", "change_clinicsettings"},
        ),
    ],
)
def test_roles(role, codenames):
    granted = set(
        Group.objects.get(name=role)
        .permissions.filter(codename__regex=r"order|override|clinicsettings")
        .values_list("codename", flat=True)
    )
    assert granted == codenames
