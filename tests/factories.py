"""Factories for test data. Encounters are built valid; tests override what they exercise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum import luhn

from billing import demo
from billing import services as billing_services
from billing.models import (
    Claim,
    Coverage,
    DrugCatalogueItem,
    Payer,
    PracticeSettings,
    StockedNDC,
)
from refills import services as refill_services
from refills.models import (
    ClinicianProfile,
    Encounter,
    Order,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
    mosteller_bsa,
)

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()

    @factory.post_generation
    def credential(self, create, extracted, **kwargs):
        # A physician, NP or PA bills in their own name: a valid NPI of their own and the
        # taxonomy of their credential, as the admin requires of a Provider.
        credential = extracted or ""
        defaults = {"credential": credential}
        if credential in TAXONOMY_BY_CREDENTIAL:
            defaults["npi"] = npi_for(self.pk)
            defaults["taxonomy"] = TAXONOMY_BY_CREDENTIAL[credential]
        ClinicianProfile.objects.get_or_create(user=self, defaults=defaults)


TAXONOMY_BY_CREDENTIAL = {
    "MD": "207RX0202X",  # internal medicine, medical oncology
    "DO": "207RX0202X",
    "NP": "363LA2200X",  # nurse practitioner, adult health
    "PA": "363A00000X",  # physician assistant
}


def npi_for(number: int) -> str:
    """A Luhn-valid NPI (check digit over 80840 and the first nine digits) made from number."""
    base = f"{1_900_000_000 // 10 + number:09d}"
    return base + luhn.calc_check_digit("80840" + base)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    first_name = "Pat"
    date_of_birth = dt.date(1960, 5, 17)
    sex = "F"
    address_line1 = "1 Main Street"
    city = "Springfield"
    state = "IL"
    postal_code = "62704"

    @factory.post_generation
    def codes(self, create, extracted, **kwargs):
        for position, code in enumerate(extracted if extracted is not None else ["C18.9"]):
            PatientDiagnosis.objects.create(patient=self, code=code, position=position)

    @factory.post_generation
    def order(self, create, extracted, **kwargs):
        """An active order that encounter_data() fits; order=False for a patient without."""
        if extracted is not False:
            make_order(self, **kwargs)


def order_provider():
    """The provider who signs the factories' orders (not one of the test personas)."""
    return UserFactory(
        username="dr.orders",
        first_name="Omar",
        last_name="Orders",
        role="Provider",
        credential="MD",
    )


def order_data(**overrides) -> dict:
    """A fluorouracil order that encounter_data() matches: 1300 mg/m² for 170 cm and 71.4 kg
    (BSA 1.84 m², 2392 mg, rounded to 2400 mg), 50 mg/mL, 96 mL over 48 hours at 2 mL/h."""
    data = {
        "drug_name": "fluorouracil",
        "dose_basis": "mg_m2",
        "dose_per_basis": Decimal("1300.000"),
        "dosing_height_cm": Decimal("170.0"),
        "dosing_weight_kg": Decimal("71.4"),
        "dose_mg": Decimal("2400.00"),
        "concentration_mg_ml": Decimal("50.000"),
        "final_volume_ml": Decimal("96.00"),
        "infusion_hours": Decimal("48.0"),
        "rate_ml_h": Decimal("2.00"),
        "cycles": 99,
        "valid_from": dt.date(2020, 1, 1),
        "valid_to": dt.date(2099, 12, 31),
        "anc_min": Decimal("1.50"),
        "platelets_min": Decimal("100"),
        "creatinine_max": Decimal("1.50"),
        "notes": "",
    }
    data.update(overrides)
    return data


def replace_order(patient: Patient, **overrides) -> Order:
    """A new active order for the patient in place of the one they have (as a provider's
    new order discontinues the old)."""
    patient.orders.filter(status="active").update(
        status="discontinued", discontinued_by=order_provider(), discontinued_at=timezone.now()
    )
    return make_order(patient, **overrides)


def make_order(patient: Patient, *, by=None, **overrides) -> Order:
    data = order_data(**overrides)
    bsa = mosteller_bsa(data["dosing_height_cm"], data["dosing_weight_kg"])
    per = {"mg_m2": bsa, "mg_kg": data["dosing_weight_kg"], "flat": Decimal(1)}
    order = Order(
        patient=patient,
        bsa_m2=bsa,
        calculated_dose_mg=(data["dose_per_basis"] * per[data["dose_basis"]]).quantize(
            Decimal("0.01")
        ),
        signed_by=by or order_provider(),
        signed_at=timezone.now(),
        **data,
    )
    order._change_reason = "order signed"
    order.save()
    return order


