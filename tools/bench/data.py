"""Synthetic data for the benchmarks, inserted in bulk (bypassing the services, for volume).

Valid signed refills varied the way real days vary, with their same-day visits and addenda,
and claims as they pile up over time for the queue. Every name carries a random token, so
a run never collides with what the database already holds.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing import demo
from billing.engine.decision import BILLABLE, HOLD, INFO
from billing.models import (
    Claim,
    ClaimExport,
    ClaimFinding,
    ClaimLine,
    Coverage,
    FeeScheduleEntry,
    Payer,
    PracticeSettings,
)
from refills.models import (
    Addendum,
    ClinicianProfile,
    Encounter,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
)

INSERT_CHUNK = 5000
# Each patient has a refill every 11 days, the earliest about ENCOUNTERS_PER_PATIENT * 11 days ago.
ENCOUNTERS_PER_PATIENT = 8
DAYS_BETWEEN_REFILLS = 11
SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
]
FIRST_NAMES = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
]
# One patient whose name no one else has: the selective end of the name search.
RARE_SURNAME = "Zabriskie"
BILLED_CODES = ("96521", "96522", "96523", "99211", "99213")
CHARGES = {code: demo.CHARGES[code][1] for code in BILLED_CODES}
ALLOWED = {"96521": Decimal("123.83"), "96522": Decimal("110.00"), "99213": Decimal("92.00")}


class Dataset:
    """The people, payers and practice of one run, and the rows built for it."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
        self.token = secrets.token_hex(3).upper()
        self.patient_ids: list[int] = []

    def add_reference_data(self) -> None:
        User = get_user_model()
        prefix = f"bench-{self.token.lower()}"
        self.nurse = User.objects.create(
            username=f"{prefix}-rn1", first_name="Rita", last_name="Nurse"
        )
        self.nurse2 = User.objects.create(
            username=f"{prefix}-rn2", first_name="Ravi", last_name="Checker"
        )
        self.provider = User.objects.create(
            username=f"{prefix}-md", first_name="Mona", last_name="Doctor"
        )
        ClinicianProfile.objects.create(user=self.provider, credential="MD", npi="1234567893")
        self.admin = User.objects.create(
            username=f"{prefix}-admin", is_staff=True, is_superuser=True
        )
        self.payers = Payer.objects.bulk_create(
            Payer(
                code=f"B{self.token}{suffix}",
                name=f"Bench {name}",
                program=program,
                claim_filing_indicator=filing,
                x12_payer_id=f"B{suffix}1",
                allows_99211_with_drug_admin=suffix == "AET",
                modifier25_requires_note=suffix == "BCB",
            )
            for suffix, name, program, filing in (
                ("MCR", "Medicare", Payer.Program.MEDICARE, "MB"),
                ("AET", "Aetna", Payer.Program.COMMERCIAL, "CI"),
                ("BCB", "Blue Cross", Payer.Program.COMMERCIAL, "BL"),
            )
        )
        start = dt.date(2000, 1, 1)
        demo.charge_master(start, codes=BILLED_CODES)
        demo.drug_catalogue(start)
        FeeScheduleEntry.objects.bulk_create(
            FeeScheduleEntry(payer=payer, code=code, allowed_amount=amount, effective_from=start)
            for payer in self.payers
            for code, amount in ALLOWED.items()
        )
        self.practice = PracticeSettings.objects.first() or PracticeSettings.objects.create(
            **demo.PRACTICE
        )

    def add_patients(self, count: int) -> None:
        ids: list[int] = []
        for start in range(0, count, INSERT_CHUNK):
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"B{self.token}{i:08d}",
                    last_name=RARE_SURNAME if i == 0 else SURNAMES[i % len(SURNAMES)],
                    first_name=FIRST_NAMES[(i // len(SURNAMES)) % len(FIRST_NAMES)],
                    date_of_birth=dt.date(1940 + i % 50, 1 + i % 12, 1 + i % 28),
                    sex="F" if i % 2 else "M",
                    address_line1=f"{1 + i % 900} Main Street",
                    city="Springfield",
                    state="IL",
                    postal_code="62704",
                )
                for i in range(start, min(count, start + INSERT_CHUNK))
            )
            PatientDiagnosis.objects.bulk_create(
                PatientDiagnosis(patient=patient, code=code, position=position)
                for n, patient in enumerate(patients, start=start)
                for position, code in enumerate(["C18.9", "C78.7"] if n % 5 == 0 else ["C18.9"])
            )
            # One patient in fifty has no coverage on file: their claims hold.
            Coverage.objects.bulk_create(
                Coverage(
                    patient=patient,
                    payer=self.payers[n % len(self.payers)],
                    member_id=f"M{n:09d}",
                    effective_from=dt.date(2000, 1, 1),
                )
                for n, patient in enumerate(patients, start=start)
                if n % 50 != 49
            )
            ids += [p.pk for p in patients]
        self.patient_ids = ids
        self.payer_by_patient = {
            pk: self.payers[n % len(self.payers)] for n, pk in enumerate(ids) if n % 50 != 49
        }

    def encounter(self, n: int) -> Encounter:
        """Encounter number n: a valid signed refill, varied the way real days vary."""
        patient_index = n % len(self.patient_ids)
        visit = n // len(self.patient_ids)
        day = self.today - dt.timedelta(
            days=visit * DAYS_BETWEEN_REFILLS + patient_index % DAYS_BETWEEN_REFILLS
        )
        started = dt.datetime.combine(day, dt.time(10, 15), tzinfo=self.zone)
        signed = started + dt.timedelta(hours=1)
        return Encounter(
            **(demo.REFILL | {"drug_antineoplastic": n % 31 != 0}),
            patient_id=self.patient_ids[patient_index],
            status=Encounter.Status.SIGNED,
            date_of_service=day,
            place_of_service="12" if n % 29 == 0 else "11",
            performing_nurse=self.nurse,
            supervising_practitioner=None if n % 17 == 0 else self.provider,
            weight_kg=Decimal("71.4"),
            weight_measured_on=day,
            cbc_collected_on=day - dt.timedelta(days=10 if n % 19 == 0 else 1),
            cmp_collected_on=day - dt.timedelta(days=1),
            drug_lot=f"L{n % 997:04d}",
            drug_expires_on=day + dt.timedelta(days=200),
            # The practice's fluorouracil, 2,400 mg from a 2.5 g vial (the catalogue's J9190
            # line with its NDC), a third of the time the 100 mg left in the vial recorded as
            # discarded (too little for another unit: no JW line), now and then the patient's.
            drug_supplied_by_practice=n % 37 != 0,
            drug_ndc="63323011751",
            drug_discarded_mg=Decimal("100") if n % 3 == 0 else Decimal("0"),
            pump_type="implanted" if n % 13 == 0 else "external",
            pump_model="CADD",
            infusion_started_at=started,
            port_flush=n % 10 == 0,
            blood_draw="36591" if n % 23 == 0 else "",
            verified_by=self.nurse2,
            verified_at=signed,
            signed_by=self.nurse,
            signed_at=signed,
            created_by=self.nurse,
        )

    def add_signed_encounters(self, first: int, count: int) -> list[int]:
        """Signed encounters with their same-day visits and addenda, as the batch reads them."""
        ids: list[int] = []
        for start in range(first, first + count, INSERT_CHUNK):
            numbers = range(start, min(first + count, start + INSERT_CHUNK))
            encounters = Encounter.objects.bulk_create(self.encounter(n) for n in numbers)
            ProviderVisit.objects.bulk_create(
                ProviderVisit(
                    patient_id=e.patient_id,
                    date_of_service=e.date_of_service,
                    provider=self.provider if code == "99213" else self.nurse2,
                    em_code=code,
                    performed_by_role="physician" if code == "99213" else "registered_nurse",
                    separately_identifiable=True,
                    note="Seen for nausea.",
                    diagnoses=["R11.0"],
                )
                for n, e in zip(numbers, encounters, strict=True)
                for code, every in (("99213", 20), ("99211", 60))
                if n % every == 0
            )
            Addendum.objects.bulk_create(
                Addendum(
                    encounter=e,
                    author=self.nurse,
                    text="Teach-back repeated.",
                    corrections={"teach_back_done": True},
                )
                for n, e in zip(numbers, encounters, strict=True)
                if n % 50 == 0
            )
            ids += [e.pk for e in encounters]
        return ids

    def add_queue_claims(self, first: int, count: int) -> None:
        """Claims as they pile up over time (mostly exported), two lines each, for the queue."""
        if count == 0:
            return
        export = ClaimExport.objects.create(
            created_at=self.now,
            format=ClaimExport.Format.X12,
            filename=f"bench-{self.token}.x12",
            sha256="0" * 64,
            content=b"",
            claim_count=count,
        )
        statuses = [
            *[Claim.Status.EXPORTED] * 9,
            *[Claim.Status.READY] * 4,
            *[Claim.Status.HOLD] * 3,
            *[Claim.Status.APPROVED] * 2,
            *[Claim.Status.VOID] * 2,
        ]
        for start in range(first, first + count, INSERT_CHUNK):
            numbers = range(start, min(first + count, start + INSERT_CHUNK))
            encounters = Encounter.objects.bulk_create(self.encounter(n) for n in numbers)
            claims = []
            for n, encounter in zip(numbers, encounters, strict=True):
                payer = self.payer_by_patient.get(encounter.patient_id)
                status = statuses[n % len(statuses)] if payer else Claim.Status.HOLD
                claims.append(
                    Claim(
                        encounter=encounter,
                        patient_id=encounter.patient_id,
                        payer=payer,
                        coverage_id=None,
                        date_of_service=encounter.date_of_service,
                        status=status,
                        decision_status=HOLD if status == Claim.Status.HOLD else BILLABLE,
                        hold_reason="Missing: supervising practitioner."
                        if status == Claim.Status.HOLD
                        else "",
                        diagnoses=["Z51.11", "C18.9"],
                        total_charge=CHARGES["96521"] + CHARGES["99213"],
                        expected_allowed=ALLOWED["96521"] + ALLOWED["99213"],
                        decided_at=self.now,
                        export=export if status == Claim.Status.EXPORTED else None,
                    )
                )
            Claim.objects.bulk_create(claims)
            ClaimLine.objects.bulk_create(
                ClaimLine(
                    claim=claim,
                    position=position,
                    code=code,
                    modifiers=modifiers,
                    units=1,
                    place_of_service="11",
                    diagnosis_pointers=[1, 2],
                    charge=CHARGES[code],
                    expected_allowed=ALLOWED[code],
                )
                for claim in claims
                for position, code, modifiers in ((1, "96521", []), (2, "99213", ["25"]))
            )
            ClaimFinding.objects.bulk_create(
                ClaimFinding(
                    claim=claim,
                    position=position,
                    rule=rule,
                    severity=severity,
                    code="96521",
                    message="Synthetic finding.",
                )
                for claim in claims
                for position, (rule, severity) in enumerate(
                    [
                        ("R01", "info"),
                        ("R40", HOLD) if claim.status == Claim.Status.HOLD else ("R50", INFO),
                    ],
                    start=1,
                )
            )
