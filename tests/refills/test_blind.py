"""The blind double check: until a second clinician verified a draft, its pump values are on
no page, admin page or audit trail for anyone but the nurse who entered them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from refills import services
from refills.models import Encounter, VerificationAttempt
from tests.factories import encounter_data, verify_post

# The first entry, each value distinct from the order's (2400 mg, 48 mL, 2 mL/h, 96 mL) so
# that the order shown beside it cannot be mistaken for it. Within every tolerance.
ENTRY = {
    "drug_dose_mg": Decimal("2410.00"),
    "drug_volume_ml": Decimal("48.20"),
    "rate_ml_h": Decimal("2.01"),
    "pump_volume_ml": Decimal("96.50"),
}
SHOWN = ["2410.00", "48.20", "2.01", "96.50"]


def typed(rate_ml_h: Decimal) -> dict[str, Decimal]:
    """What the verifier types: the label's concentration, the first entry's volume and a
    rate (the first entry's matches)."""
    return {
        "rate_ml_h": rate_ml_h,
        "pump_volume_ml": ENTRY["pump_volume_ml"],
        "drug_concentration_mg_ml": Decimal("50.000"),
    }


def shows_entry(response) -> list[str]:
    html = response.content.decode()
    return [value for value in SHOWN if value in html]


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data(**ENTRY))


def pages(draft) -> list[str]:
    return [
        reverse("refills:encounter_detail", args=[draft.pk]),
        reverse("refills:encounter_verify", args=[draft.pk]),
        reverse("refills:teaching_sheet", args=[draft.pk]),
        reverse("refills:patient_detail", args=[draft.patient_id]),
        reverse("refills:worklist"),
    ]


def test_the_nurse_who_entered_them_sees_the_values(client, nurse, draft):
    client.force_login(nurse)

    response = client.get(reverse("refills:encounter_detail", args=[draft.pk]))

    assert shows_entry(response) == SHOWN
    assert "hidden until verified" not in response.content.decode()


@pytest.mark.parametrize("persona", ["nurse2", "provider"])
def test_a_verifier_sees_no_pump_value_on_any_page(client, request, draft, persona):
    client.force_login(request.getfixturevalue(persona))

    for url in pages(draft):
        response = client.get(url)
        assert response.status_code == 200, url
        assert shows_entry(response) == [], url
    detail = client.get(reverse("refills:encounter_detail", args=[draft.pk])).content.decode()
    assert detail.count("hidden until verified") == 2
    # Editing another nurse's draft (where the form would show them) does not exist for them.
    edit = client.get(reverse("refills:encounter_edit", args=[draft.pk]))
    assert edit.status_code == (404 if persona == "nurse2" else 403)


@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_admin_pages_and_audit_trails_hide_them(client, request, draft, nurse, persona):
    # A changed value is in the history twice (old and new): both stay hidden.
    services.encounter_update(
        by=nurse, encounter=draft, data=encounter_data(**{**ENTRY, "drug_lot": "NEWLOT"})
    )
    client.force_login(request.getfixturevalue(persona))
    urls = [
        reverse("admin:refills_encounter_change", args=[draft.pk]),
        reverse("admin:refills_encounter_history", args=[draft.pk]),
        reverse("admin:refills_encounter_changelist"),
        reverse("refills:encounter_audit", args=[draft.pk]),
        reverse("refills:patient_audit", args=[draft.patient_id]),
    ]
    history_id = Encounter.history.filter(id=draft.pk).earliest("history_date").history_id
    urls.append(reverse("admin:refills_encounter_simple_history", args=[draft.pk, history_id]))

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert shows_entry(response) == [], url
    audit = client.get(reverse("refills:encounter_audit", args=[draft.pk])).content.decode()
    assert "hidden until verified" in audit
    assert "NEWLOT" in audit  # the rest of the record is there


def test_the_audit_of_a_mismatch_hides_what_the_verifier_typed_and_which_field(
    client, draft, nurse2, admin_user
):
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=typed(Decimal("2.77")))
    client.force_login(admin_user)

    audit = client.get(reverse("refills:encounter_audit", args=[draft.pk])).content.decode()

    assert "2.77" not in audit
    assert "rate_ml_h" not in audit


def test_once_verified_everyone_with_access_sees_them(client, draft, nurse2, provider):
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=typed(ENTRY["rate_ml_h"]))
    client.force_login(provider)

    response = client.get(reverse("refills:encounter_detail", args=[draft.pk]))

    assert shows_entry(response) == SHOWN


def test_a_mismatch_names_no_field_and_no_value(client, draft, nurse2):
    client.force_login(nurse2)
    url = reverse("refills:encounter_verify", args=[draft.pk])

    response = client.post(
        url,
        verify_post(rate_ml_h="2.5", pump_volume_ml="96.5"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The entries do not match." in html
    assert response.context["form"].errors == {}
    assert not response.context["form"].is_bound  # the typed values are not shown back
    for leak in ("Rate programmed on the pump (mL/h)</a>", "2.01", "2.5", "Does not match the"):
        assert leak not in html
    attempt = VerificationAttempt.objects.get()
    assert (attempt.verifier, attempt.mismatched_fields) == (nurse2, ["rate_ml_h"])


def test_the_verify_button_is_there_for_the_workstation_but_not_after_two_mismatches(
    client, draft, nurse, nurse2
):
    # The second clinician may verify at the first nurse's workstation, as themselves.
    verify = reverse("refills:encounter_verify", args=[draft.pk])
    detail = reverse("refills:encounter_detail", args=[draft.pk])
    client.force_login(nurse)
    assert verify in client.get(detail).content.decode()
    for _ in range(2):
        services.encounter_verify(verifier=nurse2, encounter=draft, entered=typed(Decimal("3")))

    client.force_login(nurse2)
    assert verify not in client.get(detail).content.decode()
