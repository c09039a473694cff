"""`decide`: the rules of docs/billing-rules.md applied to one refill encounter.

Pure: facts in, decision out. Every line and every refusal cites the rule that produced it.
A `refill-facts/1` input gets a `refill-decision/1` answer (R01-R52 with R26); a `/2` input
also gets who rendered each line (R41-R44), the drug (R60-R64) and R27.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

from billing.engine.codes import (
    BILLING_PRACTITIONER_ROLES,
    CHEMO_INFUSION_INITIATION,
    EM_CODES,
    EM_ESTABLISHED_OF_SAME_LEVEL,
    EM_MINIMAL,
    EM_NEW_PATIENT,
    EXTERNAL_PUMP_REFILL,
    FACILITY_PLACES_OF_SERVICE,
    HOME_PLACE_OF_SERVICE,
    IMPLANTED_DEVICE_IRRIGATION,
    MEDICARE_CLINIC_PUMP_INITIATION,
    MODIFIER_DISCARDED_DRUG,
    MODIFIER_NO_DISCARDED_DRUG,
    MODIFIER_SEPARATE_EM,
    OFFICE_PLACE_OF_SERVICE,
    OTHER_CHEMO_ADMINISTRATION,
    PUMP_INITIATION_CODES,
    REFILL_CODE_BY_PUMP_TYPE,
    REFILL_CODES,
    REGISTERED_NURSE,
    ROLE_LABELS,
    STATUS_T_BLOOD_DRAWS,
)
from billing.engine.decision import (
    DENY,
    HOLD,
    INFO,
    NOT_BILLABLE,
    WARN,
    Decision,
    Finding,
    Line,
    status_for,
)
from billing.engine.diagnoses import claim_diagnoses
from billing.engine.facts import EXACT, RefillFacts, SameDayService

_by_rule = attrgetter("rule")
_JW = (MODIFIER_DISCARDED_DRUG,)
_MODIFIER_25 = (MODIFIER_SEPARATE_EM,)
_ZERO = Decimal(0)


def decide(facts: RefillFacts) -> Decision:
    """Decide which lines of a refill encounter are billed, and why."""
    refill_code = REFILL_CODE_BY_PUMP_TYPE[facts.pump.type]
    version = facts.version

    refusals = _refusals(facts, refill_code)
    if refusals:
        # A refused refill leaves nothing to document, diagnose or render on this claim, and
        # no drug line; any same-day E/M goes on its own visit claim outside this app.
        return Decision(NOT_BILLABLE, (), (), _ordered(refusals), None, version)

    findings: list[Finding] = []
    _service_selection(facts, refill_code, findings)
    billed_em = _same_day_services(facts, refill_code, findings)
    _documentation(facts, refill_code, findings)

    diagnoses = claim_diagnoses(
        facts.diagnoses, [service.diagnoses for service in billed_em], refill_code
    )
    findings += diagnoses.findings
    place = facts.place_of_service
    refill_pointers = diagnoses.refill_pointers

    supervising = None
    if version == 2:
        supervising = _supervising(facts, refill_code, findings)
    lines = [
        Line(refill_code, (), 1, place, refill_pointers, facts.charge_for(refill_code), supervising)
    ]
    if version == 2:
        lines += _drug_lines(facts, refill_pointers, supervising, findings)
    # At most one E/M is billed (R26).
    for service, pointers in zip(billed_em, diagnoses.em_pointers, strict=True):
        rendering = _em_rendering(facts, service, supervising, findings) if version == 2 else None
        lines.append(
            Line(
                service.code,
                _MODIFIER_25,
                1,
                place,
                pointers,
                facts.charge_for(service.code),
                rendering,
            )
        )
    billed = tuple(lines)
    ordered = _ordered(findings)
    return Decision(
        status_for(billed, ordered), diagnoses.codes, billed, ordered, supervising, version
    )


def _ordered(findings: list[Finding]) -> tuple[Finding, ...]:
    # Rule order reads like the catalogue; the sort is stable, so findings of one rule keep
    # the order of the services they concern.
    return tuple(sorted(findings, key=_by_rule))


# R01-R07: service selection -------------------------------------------------------------


def _refusals(facts: RefillFacts, refill_code: str) -> list[Finding]:
    refusals: list[Finding] = []
    service = facts.pump.service
    place = facts.place_of_service
    same_day_starts = [s.code for s in facts.same_day_services if s.code in PUMP_INITIATION_CODES]
    if service == "initiation" or same_day_starts:
        reason = (
            "the pump was started at this encounter"
            if service == "initiation"
            else f"{' and '.join(same_day_starts)} (pump start) is reported the same day"
        )
        refusals.append(
            Finding(
                "R03",
                DENY,
                refill_code,
                f"No refill is billed: {reason}, and the start includes the first fill. "
                f"Report {CHEMO_INFUSION_INITIATION} for the start (Medicare with a clinic-owned "
                f"pump: {MEDICARE_CLINIC_PUMP_INITIATION}) instead of {refill_code}.",
            )
        )
    if service == "flush_only":
        refusals.append(
            Finding(
                "R04",
                DENY,
                refill_code,
                f"No refill is billed: the pump was only flushed, not refilled. "
                f"{IMPLANTED_DEVICE_IRRIGATION} may be reported instead, and only when it is "
                "the sole service that day.",
            )
        )
    if place in FACILITY_PLACES_OF_SERVICE:
        refusals.append(
            Finding(
                "R06",
                DENY,
                refill_code,
                f"No refill is billed on this professional claim: place of service "
                f"{place} is a facility, where the practitioner does not report {refill_code}; "
                "the facility bills it on its own claim. Check the place of service; if it is "
                "right, nothing is billed here.",
            )
        )
    if place == HOME_PLACE_OF_SERVICE and facts.payer.is_medicare:
        refusals.append(
            Finding(
                "R07",
                DENY,
                refill_code,
                f"No refill is billed: a refill at the patient's home (place of service "
                f"{HOME_PLACE_OF_SERVICE}) falls under Medicare's home infusion benefit, not "
                "the practice claim. Route it to the home infusion supplier.",
            )
        )
    return refusals


def _service_selection(facts: RefillFacts, refill_code: str, findings: list[Finding]) -> None:
    drug = facts.drug
    findings.append(_refill_line_finding(refill_code, drug.name))
    if not drug.antineoplastic:
        findings.append(
            Finding(
                "R05",
                HOLD,
                refill_code,
                f"{drug.name} is not recorded as antineoplastic: {refill_code} covers "
                f"chemotherapy and highly complex drugs. Confirm the payer ({facts.payer.code}) "
                f"covers this drug under {refill_code} before release.",
            )
        )
    if facts.place_of_service == HOME_PLACE_OF_SERVICE:
        findings.append(
            Finding(
                "R07",
                HOLD,
                refill_code,
                f"Refill at the patient's home (place of service {HOME_PLACE_OF_SERVICE}): "
                f"confirm that {facts.payer.code} pays {refill_code} on the practice claim "
                "rather than under a home infusion benefit before release.",
            )
        )


# The findings below depend on a few values that repeat from one claim to the next: each one
# is built once and shared (findings are immutable).


@lru_cache(maxsize=1024)
def _refill_line_finding(refill_code: str, drug_name: str) -> Finding:
    if refill_code == EXTERNAL_PUMP_REFILL:
        return Finding(
            "R01",
            INFO,
            refill_code,
            f"{refill_code} x1, no modifier: refill and maintenance of a portable (external) pump "
            f"with {drug_name}.",
        )
    return Finding(
        "R02",
        INFO,
        refill_code,
        f"{refill_code} x1, no modifier, instead of 96521: the pump refilled is implanted.",
    )


@lru_cache(maxsize=256)
def _modifier_25_findings(code: str, role: str | None, refill_code: str) -> tuple[Finding, Finding]:
    """R20 and R25: the billed E/M carries modifier 25, the refill line none."""
    return (
        Finding(
            "R20",
            INFO,
            code,
            f"{code} is billed with modifier 25: a separately identifiable visit by "
            f"{ROLE_LABELS[role or REGISTERED_NURSE]} the same day as {refill_code}.",
        ),
        Finding(
            "R25",
            INFO,
            refill_code,
            f"{refill_code} carries no modifier: modifier 25 goes on the E/M line {code} only.",
        ),
    )


@lru_cache(maxsize=1024)
def _incident_to_finding(refill_code: str, key: str, role: str, npi: str | None) -> Finding:
    """R41 for the supervising practitioner `key` (the key is text: hashing the practitioner
    itself would cost more than the finding saves)."""
    return Finding(
        "R41",
        INFO,
        refill_code,
        f"{refill_code} is billed incident-to under {key} ({ROLE_LABELS[role]}, NPI {npi}), "
        "who supervised: the refill is a nurse's service.",
    )


@lru_cache(maxsize=256)
def _no_drug_modifier_finding(
    code: str, payer: str | None, container: str | None = None
) -> Finding:
    """R61 where neither JW nor JZ applies: another payer, a multi-dose container, or (a
    hold) Medicare without the container recorded."""
    if payer is not None:
        return Finding(
            "R61",
            INFO,
            code,
            f"{code} carries neither JW nor JZ: those modifiers are Medicare's, and {payer} is "
            "not Medicare.",
        )
    if container == "multi_dose":
        return Finding(
            "R61",
            INFO,
            code,
            f"{code} carries neither JW nor JZ: the drug came from a multi-dose container.",
        )
    return Finding(
        "R61",
        HOLD,
        code,
        f"Medicare wants JW or JZ on {code} from a single-dose container, and the container is "
        "not recorded, so neither can be chosen. Record whether the drug came from a single- or "
        "multi-dose container before release.",
    )


@lru_cache(maxsize=256)
def _nothing_wasted_finding(code: str, discarded: str) -> Finding:
    """R61 with JZ; `discarded` as written in the facts, "" when nothing was discarded (the
    key is text so that 100 and 100.0 each read as given)."""
    what = (
        f"the {discarded} mg discarded fits within the units rounded up"
        if discarded
        else "nothing was discarded"
    )
    return Finding(
        "R61",
        INFO,
        code,
        f"{code} carries modifier {MODIFIER_NO_DISCARDED_DRUG}: the drug came from a single-dose "
        f"container and {what}, as Medicare asks to be stated.",
    )


@lru_cache(maxsize=1024)
def _drug_line_finding(
    code: str, units: int, drug_name: str, dose: str, per_unit_mg: str, per_unit: str | None
) -> Finding:
    """R60; the amounts as written in the facts (text, so that 2400 and 2400.0 each read as
    given)."""
    return Finding(
        "R60",
        INFO,
        code,
        f"{code} x{units}: the practice supplied {drug_name}, {dose} mg at {per_unit_mg} mg "
        "per billing unit, rounded up; billed with the refill's diagnoses and rendering"
        + (
            f", at {per_unit} per unit."
            if per_unit is not None
            else f", without a charge: set the per-unit charge of {code} in the charge master."
        ),
    )


# R10-R14, R20-R27: same-day services --------------------------------------------------------


def _same_day_services(
    facts: RefillFacts, refill_code: str, findings: list[Finding]
) -> list[SameDayService]:
    """The findings on each same-day service, and the one E/M billed (none or one, R26)."""
    surviving: list[SameDayService] = []
    for service in facts.same_day_services:
        code = service.code
        if code in EM_CODES:
            denials = _em_denials(facts, service, refill_code)
            if denials:
                findings += denials
            else:
                surviving.append(service)
        elif code in REFILL_CODES:
            findings.append(
                Finding(
                    "R13",
                    DENY,
                    code,
                    f"{code} is listed again among same-day services: a pump refill is "
                    f"billed once a day, and this claim already bills {refill_code}. Remove "
                    "the duplicate entry.",
                )
            )
        elif code == IMPLANTED_DEVICE_IRRIGATION:
            findings.append(
                Finding(
                    "R10",
                    DENY,
                    code,
                    f"{code} (port irrigation) is not billed: it is reported only when it is "
                    f"the sole service that day, and {refill_code} was performed. Leave it off "
                    "this claim.",
                )
            )
        elif code in STATUS_T_BLOOD_DRAWS:
            findings.append(
                Finding(
                    "R11",
                    DENY,
                    code,
                    f"{code} (blood draw from a port or catheter) is not billed: status T "
                    "codes are not reported with other services the same day. Leave it off "
                    "this claim.",
                )
            )
        elif code in OTHER_CHEMO_ADMINISTRATION:
            findings.append(
                Finding(
                    "R12",
                    HOLD,
                    code,
                    f"Chemotherapy administration {code} the same day: the payer may bundle "
                    f"the refill into it. Check the payer's policy for {refill_code} with "
                    f"{code} before release.",
                )
            )
        else:
            findings.append(
                Finding(
                    "R14",
                    WARN,
                    code,
                    f"Same-day code {code} is not evaluated here; check it by hand against "
                    f"{refill_code}.",
                )
            )
    if not surviving:
        return []
    billed = max(surviving, key=_em_level)  # the first listed among the highest level
    for service in surviving:
        if service is not billed:
            findings.append(
                Finding(
                    "R26",
                    DENY,
                    service.code,
                    f"{service.code} is not billed: {billed.code} (level {_em_level(billed)}) "
                    f"is billed for the same day, and one practice bills one E/M a day. Make "
                    f"sure the {billed.code} note documents both visits and supports that level.",
                )
            )
    _billed_em(facts, billed, refill_code, findings)
    return [billed]


def _em_level(service: SameDayService) -> int:
    return int(service.code[-1])


def _em_denials(facts: RefillFacts, service: SameDayService, refill_code: str) -> list[Finding]:
    """R21-R23: why this E/M is not billed, or nothing when it may be."""
    code = service.code
    payer = facts.payer
    denials = []
    if code == EM_MINIMAL:
        # Where the payer does not allow 99211 with drug administration, R22 alone denies it.
        if payer.is_medicare:
            return [
                Finding(
                    "R22",
                    DENY,
                    code,
                    f"{code} is not billed: Medicare does not pay {code} with drug "
                    f"administration such as {refill_code} the same day, even with modifier 25. "
                    "Leave it off this claim.",
                )
            ]
        if not payer.allows_99211_with_drug_admin:
            return [
                Finding(
                    "R22",
                    DENY,
                    code,
                    f"{code} is not billed: {payer.code} does not allow {code} with drug "
                    f"administration such as {refill_code} the same day. Leave it off this "
                    "claim, or change the payer's policy if its contract allows it.",
                )
            ]
    elif service.performed_by_role not in BILLING_PRACTITIONER_ROLES:
        denials.append(
            Finding(
                "R23",
                DENY,
                code,
                f"{code} is not billed: it was performed by "
                f"{ROLE_LABELS[service.performed_by_role or REGISTERED_NURSE]}, who is not a "
                "billing practitioner for this level of visit. If a physician, NP or PA "
                "performed it, correct who performed it and decide again.",
            )
        )
    if not service.separately_identifiable:
        denials.append(
            Finding(
                "R21",
                DENY,
                code,
                f"{code} is not billed: it is not separately identifiable from the refill (for "
                f"example the nurse's pre-refill assessment), which {refill_code} already pays "
                "for. If the visit addressed a separate problem, record it as separately "
                "identifiable and decide again.",
            )
        )
    return denials


def _billed_em(
    facts: RefillFacts, service: SameDayService, refill_code: str, findings: list[Finding]
) -> None:
    """R20, R22 (99211 allowed), R24, R25 and R27 on the one E/M that is billed."""
    code = service.code
    payer = facts.payer
    findings += _modifier_25_findings(code, service.performed_by_role, refill_code)
    if code == EM_MINIMAL:
        findings.append(
            Finding(
                "R22",
                INFO,
                code,
                f"{code} is billed: {payer.code} allows {code} with drug administration when "
                "it is separately identifiable.",
            )
        )
    if payer.modifier25_requires_note:
        findings.append(
            Finding(
                "R24",
                WARN,
                code,
                f"{payer.code} requires the visit note with modifier-25 claims: attach the "
                f"{code} note when you send the claim.",
            )
        )
    if code in EM_NEW_PATIENT and facts.patient_established:
        established = EM_ESTABLISHED_OF_SAME_LEVEL[code]
        findings.append(
            Finding(
                "R27",
                HOLD,
                code,
                f"{code} is a new-patient visit, but the practice saw this patient in the "
                "three years before the date of service: bill an established-patient code "
                f"(99212-99215; {established} for the same level) before release.",
            )
        )


# R30-R40: documentation -------------------------------------------------------------------


def _documentation(facts: RefillFacts, refill_code: str, findings: list[Finding]) -> None:
    if not _fully_documented(facts):
        _documentation_gaps(facts, refill_code, findings)


def _documentation_gaps(facts: RefillFacts, refill_code: str, findings: list[Finding]) -> None:
    """One hold per documentation rule that fails (R31: per lab), naming what is missing."""
    doc = facts.documentation
    dos = facts.date_of_service
    drug = facts.drug

    def hold(rule: str, problems: str, what_to_do: str, *, what: str = "missing") -> None:
        findings.append(
            Finding(
                rule, HOLD, refill_code, f"{refill_code} on hold, {what}: {problems}. {what_to_do}"
            )
        )

    weight: list[str] = []
    if doc.weight_kg is None:
        weight.append("weight")
    if doc.weight_measured_on is None:
        weight.append("date the weight was measured")
    elif doc.weight_measured_on != dos:
        weight.append(f"weight measured on the date of service (it was {doc.weight_measured_on})")
    if weight:
        hold("R30", "; ".join(weight), "Record today's weight; the dose depends on it.")

    # One finding per lab that fails (R31 reading).
    for label, collected in (("CBC", doc.cbc_collected_on), ("CMP", doc.cmp_collected_on)):
        if collected is None:
            problem = label
        elif collected > dos:
            problem = f"{label} on or before the date of service (collected {collected})"
        elif (dos - collected).days > facts.lab_window_days:
            problem = (
                f"{label} within {facts.lab_window_days} days of the date of service "
                f"(collected {collected}, {(dos - collected).days} days before)"
            )
        else:
            continue
        hold("R31", problem, f"Record the {label} that cleared this refill.")

    if not _given(drug.lot) or drug.expires_on is None:
        missing = [
            label
            for label, absent in (
                ("drug lot number", not _given(drug.lot)),
                ("drug expiry date", drug.expires_on is None),
            )
            if absent
        ]
        hold("R32", "; ".join(missing), "Record them from the drug label.")

    if drug.expires_on is not None and drug.expires_on < dos:
        hold(
            "R33",
            f"lot {drug.lot or '(no lot)'} expired {drug.expires_on}, before the date of service",
            "Check the lot recorded; if it is right, report the expired drug given.",
            what="drug expired",
        )

    clinicians = {name.strip().casefold() for name in doc.verified_by if name.strip()}
    if len(clinicians) < 2:
        hold(
            "R34",
            f"second verifying clinician (only {len(clinicians)} distinct verifier recorded)",
            "Two distinct clinicians must verify the drug and pump.",
        )

    if not (doc.pump_programmed and doc.pump_primed and doc.pump_function_verified):
        steps = [
            step
            for step, done in (
                ("pump programmed", doc.pump_programmed),
                ("pump primed", doc.pump_primed),
                ("pump function verified", doc.pump_function_verified),
            )
            if not done
        ]
        hold("R35", "; ".join(steps), "Document each pump step performed.")

    teaching = doc.teaching
    if not (teaching.alarms and teaching.site_care):
        topics = [
            topic
            for topic, done in (
                ("teaching on pump alarms", teaching.alarms),
                ("teaching on site care", teaching.site_care),
            )
            if not done
        ]
        hold("R36", "; ".join(topics), "Document the patient education given.")

    started = doc.infusion_started_at
    if started is None:
        hold("R37", "infusion start time", "Record when this infusion started.")
    elif started.date() != dos:
        hold(
            "R37",
            f"infusion start on the date of service (started {started.isoformat()}, local "
            f"date {started.date()})",
            "Record when this infusion started.",
        )

    if not _given(doc.adverse_reaction):
        hold("R38", "answer on adverse reaction", 'Record any reaction, or "none".')

    if not _given(doc.signed_by):
        hold("R39", "clinician signature", "The documenting nurse must sign the refill note.")

    if _r40_applies(facts) and not _given(doc.supervising_practitioner):
        hold(
            "R40",
            "supervising practitioner (Medicare office service, direct supervision)",
            "Record the practitioner who supervised.",
        )


def _fully_documented(facts: RefillFacts) -> bool:
    """R30-R40 all pass: the common case, checked in one go (the rules above say why not)."""
    doc = facts.documentation
    dos = facts.date_of_service
    drug = facts.drug
    cbc, cmp, started = doc.cbc_collected_on, doc.cmp_collected_on, doc.infusion_started_at
    window = facts.lab_window_days
    verified_by = doc.verified_by
    if len(verified_by) != 2:
        return False
    first, second = verified_by[0].strip(), verified_by[1].strip()
    teaching = doc.teaching
    # _given written out: this runs for every decision.
    lot, reaction, signed = drug.lot, doc.adverse_reaction, doc.signed_by
    return (
        doc.weight_kg is not None
        and doc.weight_measured_on == dos
        and cbc is not None
        and cbc <= dos
        and (dos - cbc).days <= window
        and cmp is not None
        and cmp <= dos
        and (dos - cmp).days <= window
        and lot is not None
        and lot.strip() != ""
        and drug.expires_on is not None
        and drug.expires_on >= dos
        and first != ""
        and second != ""
        and first.casefold() != second.casefold()
        and doc.pump_programmed
        and doc.pump_primed
        and doc.pump_function_verified
        and teaching.alarms
        and teaching.site_care
        and started is not None
        and started.date() == dos
        and reaction is not None
        and reaction.strip() != ""
        and signed is not None
        and signed.strip() != ""
        and (_given(doc.supervising_practitioner) or not _r40_applies(facts))
    )


def _r40_applies(facts: RefillFacts) -> bool:
    return facts.payer.is_medicare and facts.place_of_service == OFFICE_PLACE_OF_SERVICE


def _given(text: str | None) -> bool:
    return text is not None and bool(text.strip())


# R41-R44: who rendered each line (refill-facts/2) ---------------------------------------------


def _supervising(facts: RefillFacts, refill_code: str, findings: list[Finding]) -> str | None:
    """R41, R42, R44: the supervising practitioner's key when accepted, else None."""
    named = facts.documentation.supervising_practitioner
    if named is None or not named.strip():
        if not _r40_applies(facts):  # where R40 applies, it holds the claim instead
            findings.append(
                Finding(
                    "R44",
                    WARN,
                    refill_code,
                    f"No supervising practitioner is recorded: {refill_code} goes out under the "
                    "billing provider alone, and most payers want an individual NPI. Record "
                    "the practitioner who supervised the refill.",
                )
            )
        return None
    practitioner = facts.practitioner(named)
    if practitioner is None:
        problems = ["is not among the practitioners the facts name"]
    else:
        problems = []
        if practitioner.role == REGISTERED_NURSE:
            problems.append("is a registered nurse, who cannot supervise incident-to billing")
        if practitioner.npi is None:
            problems.append("has no NPI")
    if practitioner is None or problems:
        findings.append(
            Finding(
                "R42",
                HOLD,
                refill_code,
                f"The supervising practitioner {named.strip()} {' and '.join(problems)}, so "
                f"{refill_code} and its drug line have no rendering practitioner. Record a "
                "supervising physician, nurse practitioner or physician assistant with an "
                "NPI (or correct the name) before release.",
            )
        )
        return None
    findings.append(
        _incident_to_finding(refill_code, practitioner.key, practitioner.role, practitioner.npi)
    )
    return practitioner.key


