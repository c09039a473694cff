"""The app's `refill-facts/2`: who rendered each line, the drug, whether the patient is
established; and the claims decided from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.facts import established_since, facts_for_encounter, is_established
from billing.models import ChargeMasterItem, Claim, Coverage, DrugCatalogueItem
from billing.services.deciding import encounters_for_facts
from refills import services
from refills.models import Encounter, ProviderVisit
from tests.billing.facts_example import BASE_V2, NP_VISIT, PRACTITIONERS, changed
from tests.factories import (
    BLIND_OK,
    UserFactory,
    billing_reference,
    cover,
    drug_catalogue,
    encounter_data,
    live_claim,
    provider_visit,
    replace_order,
    signed_refill,
)

DAY = dt.date(2026, 3, 4)


@pytest.mark.parametrize(
    ("documented", "established"),
    [
        (dt.date(2023, 3, 4), True),  # the same date three years earlier counts
        (dt.date(2023, 3, 3), False),  # a day more than three years
        (dt.date(2026, 3, 3), True),
        (DAY, False),  # the date of service itself is not "before"
        (dt.date(2026, 3, 5), False),
    ],
)
def test_established_is_the_three_years_before_the_date_of_service(documented, established):
    assert is_established(DAY, [documented]) is established


def test_three_years_before_29_february_starts_on_28_february():
    assert established_since(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)
    assert is_established(dt.date(2028, 2, 29), [dt.date(2025, 2, 28)]) is True
    assert is_established(dt.date(2028, 2, 29), [dt.date(2025, 2, 27)]) is False


def test_nothing_documented_is_a_new_patient():
    assert is_established(DAY, []) is False


@pytest.fixture
def np_patel(db):
    user = UserFactory(
        username="np.patel",
        first_name="Priya",
        last_name="Patel",
        role="Provider",
        credential="NP",
    )
    user.clinician.npi = "1245319599"
    user.clinician.save()
    return user


@pytest.fixture
def okafor(provider):
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    return provider


def visit(by, patient, day, code="99214") -> ProviderVisit:
    return provider_visit(by, patient, day, code, note="Nausea since the last cycle, evaluated.")


def sign(patient, nurse, nurse2, **overrides) -> Encounter:
    return signed_refill(patient, nurse, nurse2, day=DAY, **overrides)


def sign_vial(patient, nurse, nurse2, okafor, **overrides) -> Encounter:
    """A refill under Dr Okafor from the practice's own 2.5 g vial (NDC 63323-0117-51)."""
    return sign(
        patient,
        nurse,
        nurse2,
        supervising_practitioner=okafor,
        drug_ndc="63323011751",
        drug_supplied_by_practice=True,
        **overrides,
    )


def lines(claim: Claim) -> list[tuple]:
    return [
        (line.code, line.modifiers, line.units, line.charge)
        for line in claim.lines.order_by("position")
    ]


def test_the_facts_of_a_real_encounter(nurse, nurse2, okafor, np_patel, patient):
    cover(patient, billing_reference())
    drug_catalogue()
    visit(okafor, patient, dt.date(2024, 6, 1))  # the patient is established
    visit(np_patel, patient, DAY)
    encounter = sign_vial(
        patient,
        nurse,
        nurse2,
        okafor,
        drug_discarded_mg=Decimal("100"),
    )

    claim = live_claim(encounter)

    # The engine tests' `refill-facts/2` example describes this refill; the app's facts differ
    # where this encounter does (the vial and its lot's expiry, the discard, the infusion
    # start, the NP's visit), in the lab window they add, and in the test charge master and
    # practitioners.
    assert claim.facts == changed(
        BASE_V2,
        {
            "drug.expires_on": "2026-09-20",
            "drug.discarded_mg": 100,
            "drug.ndc": "63323011751",
            "documentation.infusion_started_at": "2026-03-04T00:05:00-05:00",
            "same_day_services": [NP_VISIT],
            "charges": {
                "96521": "175.00",
                "96522": "160.00",
                "96523": "45.00",
                "99211": "30.00",
                "99213": "120.00",
                "J9190": "12.40",
            },
            "lab_window_days": 7,
            "practitioners": {name: PRACTITIONERS[name] for name in ("dr.okafor", "np.patel")},
        },
    )
    # Decided with /2 and stored as decided: the refill and drug under the supervising
    # physician, the NP's E/M under the NP; no charge for 99214 in this charge master.
    assert claim.decision["schema"] == "refill-decision/2"
    assert claim.decision["supervising"] == "dr.okafor"
    assert [(d["code"], d["modifiers"], d["rendering"]) for d in claim.decision["lines"]] == [
        ("96521", [], "dr.okafor"),
        ("J9190", ["JZ"], "dr.okafor"),
        ("99214", ["25"], "np.patel"),
    ]
    assert lines(claim) == [
        ("96521", [], 1, Decimal("175.00")),
        ("J9190", ["JZ"], 5, Decimal("62.00")),
        ("99214", ["25"], 1, None),
    ]
    # Each line names the practitioner it is billed under, for 2310B/2420A and 24J.
    assert list(claim.lines.values_list("rendering_npi", flat=True)) == [
        "1234567893",
        "1234567893",
        "1245319599",
    ]
    # The 837P writer cannot carry a line without a charge: held, saying what to do.
    assert claim.status == "hold"
    assert claim.hold_reason == (
        "Line 3 (99214) has no charge, and it cannot go on an 837P: add the code's charge "
        "to the charge master, then re-decide the claim."
    )


