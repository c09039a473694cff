"""Demo data for trying the app: users for every role, payers, patients and encounters in
every state. Everything is written through the services, so the history is real. Running it
again changes nothing that is already there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing import demo
from billing.models import (
    Coverage,
    Payer,
    PracticeSettings,
)
from refills import services
from refills.models import ClinicianProfile, Encounter, Patient, Role

User = get_user_model()

# The demo logins' password is published (README): these accounts exist only in demo data.
DEMO_PASSWORD = "refill-demo-2026"  # nosec B105

USERS = [
    # username, first, last, role, credential, NPI (Luhn-valid with the 80840 prefix),
    # NUCC taxonomy
    ("rn.alvarez", "Maria", "Alvarez", Role.NURSE, "RN", "", ""),
    ("rn.chen", "David", "Chen", Role.NURSE, "RN", "", ""),
    ("dr.okafor", "Ngozi", "Okafor", Role.PROVIDER, "MD", "1234567893", "207RX0202X"),
    ("np.patel", "Priya", "Patel", Role.PROVIDER, "NP", "1245319599", "363LA2200X"),
    ("pa.ruiz", "Luis", "Ruiz", Role.PROVIDER, "PA", "1555555550", "363A00000X"),
    ("biller.jones", "Sam", "Jones", Role.BILLER, "", "", ""),
    ("admin.kim", "Alex", "Kim", Role.ADMIN, "", "", ""),
]

PATIENTS = [
    ("MRN10001", "Brooks", "Eleanor", "1956-04-12", "F", ["C18.9"]),
    ("MRN10002", "O'Neil", "Thomas", "1961-09-30", "M", ["C20", "C78.7"]),
    ("MRN10003", "Nguyen", "Linh", "1972-01-05", "F", ["C25.0"]),
    ("MRN10004", "García", "José", "1949-11-19", "M", ["C16.9"]),
    ("MRN10005", "Hughes", "Margaret", "1958-06-22", "F", ["C50.911", "C78.00"]),
    ("MRN10006", "Okonkwo", "Chidi", "1967-03-14", "M", ["C15.9"]),
    ("MRN10007", "Schmidt", "Anna", "1953-08-08", "F", ["C56.9"]),
    ("MRN10008", "Rossi", "Marco", "1945-12-01", "M", ["C22.0"]),
    ("MRN10009", "Kowalski", "Irena", "1970-02-27", "F", ["C18.7"]),
    ("MRN10010", "Baker", "James", "1963-07-16", "M", ["C61"]),
    ("MRN10011", "Yamamoto", "Keiko", "1959-10-03", "F", ["C34.90"]),
    ("MRN10012", "Dubois", "Claire", "1975-05-29", "F", ["C19"]),
]

PAYERS = [
    ("MEDICARE", "Medicare Part B", "medicare", "MCRB1", "MB"),
    ("AETNA", "Aetna", "commercial", "60054", "CI"),
    ("BCBS", "Blue Cross Blue Shield", "commercial", "BCBS1", "BL"),
    ("CIGNA", "Cigna", "commercial", "62308", "12"),
    ("UHC", "UnitedHealthcare", "commercial", "87726", "HM"),
]

# Signed refills that show each kind of claim line; mrn, last, first, born, sex, codes,
# payer and coverage priority, who saw the patient the same day (username, E/M code),
# NDC, dose and discard (mg). Days ago: 1 + their position.
BILLING_EXAMPLES = [
    # An NP's E/M beside a refill supervised by a physician; nothing discarded (JZ).
    (
        "MRN10013",
        "Adeyemi",
        "Folake",
        "1962-02-11",
        "F",
        ["C18.2"],
        "MEDICARE",
        1,
        ("np.patel", "99214"),
        "63323011751",
        "2400",
        "100",
    ),
    # A PA's E/M; a commercial payer: the drug line carries neither JW nor JZ.
    (
        "MRN10014",
        "Moreau",
        "Julien",
        "1957-10-23",
        "M",
        ["C25.1"],
        "BCBS",
        1,
        ("pa.ruiz", "99213"),
        "63323011720",
        "2000",
        "0",
    ),
    # 500 mg of a 2.5 g single-dose vial thrown away: a JW line for Medicare.
    (
        "MRN10015",
        "Castillo",
        "Rosa",
        "1951-06-30",
        "F",
        ["C20"],
        "MEDICARE",
        1,
        None,
        "63323011751",
        "2000",
        "500",
    ),
    # The patient brought the drug (a specialty pharmacy's): the refill alone is billed.
    ("MRN10016", "Haddad", "Samir", "1960-08-14", "M", ["C16.0"], "UHC", 1, None, "", "2400", "0"),
    # Secondary coverage only: not to be sent as if it were primary.
    (
        "MRN10017",
        "Whitaker",
        "Helen",
        "1966-12-05",
        "F",
        ["C18.9"],
        "AETNA",
        2,
        None,
        "63323011751",
        "2400",
        "100",
    ),
]


ALLERGIES = {0: "Penicillin (rash)", 3: "Iodinated contrast (hives)"}
# One verified refill whose weight is more than 10% below the order's dosing weight, and one
# draft with an ANC below the order's limit: both wait for the provider's override.
WEIGHT_CHANGE, WEIGHT_CHANGED_FROM = 4, Decimal("82.0")
LOW_ANC = 5


def _patient(by, who: tuple, street: str, **more) -> Patient:
    """The demo patient with this MRN, registered (in Springfield, IL) when not there yet;
    ``who`` is (MRN, last name, first name, born, sex, diagnosis codes)."""
    mrn, last, first, born, sex, codes = who
    patient = Patient.objects.filter(mrn=mrn).first()
    if patient is not None:
        return patient
    return services.patient_create(
        by=by,
        data={
            "mrn": mrn,
            "last_name": last,
            "first_name": first,
            "date_of_birth": dt.date.fromisoformat(born),
            "sex": sex,
            "address_line1": street,
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62704",
            **more,
        },
        diagnoses=codes,
    )


def _cover(patient: Patient, payer_code: str, number: int, *, priority: int = 1) -> None:
    """The patient's coverage by the payer (demo member number ``number``), unless there."""
    payer = Payer.objects.get(code=payer_code)
    Coverage.objects.get_or_create(
        patient=patient,
        payer=payer,
        defaults={
            # Medicare's are MBIs (as on the card), the others the plans' own IDs.
            "member_id": f"1EG4TE5MK{number:02d}"
            if payer.program == Payer.Program.MEDICARE
            else f"{payer.code[:3]}{90000 + number}",
            "priority": priority,
            "effective_from": dt.date(2024, 1, 1),
        },
    )


