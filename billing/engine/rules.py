"""`decide`: rules R01-R52 of shared/domain/billing-rules.md applied to one refill encounter.

Pure: facts in, decision out. Every line and every refusal cites the rule that produced it.
"""

from __future__ import annotations

from billing.engine.codes import (
    BILLING_PRACTITIONER_ROLES,
    CHEMO_INFUSION_INITIATION,
    EM_MINIMAL,
    FACILITY_PLACES_OF_SERVICE,
    HOME_PLACE_OF_SERVICE,
    IMPLANTED_DEVICE_IRRIGATION,
    MEDICARE_CLINIC_PUMP_INITIATION,
    MODIFIER_SEPARATE_EM,
    OFFICE_PLACE_OF_SERVICE,
    OTHER_CHEMO_ADMINISTRATION,
    PUMP_INITIATION_CODES,
    REFILL_CODE_BY_PUMP_TYPE,
    REFILL_CODES,
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
from billing.engine.facts import RefillFacts, SameDayService


def decide(facts: RefillFacts) -> Decision:
    """Decide which lines of a refill encounter are billed, and why."""
    refill_code = REFILL_CODE_BY_PUMP_TYPE[facts.pump.type]

    refusals = _refusals(facts, refill_code)
    if refusals:
        # A refused refill leaves nothing to document or diagnose on this claim; any same-day
        # E/M goes on its own visit claim outside this app.
        return Decision(NOT_BILLABLE, (), (), _ordered(refusals))

    findings = _service_selection(facts, refill_code)
    billed_em, same_day_findings = _same_day_services(facts, refill_code)
    findings += same_day_findings
    findings += _documentation(facts, refill_code)

    diagnoses = claim_diagnoses(facts.diagnoses, billed_em, refill_code)
    findings += diagnoses.findings

    lines = [
        Line(
            code=refill_code,
            modifiers=(),
            units=1,
            place_of_service=facts.place_of_service,
            diagnosis_pointers=diagnoses.refill_pointers,
            charge=facts.charge_for(refill_code),
        )
    ]
    lines += [
        Line(
            code=service.code,
            modifiers=(MODIFIER_SEPARATE_EM,),
            units=1,
            place_of_service=facts.place_of_service,
            diagnosis_pointers=pointers,
            charge=facts.charge_for(service.code),
        )
        for service, pointers in zip(billed_em, diagnoses.em_pointers, strict=True)
    ]
    ordered = _ordered(findings)
    return Decision(
        status=status_for(tuple(lines), ordered),
        diagnoses=diagnoses.codes,
        lines=tuple(lines),
        findings=ordered,
    )


def _ordered(findings: list[Finding]) -> tuple[Finding, ...]:
    # Rule order reads like the catalogue; the sort is stable, so findings of one rule keep
    # the order of the services they concern.
    return tuple(sorted(findings, key=lambda finding: finding.rule))


def _refusals(facts: RefillFacts, refill_code: str) -> list[Finding]:
    refusals: list[Finding] = []
    same_day_starts = [s.code for s in facts.same_day_services if s.code in PUMP_INITIATION_CODES]
    if facts.pump.service == "initiation" or same_day_starts:
        reason = (
            "the pump was started at this encounter"
            if facts.pump.service == "initiation"
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
    if facts.pump.service == "flush_only":
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
    if facts.place_of_service in FACILITY_PLACES_OF_SERVICE:
        refusals.append(
            Finding(
                "R06",
                DENY,
                refill_code,
                f"No refill is billed on this professional claim: place of service "
                f"{facts.place_of_service} is a facility, where the practitioner does not "
                f"report {refill_code}; the facility bills it on its own claim.",
            )
        )
    if facts.place_of_service == HOME_PLACE_OF_SERVICE and facts.payer.is_medicare:
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


def _service_selection(facts: RefillFacts, refill_code: str) -> list[Finding]:
    if facts.pump.type == "external":
        findings = [
            Finding(
                "R01",
                INFO,
                refill_code,
                f"{refill_code} x1, no modifier: refill and maintenance of a portable "
                f"(external) pump with {facts.drug.name or 'the drug'}.",
            )
        ]
    else:
        findings = [
            Finding(
                "R02",
                INFO,
                refill_code,
                f"{refill_code} x1, no modifier, instead of 96521: the pump refilled is implanted.",
            )
        ]
    if not facts.drug.antineoplastic:
        findings.append(
            Finding(
                "R05",
                HOLD,
                refill_code,
                f"{facts.drug.name or 'The drug'} is not recorded as antineoplastic: "
                f"{refill_code} covers chemotherapy and highly complex drugs. Confirm the "
                f"payer ({facts.payer.code}) covers this drug under {refill_code} before "
                "release.",
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
    return findings


def _same_day_services(
    facts: RefillFacts, refill_code: str
) -> tuple[list[SameDayService], list[Finding]]:
    billed_em: list[SameDayService] = []
    findings: list[Finding] = []
    for service in facts.same_day_services:
        code = service.code
        if service.is_em:
            em_findings, billed = _em_service(facts, service, refill_code)
            findings += em_findings
            if billed:
                billed_em.append(service)
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
                    f"the sole service that day, and {refill_code} was performed.",
                )
            )
        elif code in STATUS_T_BLOOD_DRAWS:
            findings.append(
                Finding(
                    "R11",
                    DENY,
                    code,
                    f"{code} (blood draw from a port or catheter) is not billed: status T "
                    "codes are not reported with other services the same day.",
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
    return billed_em, findings


def _em_service(
    facts: RefillFacts, service: SameDayService, refill_code: str
) -> tuple[list[Finding], bool]:
    code = service.code
    if code == EM_MINIMAL:
        return _minimal_em(facts, service, refill_code)

    findings: list[Finding] = []
    if service.performed_by_role not in BILLING_PRACTITIONER_ROLES:
        findings.append(
            Finding(
                "R23",
                DENY,
                code,
                f"{code} is not billed: it was performed by "
                f"{ROLE_LABELS[service.performed_by_role or 'registered_nurse']}, who is not a "
                "billing practitioner for this level of visit.",
            )
        )
    if not service.separately_identifiable:
        findings.append(_not_separately_identifiable(code, refill_code))
    if findings:
        return findings, False
    return _billed_em(facts, service, refill_code), True


def _minimal_em(
    facts: RefillFacts, service: SameDayService, refill_code: str
) -> tuple[list[Finding], bool]:
    code = service.code
    if facts.payer.is_medicare:
        return [
            Finding(
                "R22",
                DENY,
                code,
                f"{code} is not billed: Medicare does not pay {code} with drug administration "
                f"such as {refill_code} the same day, even with modifier 25.",
            )
        ], False
    if not facts.payer.allows_99211_with_drug_admin:
        return [
            Finding(
                "R22",
                DENY,
                code,
                f"{code} is not billed: {facts.payer.code} does not allow {code} with drug "
                f"administration such as {refill_code} the same day.",
            )
        ], False
    if not service.separately_identifiable:
        return [_not_separately_identifiable(code, refill_code)], False
    allowed = Finding(
        "R22",
        INFO,
        code,
        f"{code} is billed: {facts.payer.code} allows {code} with drug administration when "
        "it is separately identifiable.",
    )
    return [allowed, *_billed_em(facts, service, refill_code)], True


def _not_separately_identifiable(code: str, refill_code: str) -> Finding:
    return Finding(
        "R21",
        DENY,
        code,
        f"{code} is not billed: it is not separately identifiable from the refill (for "
        f"example the nurse's pre-refill assessment), which {refill_code} already pays for.",
    )


def _billed_em(facts: RefillFacts, service: SameDayService, refill_code: str) -> list[Finding]:
    code = service.code
    findings = [
        Finding(
            "R20",
            INFO,
            code,
            f"{code} is billed with modifier 25: a separately identifiable visit by "
            f"{ROLE_LABELS.get(service.performed_by_role or '', 'the practitioner')} the same "
            f"day as {refill_code}.",
        ),
        Finding(
            "R25",
            INFO,
            refill_code,
            f"{refill_code} carries no modifier: modifier 25 goes on the E/M line {code} only.",
        ),
    ]
    if facts.payer.modifier25_requires_note:
        findings.append(
            Finding(
                "R24",
                WARN,
                code,
                f"{facts.payer.code} requires the visit note with modifier-25 claims: attach "
                f"the {code} note when you send the claim.",
            )
        )
    return findings


def _documentation(facts: RefillFacts, refill_code: str) -> list[Finding]:
    doc = facts.documentation
    dos = facts.date_of_service
    # (rule, what is missing or wrong, what to do); a rule with nothing listed passes.
    checks: list[tuple[str, list[str], str]] = []

    weight: list[str] = []
    if doc.weight_kg is None:
        weight.append("weight")
    if doc.weight_measured_on is None:
        weight.append("date the weight was measured")
    elif doc.weight_measured_on != dos:
        weight.append(f"weight measured on the date of service (it was {doc.weight_measured_on})")
    checks.append(("R30", weight, "Record today's weight; the dose depends on it."))

    labs: list[str] = []
    for label, collected in (("CBC", doc.cbc_collected_on), ("CMP", doc.cmp_collected_on)):
        if collected is None:
            labs.append(label)
        elif collected > dos:
            labs.append(f"{label} on or before the date of service (collected {collected})")
        elif (dos - collected).days > facts.lab_window_days:
            labs.append(
                f"{label} within {facts.lab_window_days} days of the date of service "
                f"(collected {collected}, {(dos - collected).days} days before)"
            )
    checks.append(("R31", labs, "Record labs that cleared this refill."))

    drug: list[str] = []
    if not _given(facts.drug.lot):
        drug.append("drug lot number")
    if facts.drug.expires_on is None:
        drug.append("drug expiry date")
    checks.append(("R32", drug, "Record them from the drug label."))

    expired: list[str] = []
    if facts.drug.expires_on is not None and facts.drug.expires_on < dos:
        expired.append(
            f"lot {facts.drug.lot or '(no lot)'} expired {facts.drug.expires_on}, before the "
            "date of service"
        )
    checks.append(
        ("R33", expired, "Check the lot recorded; if it is right, report the expired drug given.")
    )

    clinicians = {name.strip().casefold() for name in doc.verified_by if name.strip()}
    verifiers = (
        [f"second verifying clinician (only {len(clinicians)} distinct verifier recorded)"]
        if len(clinicians) < 2
        else []
    )
    checks.append(("R34", verifiers, "Two distinct clinicians must verify the drug and pump."))

    pump = [
        step
        for step, done in (
            ("pump programmed", doc.pump_programmed),
            ("pump primed", doc.pump_primed),
            ("pump function verified", doc.pump_function_verified),
        )
        if not done
    ]
    checks.append(("R35", pump, "Document each pump step performed."))

    teaching = [
        topic
        for topic, done in (
            ("teaching on pump alarms", doc.teaching.alarms),
            ("teaching on site care", doc.teaching.site_care),
        )
        if not done
    ]
    checks.append(("R36", teaching, "Document the patient education given."))

    start: list[str] = []
    if doc.infusion_started_at is None:
        start.append("infusion start time")
    elif doc.infusion_started_at.date() != dos:
        start.append(
            f"infusion start on the date of service (started "
            f"{doc.infusion_started_at.isoformat()}, local date "
            f"{doc.infusion_started_at.date()})"
        )
    checks.append(("R37", start, "Record when this infusion started."))

    reaction = [] if _given(doc.adverse_reaction) else ["answer on adverse reaction"]
    checks.append(("R38", reaction, 'Record any reaction, or "none".'))

    signature = [] if _given(doc.signed_by) else ["clinician signature"]
    checks.append(("R39", signature, "The documenting nurse must sign the refill note."))

    supervision: list[str] = []
    if (
        facts.payer.is_medicare
        and facts.place_of_service == OFFICE_PLACE_OF_SERVICE
        and not _given(doc.supervising_practitioner)
    ):
        supervision.append("supervising practitioner (Medicare office service, direct supervision)")
    checks.append(("R40", supervision, "Record the practitioner who supervised."))

    return [
        Finding(
            rule,
            HOLD,
            refill_code,
            f"{refill_code} on hold, {'drug expired' if rule == 'R33' else 'missing'}: "
            f"{'; '.join(problems)}. {what_to_do}",
        )
        for rule, problems, what_to_do in checks
        if problems
    ]


def _given(text: str | None) -> bool:
    return text is not None and bool(text.strip())