def encounter_data(
    day: dt.date | None = None, *, now: dt.datetime | None = None, **overrides
) -> dict:
    """Valid encounter field values as a form's cleaned_data would carry them.

    The infusion starts at 00:05 on the day of service, or at the current minute when that
    is still to come (just after midnight), so it is never in the future and always falls
    on the day of service.
    """
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    zone = timezone.get_current_timezone()
    started = timezone.make_aware(dt.datetime.combine(day, dt.time(0, 5)), zone)
    if day == timezone.localdate(now) and started > now:
        started = timezone.localtime(now).replace(second=0, microsecond=0)
    data = {
        **demo.REFILL,
        "date_of_service": day,
        "place_of_service": "11",
        "supervising_practitioner": None,
        "weight_kg": Decimal("71.4"),
        "weight_measured_on": day,
        "cbc_collected_on": day - dt.timedelta(days=1),
        "cmp_collected_on": day - dt.timedelta(days=1),
        "anc": Decimal("2.10"),
        "platelets": Decimal("180"),
        "creatinine": Decimal("0.90"),
        "tolerance_notes": "",
        "drug_ndc": "",
        "drug_discarded_mg": Decimal("0"),
        "drug_supplied_by_practice": False,
        "drug_lot": "F5U2291",
        "drug_expires_on": day + dt.timedelta(days=200),
        "pump_type": "external",
        "pump_model": "CADD",
        "pump_serial": "SN1",
        "infusion_started_at": started,
        "port_flush": False,
        "blood_draw": "",
        "other_chemo": "",
    }
    data.update(overrides)
    return data


def encounter_post(data: dict) -> dict:
    """The same values as an HTML form would POST them."""
    post = {}
    for key, value in data.items():
        if value is None or value is False:
            continue
        if value is True:
            post[key] = "on"
        elif isinstance(value, dt.datetime):
            post[key] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif hasattr(value, "pk"):
            post[key] = str(value.pk)
        else:
            post[key] = str(value)
    return post


def make_encounter(patient: Patient, nurse, **overrides) -> Encounter:
    data = encounter_data(**overrides)
    return Encounter.objects.create(
        patient=patient,
        performing_nurse=nurse,
        created_by=nurse,
        order=patient.orders.filter(status="active").first(),
        **data,
    )


def billing_reference(*, program: str = "medicare", code: str = "MEDICARE") -> Payer:
    payer, _ = Payer.objects.get_or_create(
        code=code,
        defaults={
            "name": code.title(),
            "program": program,
            "x12_payer_id": f"{code[:5]}1",
            "claim_filing_indicator": "MB" if program == "medicare" else "CI",
        },
    )
    start = dt.date(2020, 1, 1)
    demo.charge_master(start, codes=("96521", "96522", "99213", "99211", "96523"))
    demo.refill_fee(payer, start)
    return payer


def drug_catalogue(*, charge: str = "12.40") -> DrugCatalogueItem:
    """Fluorouracil (J9190, 500 mg a unit) with two of Fresenius Kabi's single-dose vials."""
    item, created = DrugCatalogueItem.objects.get_or_create(
        hcpcs="J9190",
        effective_from=dt.date(2020, 1, 1),
        defaults={
            "name": "fluorouracil",
            "billing_unit_mg": Decimal("500"),
            "charge_per_unit": Decimal(charge),
        },
    )
    if created:
        for ndc, description in [
            ("63323011751", "2.5 g/50 mL single-dose vial"),
            ("63323011710", "500 mg/10 mL single-dose vial"),
        ]:
            StockedNDC.objects.create(
                item=item,
                ndc=ndc,
                description=description,
                package_unit="ML",
                mg_per_package_unit=Decimal("50"),
                container="single_dose",
            )
    return item


def cover(patient: Patient, payer: Payer) -> Coverage:
    return Coverage.objects.create(
        patient=patient, payer=payer, member_id="M123", effective_from=dt.date(2020, 1, 1)
    )


PRACTICE = demo.PRACTICE
# A pay-to address apart from the street billing address: the practice's PO box.
PAY_TO = {
    "pay_to_address_line1": "PO Box 12",
    "pay_to_city": "Springfield",
    "pay_to_state": "IL",
    "pay_to_postal_code": "62705",
}


def practice_settings(**overrides) -> PracticeSettings:
    return PracticeSettings.objects.create(**{**PRACTICE, **overrides})


# What the second clinician types blind on the verify page; matches encounter_data().
BLIND_OK = demo.PUMP_READING


def verify_post(**overrides) -> dict:
    """What the second nurse (rn.chen) POSTs on the verify page: the values of BLIND_OK, so
    they match encounter_data()."""
    return {
        "username": "rn.chen",
        "password": PASSWORD,
        "rate_ml_h": "2",
        "pump_volume_ml": "96",
        "drug_concentration_mg_ml": "50",
        "label_checked": "on",
        **overrides,
    }