def _refill(
    nurse, patient: Patient, day: dt.date, *, supervisor, now: dt.datetime, data: dict
) -> Encounter:
    """The nurse documents the demo refill (drug, pump, teaching) at the office (POS 11) on
    ``day`` under ``supervisor``, the patient weighed that day and the CBC drawn the day
    before, the vial good for 180 more days and the pump a CADD-Solis; ``data`` adds what
    differs."""
    return services.encounter_create(
        by=nurse,
        patient=patient,
        now=now,
        data={
            **demo.REFILL,
            "date_of_service": day,
            "place_of_service": "11",
            "supervising_practitioner": supervisor,
            "weight_measured_on": day,
            "cbc_collected_on": day - dt.timedelta(days=1),
            "drug_expires_on": timezone.localdate(now) + dt.timedelta(days=180),
            "pump_model": "CADD-Solis VIP",
            **data,
        },
    )


def _sign(nurse, encounter: Encounter, *, now, visit: tuple | None = None) -> None:
    """The nurse signs the verified refill; first, when ``visit`` is (practitioner, E/M code,
    note, diagnosis), the practitioner records their separately identifiable visit that day."""
    if visit is not None:
        by, code, note, diagnosis = visit
        services.provider_visit_record(
            by=by,
            patient=encounter.patient,
            data={
                "date_of_service": encounter.date_of_service,
                "em_code": code,
                "separately_identifiable": True,
                "note": note,
            },
            diagnoses=[diagnosis],
            now=now,
        )
    services.encounter_sign(by=nurse, encounter=Encounter.objects.get(pk=encounter.pk), now=now)


