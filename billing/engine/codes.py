"""Code tables the rules read, named after the rule text in docs/billing-rules.md."""

from __future__ import annotations

EXTERNAL_PUMP_REFILL = "96521"
IMPLANTED_PUMP_REFILL = "96522"
REFILL_CODES = frozenset({EXTERNAL_PUMP_REFILL, IMPLANTED_PUMP_REFILL})
REFILL_CODE_BY_PUMP_TYPE = {
    "external": EXTERNAL_PUMP_REFILL,
    "implanted": IMPLANTED_PUMP_REFILL,
}

IMPLANTED_DEVICE_IRRIGATION = "96523"
CHEMO_INFUSION_INITIATION = "96416"
MEDICARE_CLINIC_PUMP_INITIATION = "G0498"
PUMP_INITIATION_CODES = frozenset({CHEMO_INFUSION_INITIATION, MEDICARE_CLINIC_PUMP_INITIATION})
# R12 names exactly these five; 96416 belongs to R03 and the rest of 96409-96417 are not codes.
OTHER_CHEMO_ADMINISTRATION = frozenset({"96409", "96411", "96413", "96415", "96417"})
STATUS_T_BLOOD_DRAWS = frozenset({"36591", "36592"})

EM_NEW_PATIENT = frozenset({"99202", "99203", "99204", "99205"})
EM_MINIMAL = "99211"
EM_ESTABLISHED = frozenset({EM_MINIMAL, "99212", "99213", "99214", "99215"})
EM_CODES = EM_NEW_PATIENT | EM_ESTABLISHED
# R27: the established-patient code of the same level as each new-patient code.
EM_ESTABLISHED_OF_SAME_LEVEL = {
    "99202": "99212",
    "99203": "99213",
    "99204": "99214",
    "99205": "99215",
}
MODIFIER_SEPARATE_EM = "25"
# R61: discarded drug billed on its own line (JW); nothing discarded (JZ).
MODIFIER_DISCARDED_DRUG = "JW"
MODIFIER_NO_DISCARDED_DRUG = "JZ"
DRUG_MODIFIERS = frozenset({MODIFIER_DISCARDED_DRUG, MODIFIER_NO_DISCARDED_DRUG})

BILLING_PRACTITIONER_ROLES = frozenset({"physician", "nurse_practitioner", "physician_assistant"})
REGISTERED_NURSE = "registered_nurse"
ROLE_LABELS = {
    "physician": "a physician",
    "nurse_practitioner": "a nurse practitioner",
    "physician_assistant": "a physician assistant",
    REGISTERED_NURSE: "a registered nurse",
}

FACILITY_PLACES_OF_SERVICE = frozenset({"19", "21", "22", "23"})
HOME_PLACE_OF_SERVICE = "12"
OFFICE_PLACE_OF_SERVICE = "11"

CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS = "Z51.11"
MAX_CLAIM_DIAGNOSES = 12
MAX_POINTERS_PER_LINE = 4

# Every rule ID of the catalogue; a finding cites one of these and nothing else.
RULE_IDS = frozenset(
    f"R{number:02d}"
    for number in (
        *range(1, 8),
        *range(10, 15),
        *range(20, 28),
        *range(30, 45),
        *range(50, 53),
        *range(60, 65),
    )
)
