"""The drug catalogue: HCPCS code, billing unit, per-unit charge and the NDCs stocked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing import x12
from billing.engine import facts as engine_facts
from billing.links import stocked_ndcs
from billing.models import DrugCatalogueItem, NdcUnit, StockedNDC
from refills import ndc

pytestmark = pytest.mark.django_db


def catalogue_post(**overrides) -> dict:
    data = {
        "name": "fluorouracil",
        "hcpcs": "J9190",
        "billing_unit_mg": "500",
        "charge_per_unit": "12.40",
        "effective_from": "2026-01-01",
        "effective_to": "",
        "ndcs-TOTAL_FORMS": "1",
        "ndcs-INITIAL_FORMS": "0",
        "ndcs-MIN_NUM_FORMS": "0",
        "ndcs-MAX_NUM_FORMS": "1000",
        "ndcs-0-ndc": "63323-117-51",
        "ndcs-0-description": "2.5 g/50 mL single-dose vial",
        "ndcs-0-package_unit": "ML",
        "ndcs-0-mg_per_package_unit": "50",
        "ndcs-0-container": "single_dose",
    }
    data.update(overrides)
    return data


def test_an_admin_adds_a_drug_with_a_stocked_ndc_typed_as_on_the_label(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:billing_drugcatalogueitem_add"), catalogue_post())

    assert response.status_code == 302, response.context["errors"]
    item = DrugCatalogueItem.objects.get()
    assert (item.name, item.hcpcs, item.billing_unit_mg, item.charge_per_unit) == (
        "fluorouracil",
        "J9190",
        Decimal("500.000"),
        Decimal("12.40"),
    )
    stocked = StockedNDC.objects.get()
    assert (stocked.ndc, stocked.package_unit, stocked.mg_per_package_unit, stocked.container) == (
        "63323011751",
        "ML",
        Decimal("50.000"),
        "single_dose",
    )
    assert item.history.get().history_change_reason.startswith("admin add:")


def test_the_admin_refuses_ten_digits_without_hyphens_next_to_the_field(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:billing_drugcatalogueitem_add"),
        catalogue_post(**{"ndcs-0-ndc": "6332311751"}),
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["ndc"] == [
        "Ten digits without hyphens can be read three ways: type the NDC with its hyphens as "
        "printed on the label (for example 63323-117-10)."
    ]
    assert not DrugCatalogueItem.objects.exists()


def test_the_admin_refuses_a_code_that_is_not_hcpcs(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:billing_drugcatalogueitem_add"), catalogue_post(hcpcs="96521x")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["hcpcs"]
    assert not DrugCatalogueItem.objects.exists()


def test_a_biller_cannot_change_the_catalogue(client, biller):
    client.force_login(biller)  # not staff: the admin sends them to its sign-in page

    response = client.post(reverse("admin:billing_drugcatalogueitem_add"), catalogue_post())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not DrugCatalogueItem.objects.exists()


def make_item(start: dt.date, end: dt.date | None = None, **fields) -> DrugCatalogueItem:
    values = {
        "name": "fluorouracil",
        "hcpcs": "J9190",
        "billing_unit_mg": Decimal("500"),
        "charge_per_unit": Decimal("12.40"),
    }
    values.update(fields)
    return DrugCatalogueItem.objects.create(effective_from=start, effective_to=end, **values)


def test_stocked_ndcs_are_those_of_items_in_force_on_the_day():
    old = make_item(dt.date(2025, 1, 1), dt.date(2025, 12, 31), charge_per_unit=Decimal("11.00"))
    new = make_item(dt.date(2026, 1, 1))
    for item, code in [(old, "63323011710"), (new, "63323011751")]:
        StockedNDC.objects.create(
            item=item, ndc=code, package_unit="ML", mg_per_package_unit=50, container="single_dose"
        )

    assert stocked_ndcs(dt.date(2025, 12, 31)) == {"63323011710"}
    assert stocked_ndcs(dt.date(2026, 1, 1)) == {"63323011751"}
    assert stocked_ndcs() == {"63323011710", "63323011751"}
    # The nurse's form settles a scanned (unhyphenated) NDC with the stock billing registered.
    assert ndc.stocked() == {"63323011710", "63323011751"}


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"hcpcs": "j9190"}, "drugitem_hcpcs_format"),
        ({"billing_unit_mg": Decimal("0")}, "drugitem_billing_unit_gt_0"),
        ({"charge_per_unit": Decimal("-1")}, "drugitem_charge_gte_0"),
    ],
)
def test_the_database_refuses_an_invalid_catalogue_item(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make_item(dt.date(2026, 1, 1), **fields)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"ndc": "6332311710"}, "stockedndc_11"),
        ({"package_unit": "XX"}, "stockedndc_unit_valid"),
        ({"container": "vial"}, "stockedndc_container_valid"),
        ({"mg_per_package_unit": Decimal("0")}, "stockedndc_mg_per_unit_gt_0"),
    ],
)
def test_the_database_refuses_an_invalid_stocked_ndc(fields, constraint):
    item = make_item(dt.date(2026, 1, 1))
    values = {
        "ndc": "63323011710",
        "package_unit": "ML",
        "mg_per_package_unit": Decimal("50"),
        "container": "single_dose",
    }
    values.update(fields)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        StockedNDC.objects.create(item=item, **values)


def test_the_models_the_engine_and_the_837p_know_the_same_ndc_units():
    """The engine and the 837P writer are pure and do not import the models: their lists of
    NDC units are the models' one list."""
    assert set(engine_facts.NDC_UNITS) == set(x12.NDC_UNITS) == set(NdcUnit.values)