def test_a_discard_beyond_the_rounding_is_billed_on_a_jw_line(nurse, nurse2, okafor, patient):
    cover(patient, billing_reference())
    drug_catalogue()
    replace_order(
        patient, dose_basis="flat", dose_per_basis=Decimal("2000"), dose_mg=Decimal("2000")
    )
    encounter = sign_vial(
        patient,
        nurse,
        nurse2,
        okafor,
        drug_dose_mg=Decimal("2000"),
        drug_volume_ml=Decimal("40.00"),
        drug_discarded_mg=Decimal("500"),
    )

    claim = live_claim(encounter)

    assert lines(claim) == [
        ("96521", [], 1, Decimal("175.00")),
        ("J9190", [], 4, Decimal("49.60")),
        ("J9190", ["JW"], 1, Decimal("12.40")),
    ]
    assert claim.decision["lines"][2]["ndc_quantity"] == 10
    assert claim.status == "ready"


def test_a_drug_the_patient_brought_is_not_billed(nurse, nurse2, okafor, patient):
    cover(patient, billing_reference())
    drug_catalogue()
    encounter = sign(
        patient, nurse, nurse2, supervising_practitioner=okafor, drug_ndc="63323011751"
    )

    claim = live_claim(encounter)

    assert claim.facts["drug"]["supplied_by_practice"] is False
    assert lines(claim) == [("96521", [], 1, Decimal("175.00"))]
    assert ("R64", "info") in set(claim.findings.values_list("rule", "severity"))


def test_without_an_ndc_the_drug_is_found_by_name_and_the_claim_held_for_the_ndc(
    nurse, nurse2, okafor, patient
):
    cover(patient, billing_reference())
    drug_catalogue()
    encounter = sign(
        patient,
        nurse,
        nurse2,
        supervising_practitioner=okafor,
        drug_supplied_by_practice=True,
        drug_name=" Fluorouracil ",
    )

    claim = live_claim(encounter)

    drug = claim.facts["drug"]
    assert (drug["hcpcs"], drug["hcpcs_unit_mg"], "ndc" in drug, "container" in drug) == (
        "J9190",
        500,
        False,
        False,
    )
    assert claim.status == "hold"
    assert {"R61", "R62"} <= set(
        claim.findings.filter(severity="hold").values_list("rule", flat=True)
    )


def test_a_drug_missing_from_the_catalogue_holds_the_claim(nurse, nurse2, okafor, patient):
    cover(patient, billing_reference())
    encounter = sign(
        patient, nurse, nurse2, supervising_practitioner=okafor, drug_supplied_by_practice=True
    )

    claim = live_claim(encounter)

    assert "hcpcs" not in claim.facts["drug"]
    assert claim.status == "hold"
    assert list(claim.findings.filter(severity="hold").values_list("rule", flat=True)) == ["R63"]


def test_the_catalogue_in_force_on_the_date_of_service_prices_the_drug(
    nurse, nurse2, okafor, patient
):
    cover(patient, billing_reference())
    old = drug_catalogue()
    old.effective_to = dt.date(2026, 3, 3)
    old.save()
    new = DrugCatalogueItem.objects.create(
        name="fluorouracil",
        hcpcs="J9190",
        billing_unit_mg=Decimal("500"),
        charge_per_unit=Decimal("13.00"),
        effective_from=DAY,
    )
    new.ndcs.create(
        ndc="63323011751", package_unit="ML", mg_per_package_unit=50, container="single_dose"
    )
    encounter = sign_vial(patient, nurse, nurse2, okafor)

    assert live_claim(encounter).facts["charges"]["J9190"] == "13.00"
    assert lines(live_claim(encounter))[1] == ("J9190", ["JZ"], 5, Decimal("65.00"))


def test_an_ndc_written_with_hyphens_before_ndcs_were_checked_is_read(
    nurse, nurse2, okafor, patient
):
    cover(patient, billing_reference())
    drug_catalogue()
    encounter = services.encounter_create(
        by=nurse,
        patient=patient,
        data=encounter_data(day=DAY, supervising_practitioner=okafor),
    )
    # As an older version of the form stored it (the model check is newer).
    Encounter.objects.filter(pk=encounter.pk).update(
        drug_ndc="63323-117-51", drug_supplied_by_practice=None
    )
    services.encounter_verify(verifier=nurse2, encounter=encounter, entered=BLIND_OK)
    claim = live_claim(services.encounter_sign(by=nurse, encounter=encounter))

    assert claim.facts["drug"]["ndc"] == "63323011751"
    assert "supplied_by_practice" not in claim.facts["drug"]
    assert lines(claim) == [("96521", [], 1, Decimal("175.00"))]


