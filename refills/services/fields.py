"""Which encounter fields each way of writing an encounter may touch."""

from __future__ import annotations

from refills import blind

# Fields the nurse enters on the encounter form (and nothing else: status, verification
# and signature change only through their own services).
ENCOUNTER_FIELDS = (
    "date_of_service",
    "place_of_service",
    "supervising_practitioner",
    "weight_kg",
    "weight_measured_on",
    "cbc_collected_on",
    "cmp_collected_on",
    "anc",
    "platelets",
    "creatinine",
    "tolerance_notes",
    "drug_name",
    "drug_antineoplastic",
    "drug_concentration_mg_ml",
    "drug_dose_mg",
    "drug_volume_ml",
    "drug_ndc",
    "drug_discarded_mg",
    "drug_supplied_by_practice",
    "drug_lot",
    "drug_expires_on",
    "pump_type",
    "pump_model",
    "pump_serial",
    "service",
    "rate_ml_h",
    "pump_volume_ml",
    "pump_programmed",
    "pump_primed",
    "pump_function_verified",
    "teaching_alarms",
    "teaching_site_care",
    "taught_person",
    "teach_back_done",
    "infusion_started_at",
    "adverse_reaction",
    "port_flush",
    "blood_draw",
    "other_chemo",
)

# The values the second clinician enters blind, compared with the first entry.
BLIND_CHECK_FIELDS = blind.BLIND_CHECK_FIELDS

# The pump and teaching checklist: what the nurse ticks as done.
CHECKLIST_FIELDS = (
    "pump_programmed",
    "pump_primed",
    "pump_function_verified",
    "teaching_alarms",
    "teaching_site_care",
    "teach_back_done",
)

# What an addendum may correct or complete after signing. Everything else is fixed by the
# signature; a correction of those is a new encounter.
CORRECTABLE_FIELDS = ("cbc_collected_on", "cmp_collected_on", *CHECKLIST_FIELDS, "adverse_reaction")