def _em_rendering(
    facts: RefillFacts, service: SameDayService, supervising: str | None, findings: list[Finding]
) -> str | None:
    """R43: who the billed E/M line is billed under, or None with a hold."""
    role = service.performed_by_role or REGISTERED_NURSE
    # A registered nurse's E/M (a 99211 that R22 allows) is billed incident-to, like the
    # refill line, and needs no NPI of the nurse's own.
    incident_to = role == REGISTERED_NURSE
    named = service.performed_by
    practitioner = None if named is None or not named.strip() else facts.practitioner(named)
    problems: list[str] = []
    if named is None or not named.strip():
        problems.append("does not say who performed it")
    elif practitioner is None:
        problems.append(f"was performed by {named.strip()}, who is not among the practitioners")
    else:
        if practitioner.role != role:
            problems.append(
                f"was performed by {practitioner.key}, who is {ROLE_LABELS[practitioner.role]} "
                f"in the practitioners while the visit says {ROLE_LABELS[role]}"
            )
        if practitioner.npi is None and not incident_to:
            problems.append(f"was performed by {practitioner.key}, who has no NPI")
    if problems or practitioner is None:
        findings.append(
            Finding(
                "R43",
                HOLD,
                service.code,
                f"{service.code} has no rendering practitioner: it {'; it '.join(problems)}. "
                "Record who performed the visit, with their NPI and role, before release.",
            )
        )
        return None
    return supervising if incident_to else practitioner.key