def test_a_provider_without_an_npi_holds_the_claim(nurse, nurse2, provider, patient):
    cover(patient, billing_reference(program="commercial", code="AETNA"))
    provider.clinician.npi = ""
    provider.clinician.save()

    encounter = sign(patient, nurse, nurse2, supervising_practitioner=provider)

    claim = live_claim(encounter)
    assert claim.facts["practitioners"] == {"dr.okafor": {"npi": None, "role": "physician"}}
    assert claim.status == "hold"
    assert claim.decision["supervising"] is None
    assert list(claim.findings.filter(severity="hold").values_list("rule", flat=True)) == ["R42"]


def test_a_new_patient_code_for_an_established_patient_is_held(
    nurse, nurse2, okafor, np_patel, patient
):
    cover(patient, billing_reference())
    earlier = DAY - dt.timedelta(days=400)
    visit(okafor, patient, earlier, "99213")
    visit(np_patel, patient, DAY, "99204")

    claim = live_claim(sign(patient, nurse, nurse2, supervising_practitioner=okafor))

    assert claim.facts["patient"] == {"established": True}
    assert claim.status == "hold"
    assert ("R27", "hold", "99204") in set(claim.findings.values_list("rule", "severity", "code"))


def test_a_new_patient_code_for_a_new_patient_is_billed(nurse, nurse2, okafor, np_patel, patient):
    cover(patient, billing_reference())
    # More than three years ago: the patient is new again.
    visit(okafor, patient, dt.date(2023, 3, 3), "99213")
    visit(np_patel, patient, DAY, "99204")
    ChargeMasterItem.objects.create(
        code="99204", description="99204", charge=Decimal("210.00"), effective_from=DAY
    )

    claim = live_claim(sign(patient, nurse, nurse2, supervising_practitioner=okafor))

    assert claim.facts["patient"] == {"established": False}
    assert claim.status == "ready"
    assert [(c, m) for c, m, _, _ in lines(claim)] == [("96521", []), ("99204", ["25"])]


def test_a_signed_refill_three_years_before_to_the_day_makes_the_patient_established(
    nurse, nurse2, okafor, np_patel, patient
):
    cover(patient, billing_reference())
    first = services.encounter_create(
        by=nurse,
        patient=patient,
        data=encounter_data(day=dt.date(2023, 3, 4), supervising_practitioner=okafor),
    )
    services.encounter_verify(verifier=nurse2, encounter=first, entered=BLIND_OK)
    services.encounter_sign(by=nurse, encounter=first)
    visit(np_patel, patient, DAY, "99214")

    claim = live_claim(sign(patient, nurse, nurse2, supervising_practitioner=okafor))

    assert claim.facts["patient"] == {"established": True}


def test_visit_roles_come_from_the_providers_profile(nurse, nurse2, okafor, patient):
    pa = UserFactory(username="pa.ruiz", role="Provider", credential="PA")
    recorded = visit(pa, patient, DAY)
    assert recorded.performed_by_role == "physician_assistant"
    cover(patient, billing_reference())

    claim = live_claim(sign(patient, nurse, nurse2, supervising_practitioner=okafor))

    assert claim.facts["practitioners"]["pa.ruiz"] == {
        "npi": pa.clinician.npi,
        "role": "physician_assistant",
    }
    assert claim.decision["lines"][1]["rendering"] == "pa.ruiz"


def test_a_practitioner_name_that_differs_only_in_case_holds_with_the_reason(
    nurse, nurse2, okafor, patient
):
    cover(patient, billing_reference())
    twin = UserFactory(username="DR.OKAFOR", role="Provider", credential="MD")
    visit(twin, patient, DAY)

    claim = live_claim(sign(patient, nurse, nurse2, supervising_practitioner=okafor))

    assert claim.status == "hold"
    assert claim.hold_reason.startswith("The billing facts could not be built (practitioners")
    assert claim.lines.count() == 0


def test_facts_for_encounter_reads_nothing(
    nurse, nurse2, okafor, np_patel, patient, django_assert_num_queries
):
    cover(patient, billing_reference())
    drug_catalogue()
    encounter = sign(patient, nurse, nurse2, supervising_practitioner=okafor)
    encounter = encounters_for_facts().get(pk=encounter.pk)
    visits = list(ProviderVisit.objects.select_related("provider__clinician"))
    items = list(DrugCatalogueItem.objects.prefetch_related("ndcs"))
    coverage = Coverage.objects.select_related("payer").get()

    with django_assert_num_queries(0):
        facts = facts_for_encounter(
            encounter,
            coverage,
            visits=visits,
            charge_items=[],
            drug_items=items,
            established=None,
        )

    assert "patient" not in facts
    assert facts["practitioners"] == {"dr.okafor": {"npi": "1234567893", "role": "physician"}}