class Command(BaseCommand):
    help = "Create demo users, payers, patients and encounters (safe to run twice)."

    def handle(self, *args, **options):
        now = timezone.now()
        with transaction.atomic():
            users = self._users()
            self._billing_reference(now)
            patients = self._patients(users)
            self._orders(users, patients, now)
            created = self._encounters(users, patients, now)
            created += self._billing_examples(users, now)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new encounters)."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, credential, _, _ in USERS:
            label = f"{role.label}{f', {credential}' if credential else ''}"
            self.stdout.write(f"  {username:<14} {first} {last} ({label})")

    def _users(self) -> dict[str, Any]:
        users: dict[str, Any] = {}
        for username, first, last, role, credential, npi, taxonomy in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": role == Role.ADMIN},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=role))
            ClinicianProfile.objects.get_or_create(
                user=user, defaults={"credential": credential, "npi": npi, "taxonomy": taxonomy}
            )
            users[username] = User.objects.get(pk=user.pk)  # fresh permission cache
        return users

    def _billing_reference(self, now: dt.datetime) -> None:
        start = dt.date(2024, 1, 1)
        for code, name, program, payer_id, filing in PAYERS:
            Payer.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "program": program,
                    "x12_payer_id": payer_id,
                    "claim_filing_indicator": filing,
                },
            )
        demo.charge_master(start)
        demo.refill_fee(Payer.objects.get(code="MEDICARE"), start)
        demo.drug_catalogue(start)
        PracticeSettings.objects.get_or_create(defaults=demo.PRACTICE)

    def _patients(self, users) -> list[Patient]:
        patients = []
        payer_codes = [p[0] for p in PAYERS]
        for index, who in enumerate(PATIENTS):
            patient = _patient(
                users["rn.alvarez"],
                who,
                f"{100 + index} Elm Street",
                allergies=ALLERGIES.get(index, "none known"),
                height_cm=Decimal("170.0"),
            )
            _cover(patient, payer_codes[index % len(payer_codes)], index)
            patients.append(patient)
        return patients

    def _orders(self, users, patients, now: dt.datetime) -> None:
        """A fluorouracil order for each patient, dosed at the weight of their refill here,
        except one dosed at an earlier, heavier weight (the refill needs the provider)."""
        for index, patient in enumerate(patients):
            weight = WEIGHT_CHANGED_FROM if index == WEIGHT_CHANGE else Decimal("68.5") + index
            self._order(
                users,
                patient,
                now,
                weight=weight,
                dose_mg=Decimal("2400.00"),
                per_m2=Decimal("1300.000"),
            )

    def _order(
        self,
        users,
        patient,
        now: dt.datetime,
        *,
        weight: Decimal,
        dose_mg: Decimal,
        per_m2: Decimal | None = None,
    ) -> None:
        """A signed order, dosed per m² (the dose rounded from the calculation) or flat."""
        if patient.orders.exists():
            return
        today = timezone.localdate(now)
        services.order_create(
            by=users["dr.okafor"],
            patient=patient,
            now=now,
            data={
                "drug_name": "fluorouracil",
                "dose_basis": "mg_m2" if per_m2 else "flat",
                "dose_per_basis": per_m2 or dose_mg,
                "dosing_height_cm": Decimal("170.0"),
                "dosing_weight_kg": weight,
                "dose_mg": dose_mg,
                "concentration_mg_ml": Decimal("50.000"),
                "final_volume_ml": Decimal("96.00"),
                "infusion_hours": Decimal("48.0"),
                "rate_ml_h": Decimal("2.00"),
                "cycles": 6,
                "valid_from": today - dt.timedelta(days=60),
                "valid_to": today + dt.timedelta(days=120),
                "anc_min": Decimal("1.50"),
                "platelets_min": Decimal("100"),
                "creatinine_max": Decimal("1.50"),
                "notes": "",
            },
        )

    def _encounters(self, users, patients, now: dt.datetime) -> int:
        nurse, nurse2 = users["rn.alvarez"], users["rn.chen"]
        doctor = users["dr.okafor"]
        today = timezone.localdate(now)
        created = 0
        for index, patient in enumerate(patients):
            if patient.encounters.exists():
                continue
            # Four signed (days ago), four verified, four drafts (today).
            state = (Encounter.Status.SIGNED, Encounter.Status.VERIFIED, Encounter.Status.DRAFT)[
                index % 3
            ]
            day = (
                today - dt.timedelta(days=2 + index) if state == Encounter.Status.SIGNED else today
            )
            started = timezone.make_aware(
                dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=20 * index)
            )
            if started > now:
                started = now - dt.timedelta(minutes=5)
            encounter = _refill(
                nurse,
                patient,
                day,
                supervisor=doctor,
                now=now,
                data={
                    "weight_kg": Decimal("68.5") + index,
                    "cmp_collected_on": day - dt.timedelta(days=1 if index % 4 else 9),
                    "anc": Decimal("1.10") if index == LOW_ANC else Decimal("2.10"),
                    "platelets": Decimal("180"),
                    "creatinine": Decimal("0.90"),
                    "drug_ndc": "63323011751",
                    "drug_discarded_mg": Decimal("100"),
                    "drug_supplied_by_practice": True,
                    "drug_lot": f"F5U{2291 + index}",
                    "pump_type": "implanted" if index == 6 else "external",
                    "pump_serial": f"SN-{40100 + index}",
                    "teaching_site_care": index != 9,
                    "infusion_started_at": started,
                    "port_flush": index == 3,
                },
            )
            created += 1
            if state == Encounter.Status.DRAFT:
                continue
            services.encounter_verify(
                verifier=nurse2,
                encounter=encounter,
                entered=demo.PUMP_READING,
                now=now,
            )
            if state == Encounter.Status.SIGNED:
                nausea = "New nausea since last cycle; evaluated and treated."
                visit = (doctor, "99213", nausea, "R11.0") if index == 0 else None
                _sign(nurse, encounter, now=now, visit=visit)
        return created

    def _billing_examples(self, users, now: dt.datetime) -> int:
        nurse, nurse2 = users["rn.alvarez"], users["rn.chen"]
        today = timezone.localdate(now)
        created = 0
        for position, example in enumerate(BILLING_EXAMPLES):
            who, (payer_code, priority, seen_by, ndc, dose, discarded) = example[:6], example[6:]
            patient = _patient(nurse, who, f"{20 + position} Oak Avenue")
            _cover(patient, payer_code, 13 + position, priority=priority)
            dose_mg = Decimal(dose)
            self._order(users, patient, now, weight=Decimal("72.0"), dose_mg=dose_mg)
            if patient.encounters.exists():
                continue
            day = today - dt.timedelta(days=1 + position)
            started = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
            encounter = _refill(
                nurse,
                patient,
                day,
                supervisor=users["dr.okafor"],
                now=now,
                data={
                    "weight_kg": Decimal("72.0"),
                    "cmp_collected_on": day - dt.timedelta(days=1),
                    "anc": Decimal("2.40"),
                    "platelets": Decimal("210"),
                    "creatinine": Decimal("0.80"),
                    "drug_dose_mg": dose_mg,
                    "drug_volume_ml": dose_mg / 50,
                    "drug_ndc": ndc,
                    "drug_discarded_mg": Decimal(discarded),
                    "drug_supplied_by_practice": bool(ndc),
                    "drug_lot": f"F5U{3301 + position}",
                    "pump_type": "external",
                    "pump_serial": f"SN-{40200 + position}",
                    "infusion_started_at": started,
                },
            )
            created += 1
            services.encounter_verify(
                verifier=nurse2,
                encounter=encounter,
                entered=demo.PUMP_READING,
                now=now,
            )
            visit = None
            if seen_by:
                username, code = seen_by
                sores = "Mouth sores since the last cycle; examined, rinse prescribed."
                visit = (users[username], code, sores, "K12.30")
            _sign(nurse, encounter, now=now, visit=visit)
        return created