# R60-R64: the drug (refill-facts/2) ---------------------------------------------------------


def _drug_lines(
    facts: RefillFacts,
    pointers: tuple[int, ...],
    rendering: str | None,
    findings: list[Finding],
) -> list[Line]:
    drug = facts.drug
    if drug.supplied_by_practice is None:
        return []
    if not drug.supplied_by_practice:
        findings.append(
            Finding(
                "R64",
                INFO,
                drug.hcpcs,
                f"No drug line: the practice did not supply {drug.name}, so only the refill "
                "is billed.",
            )
        )
        return []
    code, per_unit_mg, dose = drug.hcpcs, drug.hcpcs_unit_mg, drug.dose_mg
    if code is None or per_unit_mg is None or dose is None:
        missing = _unrecorded(
            ("its HCPCS code", code),
            ("the amount one billing unit describes", per_unit_mg),
            ("the dose put in the pump", dose),
        )
        findings.append(
            Finding(
                "R63",
                HOLD,
                code,
                f"The practice supplied {drug.name}, but no drug line can be built without "
                f"{', '.join(missing)}. Map the drug to its HCPCS code and billing unit in the "
                "charge master and record the dose before release.",
            )
        )
        return []

    # Exact arithmetic on fractions: decimal arithmetic would round to its context's precision.
    dose_n, dose_d = dose.as_integer_ratio()
    unit_n, unit_d = per_unit_mg.as_integer_ratio()
    units = _ceil_div(dose_n * unit_d, dose_d * unit_n)
    discarded = drug.discarded_mg if drug.discarded_mg is not None else _ZERO
    per_unit = facts.charge_for(code)
    modifiers: tuple[str, ...] = ()
    wasted_units = 0
    if not facts.payer.is_medicare:
        findings.append(_no_drug_modifier_finding(code, facts.payer.code))
    elif drug.container != "single_dose":
        findings.append(_no_drug_modifier_finding(code, None, drug.container))
    else:
        waste_n, waste_d = discarded.as_integer_ratio()
        total = _ceil_div((dose_n * waste_d + waste_n * dose_d) * unit_d, dose_d * waste_d * unit_n)
        if total > units:
            wasted_units = total - units
            findings.append(
                Finding(
                    "R61",
                    INFO,
                    code,
                    f"{discarded!s} mg of {drug.name} from a single-dose container was discarded: "
                    f"Medicare pays it on a second {code} line with modifier "
                    f"{MODIFIER_DISCARDED_DRUG}, {wasted_units} unit(s) ({total} units in all, "
                    f"{units} given).",
                )
            )
        else:
            modifiers = (MODIFIER_NO_DISCARDED_DRUG,)
            findings.append(_nothing_wasted_finding(code, str(discarded) if discarded else ""))

    charge = _charge(per_unit, units)
    findings.append(
        _drug_line_finding(
            code,
            units,
            drug.name,
            str(dose),
            str(per_unit_mg),
            None if per_unit is None else str(per_unit),
        )
    )
    place, ndc, quantity, ndc_unit = (
        facts.place_of_service,
        drug.ndc,
        drug.ndc_quantity,
        drug.ndc_unit,
    )
    lines = [
        Line(
            code,
            modifiers,
            units,
            place,
            pointers,
            charge,
            rendering,
            True,
            ndc,
            quantity,
            ndc_unit,
        )
    ]
    if wasted_units:
        # The NDC quantity discarded: ndc_quantity x discarded / dose, half up to 3 decimals.
        wasted_quantity = None
        if quantity is not None:
            quantity_n, quantity_d = quantity.as_integer_ratio()
            numerator = quantity_n * waste_n * dose_d * 1000
            denominator = quantity_d * waste_d * dose_n
            wasted_quantity = Decimal(f"{(2 * numerator + denominator) // (2 * denominator)}E-3")
        lines.append(
            Line(
                code,
                _JW,
                wasted_units,
                place,
                pointers,
                _charge(per_unit, wasted_units),
                rendering,
                True,
                ndc,
                wasted_quantity,
                ndc_unit,
            )
        )
    if drug.ndc is None or drug.ndc_quantity is None or drug.ndc_unit is None:
        missing = _unrecorded(
            ("NDC", drug.ndc), ("NDC quantity", drug.ndc_quantity), ("NDC unit", drug.ndc_unit)
        )
        findings.append(
            Finding(
                "R62",
                HOLD,
                code,
                f"The {code} line has no {', '.join(missing)}: payers want the NDC of the "
                "drug given on drug lines. Record the NDC used, its quantity and unit before "
                "release.",
            )
        )
    return lines


def _unrecorded(*named: tuple[str, object]) -> list[str]:
    """The names, in order, of the values the facts leave out (None)."""
    return [name for name, value in named if value is None]


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _charge(per_unit: Decimal | None, units: int) -> Decimal | None:
    """The per-unit charge (whole cents) times the units, exactly."""
    if per_unit is None:
        return None
    return EXACT.multiply(per_unit, units)
