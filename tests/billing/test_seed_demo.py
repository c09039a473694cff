"""The demo data holds a claim of every kind a biller meets, ready to approve."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from billing.models import Claim, DrugCatalogueItem
from refills.models import ClinicianProfile, Encounter

pytestmark = pytest.mark.django_db


def seeded() -> dict[str, Claim]:
    call_command("seed_demo", stdout=io.StringIO())
    return {
        claim.patient.mrn: claim
        for claim in Claim.objects.exclude(status="void").select_related("patient", "payer")
    }


def billed(claim: Claim) -> list[tuple]:
    return [
        (line["code"], line["modifiers"], line["units"], line["rendering"])
        for line in claim.decision["lines"]
    ]


def test_the_demo_has_a_claim_of_each_kind():
    claims = seeded()

    examples = {mrn: claims[mrn] for mrn in ("MRN10013", "MRN10014", "MRN10015", "MRN10016")}
    assert {mrn: (c.payer.code, c.status) for mrn, c in examples.items()} == {
        "MRN10013": ("MEDICARE", "ready"),
        "MRN10014": ("BCBS", "ready"),
        "MRN10015": ("MEDICARE", "ready"),
        "MRN10016": ("UHC", "ready"),
    }
    # An NP's E/M beside a refill a physician supervised; nothing discarded: JZ.
    assert billed(claims["MRN10013"]) == [
        ("96521", [], 1, "dr.okafor"),
        ("J9190", ["JZ"], 5, "dr.okafor"),
        ("99214", ["25"], 1, "np.patel"),
    ]
    # A PA's E/M; a commercial payer's drug line carries neither JW nor JZ.
    assert billed(claims["MRN10014"]) == [
        ("96521", [], 1, "dr.okafor"),
        ("J9190", [], 4, "dr.okafor"),
        ("99213", ["25"], 1, "pa.ruiz"),
    ]
    # 500 mg of a 2.5 g single-dose vial thrown away: a JW line.
    assert billed(claims["MRN10015"]) == [
        ("96521", [], 1, "dr.okafor"),
        ("J9190", [], 4, "dr.okafor"),
        ("J9190", ["JW"], 1, "dr.okafor"),
    ]
    assert claims["MRN10015"].decision["lines"][1]["ndc"] == "63323011751"
    # The patient brought the drug: the refill alone.
    assert billed(claims["MRN10016"]) == [("96521", [], 1, "dr.okafor")]
    # Secondary coverage only.
    secondary = claims["MRN10017"]
    assert (secondary.payer.code, secondary.coverage.priority) == ("AETNA", 2)
    # Each payer has a claim that is ready.
    ready = {c.payer.code for c in claims.values() if c.status == "ready"}
    assert ready >= {"MEDICARE", "AETNA", "BCBS", "CIGNA", "UHC"}


def test_the_demo_providers_and_drug_catalogue_are_complete():
    seeded()

    providers = ClinicianProfile.objects.filter(user__groups__name="Provider")
    for profile in providers:
        profile.full_clean()  # NPI, taxonomy and a billing credential
    assert sorted(providers.values_list("user__username", "credential")) == [
        ("dr.okafor", "MD"),
        ("np.patel", "NP"),
        ("pa.ruiz", "PA"),
    ]
    item = DrugCatalogueItem.objects.get()
    assert (item.name, item.hcpcs, str(item.billing_unit_mg)) == (
        "fluorouracil",
        "J9190",
        "500.000",
    )
    assert sorted(item.ndcs.values_list("ndc", flat=True)) == [
        "63323011710",
        "63323011720",
        "63323011751",
    ]


def test_running_the_demo_twice_adds_nothing():
    seeded()
    encounters, claims = Encounter.objects.count(), Claim.objects.count()

    seeded()

    assert (Encounter.objects.count(), Claim.objects.count()) == (encounters, claims)
