"""The demo practice, its charges and its refills: one source for `seed_demo`, the tests
and the bench.

Example figures only (the 96521 allowed amount is Medicare's 2024 national non-facility
rate); a real practice enters its own in the admin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing.models import (
    ChargeMasterItem,
    DrugCatalogueItem,
    FeeScheduleEntry,
    NdcUnit,
    Payer,
    StockedNDC,
)

PRACTICE = {
    "billing_provider_name": "Riverside Oncology Associates",
    "npi": "1811111115",
    "tax_id": "123456789",
    "address_line1": "100 Main Street",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "627011234",
    "submitter_id": "RIVONC01",
    "receiver_id": "CLEARHOUSE",
    "contact_name": "Billing Office",
    "contact_phone": "2175550100",
}

# code: (description, charge)
CHARGES = {
    "96521": ("Refill and maintenance of portable pump", Decimal("175.00")),
    "96522": ("Refill and maintenance of implanted pump or reservoir", Decimal("160.00")),
    "96523": ("Irrigation of implanted venous access device", Decimal("45.00")),
    "99211": ("Office visit, established, minimal", Decimal("30.00")),
    "99212": ("Office visit, established, straightforward", Decimal("80.00")),
    "99213": ("Office visit, established, low", Decimal("120.00")),
    "99214": ("Office visit, established, moderate", Decimal("175.00")),
    "99215": ("Office visit, established, high", Decimal("240.00")),
    "99204": ("Office visit, new, moderate", Decimal("210.00")),
}

# What the pump and the bag of a demo refill are set to: what the second clinician reads off
# them on the verify page.
PUMP_READING = {
    "rate_ml_h": Decimal("2.00"),
    "pump_volume_ml": Decimal("96.00"),
    "drug_concentration_mg_ml": Decimal("50.000"),
}
# A fluorouracil pump refill as the nurse documents it, where every example refill is the
# same: the drug, the pump's settings and the teaching. Each adds the patient, the day and
# what varies (labs, lot, NDC, pump).
REFILL: dict[str, object] = {
    **PUMP_READING,
    "drug_name": "fluorouracil",
    "drug_antineoplastic": True,
    "drug_dose_mg": Decimal("2400.00"),
    "drug_volume_ml": Decimal("48.00"),
    "service": "refill",
    "pump_programmed": True,
    "pump_primed": True,
    "pump_function_verified": True,
    "teaching_alarms": True,
    "teaching_site_care": True,
    "taught_person": "patient",
    "teach_back_done": True,
    "adverse_reaction": "none",
}

REFILL_ALLOWED = Decimal("123.83")
REFILL_ALLOWED_LABEL = "Example: Medicare 2024 national non-facility rate"


def charge_master(start: dt.date, codes: tuple[str, ...] | None = None) -> None:
    """The demo charges (or those of ``codes``) from ``start``, unless already there."""
    for code in CHARGES if codes is None else codes:
        description, charge = CHARGES[code]
        ChargeMasterItem.objects.get_or_create(
            code=code,
            effective_from=start,
            defaults={"description": description, "charge": charge},
        )


def refill_fee(payer: Payer, start: dt.date) -> None:
    """The payer's example allowed amount for 96521 from ``start``, unless already there."""
    FeeScheduleEntry.objects.get_or_create(
        payer=payer,
        code="96521",
        effective_from=start,
        defaults={"allowed_amount": REFILL_ALLOWED, "label": REFILL_ALLOWED_LABEL},
    )


# The drug catalogue: fluorouracil 50 mg/mL (Fresenius Kabi), billed as J9190 per 500 mg.
# NDC, package, mg in one package unit (mL), container.
FLUOROURACIL_NDCS = [
    ("63323011710", "500 mg/10 mL single-dose vial", "50", "single_dose"),
    ("63323011720", "1 g/20 mL single-dose vial", "50", "single_dose"),
    ("63323011751", "2.5 g/50 mL single-dose vial", "50", "single_dose"),
]


def drug_catalogue(start: dt.date) -> DrugCatalogueItem:
    """Fluorouracil in the catalogue from ``start``, with the NDCs stocked, unless already
    there."""
    fluorouracil, created = DrugCatalogueItem.objects.get_or_create(
        hcpcs="J9190",
        effective_from=start,
        defaults={
            "name": "fluorouracil",
            "billing_unit_mg": Decimal("500"),
            "charge_per_unit": Decimal("12.40"),
        },
    )
    if created:
        for ndc, description, mg_per_ml, container in FLUOROURACIL_NDCS:
            StockedNDC.objects.create(
                item=fluorouracil,
                ndc=ndc,
                description=description,
                package_unit=NdcUnit.ML,
                mg_per_package_unit=Decimal(mg_per_ml),
                container=container,
            )
    return fluorouracil