def verified_refill(patient: Patient, nurse, verifier, **overrides) -> Encounter:
    """The nurse's refill (encounter_data(**overrides)), checked blind by the verifier; read
    back from the database."""
    encounter = refill_services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(**overrides)
    )
    refill_services.encounter_verify(verifier=verifier, encounter=encounter, entered=BLIND_OK)
    return Encounter.objects.get(pk=encounter.pk)


def signed_refill(patient: Patient, nurse, verifier, **overrides) -> Encounter:
    """The nurse's refill (encounter_data(**overrides)), checked blind by the verifier and
    signed by the nurse."""
    encounter = verified_refill(patient, nurse, verifier, **overrides)
    return refill_services.encounter_sign(by=nurse, encounter=encounter)


def provider_visit(
    provider,
    patient: Patient,
    day: dt.date | None = None,
    em_code: str = "99213",
    *,
    note: str = "Nausea evaluated.",
    separately_identifiable: bool = True,
    diagnoses: Sequence[str] = ("R11.0",),
) -> ProviderVisit:
    """The provider's E/M visit on the day (today by default), separately identifiable
    unless told otherwise."""
    return refill_services.provider_visit_record(
        by=provider,
        patient=patient,
        data={
            "date_of_service": day or timezone.localdate(),
            "em_code": em_code,
            "separately_identifiable": separately_identifiable,
            "note": note,
        },
        diagnoses=list(diagnoses),
    )


def patient_post(**overrides) -> dict:
    """A new patient as the patient form POSTs it: an Illinois address and one cancer code."""
    return {
        "mrn": "MRN5",
        "last_name": "Doe",
        "first_name": "Jo",
        "date_of_birth": "1970-01-01",
        "sex": "F",
        "address_line1": "1 Main Street",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62704",
        "diagnosis_codes": "C18.9",
        **overrides,
    }


def visit_post(day: dt.date | None = None, **overrides) -> dict:
    """A provider's same-day E/M as the visit form POSTs it (today unless a day is given)."""
    return {
        "date_of_service": (day or timezone.localdate()).isoformat(),
        "em_code": "99213",
        "separately_identifiable": "on",
        "note": "Nausea evaluated.",
        "diagnosis_codes": "R11.0",
        **overrides,
    }


def live_claim(encounter: Encounter) -> Claim:
    """The encounter's claim in force (not a voided one)."""
    return Claim.objects.exclude(status=Claim.Status.VOID).get(encounter=encounter)


def assert_one_em_billed_and_the_other_denied(encounter: Encounter) -> None:
    """Two providers' same-day 99213s: the claim bills the refill and one E/M with modifier
    25, and R26 denies the second."""
    claim = live_claim(encounter)
    assert list(claim.lines.values_list("code", "modifiers")) == [
        ("96521", []),
        ("99213", ["25"]),
    ]
    assert list(claim.findings.filter(rule="R26").values_list("severity", "code")) == [
        ("deny", "99213")
    ]


def approved_claim(nurse, nurse2, biller, provider, *, last_name="Brooks", with_em=False):
    """A signed Aetna refill (optionally with a same-day E/M) whose claim the biller approved."""
    payer = billing_reference(program="commercial", code="AETNA")
    patient = PatientFactory(last_name=last_name, codes=["C18.9", "C78.7"])
    cover(patient, payer)
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    encounter = refill_services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(supervising_practitioner=provider)
    )
    if with_em:
        provider_visit(provider, patient, encounter.date_of_service)
    refill_services.encounter_verify(verifier=nurse2, encounter=encounter, entered=BLIND_OK)
    refill_services.encounter_sign(by=nurse, encounter=encounter)
    claim = live_claim(encounter)
    assert claim.status == "ready", list(claim.findings.values_list("rule", "severity"))
    return billing_services.claim_approve(claim=claim, by=biller)


def claim_row(*, patient: Patient | None = None, nurse=None, save: bool = True, **values) -> Claim:
    """A claim row as a test needs it, without going through deciding (a draft encounter
    of its own under it, by `nurse` or a new one); unsaved with `save=False`."""
    patient = patient or PatientFactory()
    encounter = make_encounter(patient, nurse or UserFactory(role="Nurse", credential="RN"))
    claim = Claim(
        encounter=encounter,
        patient=patient,
        date_of_service=values.pop("date_of_service", encounter.date_of_service),
        status=values.pop("status", Claim.Status.HOLD),
        decided_at=values.pop("decided_at", timezone.now()),
        **values,
    )
    if save:
        claim.save()
    return claim
