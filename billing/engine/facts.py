"""The engine's input: `refill-facts/1` and `/2` as frozen dataclasses, and the one door in.

`parse_facts` is the only way from JSON-like data into the engine, so every shape and type
check lives here and the rules can trust what they are given. Whatever it is handed, it
returns facts or raises `SchemaError`: never another exception.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Context, Decimal, Inexact, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from billing.engine.codes import (
    EM_CODES,
    IMPLANTED_DEVICE_IRRIGATION,
    OTHER_CHEMO_ADMINISTRATION,
    PUMP_INITIATION_CODES,
    REFILL_CODES,
    STATUS_T_BLOOD_DRAWS,
)
from billing.engine.values import value_object

FACTS_SCHEMA = "refill-facts/1"
FACTS_SCHEMA_V2 = "refill-facts/2"
SCHEMA_VERSIONS = {FACTS_SCHEMA: 1, FACTS_SCHEMA_V2: 2}
DEFAULT_LAB_WINDOW_DAYS = 7

CLAIM_TYPES = ("professional",)
PROGRAMS = ("medicare", "commercial")
PUMP_TYPES = ("external", "implanted")
PUMP_SERVICES = ("refill", "initiation", "flush_only")
PERFORMER_ROLES = (
    "physician",
    "nurse_practitioner",
    "physician_assistant",
    "registered_nurse",
)
CONTAINERS = ("single_dose", "multi_dose")
NDC_UNITS = ("UN", "ML", "GR", "F2", "ME")
MAX_WEIGHT_KG = 1000

# Every pattern is matched whole (fullmatch) and reads ASCII digits only.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"T([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]+))?)?"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
# A charge master amount: at most nine digits and cents; exponents, signs and NaN are refused
# so that what the biller typed is exactly what reaches the claim.
_CHARGE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{0,2})?")
_NPI = re.compile(r"[0-9]{10}")
_NDC = re.compile(r"[0-9]{11}")
# What an object and a list of JSON may be read as (a tuple of types checks faster than a
# union written at each call).
_OBJECT_TYPES = (dict, Mapping)
_LIST_TYPES = (list, tuple)
_PLACES_OF_SERVICE = frozenset(f"{number:02d}" for number in range(100))
_CENTS = Decimal("0.01")
# The empty lookup (by code, by practitioner): lookups are shared between facts read from the
# same charges or practitioners, and never changed.
_NOTHING: Mapping[str, Any] = {}
# Decimal arithmetic for money, whatever context the caller set: precise enough for any amount
# the facts can hold (a charge of 11 digits times units of about 630 digits at most), and
# refusing to round rather than rounding quietly.
EXACT = Context(prec=1000, Emax=10_000, Emin=-10_000, traps=[Inexact, InvalidOperation])
# Amounts must be finite as JSON numbers are commonly read (IEEE doubles); larger integers are
# refused rather than carried into units and charges no claim can hold.
_LARGEST_AMOUNT = int(sys.float_info.max)
_Parsed = TypeVar("_Parsed", date, datetime)


class SchemaError(ValueError):
    """The input does not fit `refill-facts/1` or `/2`; `field` is the dotted path of the
    culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@value_object
class Payer:
    code: str
    program: str
    allows_99211_with_drug_admin: bool
    modifier25_requires_note: bool

    @property
    def is_medicare(self) -> bool:
        return self.program == "medicare"


@value_object
class Pump:
    type: str
    service: str


@value_object
class Drug:
    name: str
    antineoplastic: bool
    lot: str | None
    expires_on: date | None
    # refill-facts/2 only; None where not given. Amounts are exact decimals (mg, NDC units).
    supplied_by_practice: bool | None = None
    hcpcs: str | None = None
    hcpcs_unit_mg: Decimal | None = None
    dose_mg: Decimal | None = None
    discarded_mg: Decimal | None = None
    container: str | None = None
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None


@value_object
class Teaching:
    alarms: bool = False
    site_care: bool = False


@value_object
class Documentation:
    weight_kg: float | None = None
    weight_measured_on: date | None = None
    cbc_collected_on: date | None = None
    cmp_collected_on: date | None = None
    verified_by: tuple[str, ...] = ()
    pump_programmed: bool = False
    pump_primed: bool = False
    pump_function_verified: bool = False
    teaching: Teaching = field(default_factory=Teaching)
    infusion_started_at: datetime | None = None
    adverse_reaction: str | None = None
    signed_by: str | None = None
    supervising_practitioner: str | None = None


@value_object
class SameDayService:
    code: str
    performed_by_role: str | None = None
    separately_identifiable: bool | None = None
    diagnoses: tuple[str, ...] = ()
    # refill-facts/2: the key in `practitioners` of who performed it, as written in the input.
    performed_by: str | None = None

    @property
    def is_em(self) -> bool:
        return self.code in EM_CODES


@value_object
class Practitioner:
    """One entry of `practitioners` (refill-facts/2): its key as written, NPI and role."""

    key: str
    npi: str | None
    role: str


def practitioner_key(name: str) -> str:
    """How practitioner names compare: after trimming, ignoring case."""
    return name.strip().casefold()


@value_object
class RefillFacts:
    payer: Payer
    claim_type: str
    date_of_service: date
    place_of_service: str
    diagnoses: tuple[str, ...]
    pump: Pump
    drug: Drug
    documentation: Documentation
    same_day_services: tuple[SameDayService, ...] = ()
    # (code, amount) pairs sorted by code: a tuple keeps the facts hashable and comparable.
    charges: tuple[tuple[str, Decimal], ...] = ()
    lab_window_days: int = DEFAULT_LAB_WINDOW_DAYS
    # 1 for refill-facts/1, 2 for refill-facts/2; the decision answers in the same version.
    version: int = 1
    # refill-facts/2 only: the practitioners named by the facts (input order), and whether
    # the patient is established with the practice (None when unknown).
    practitioners: tuple[Practitioner, ...] = ()
    patient_established: bool | None = None

    # The lookups below are built on first use and kept beside the fields (not among them, so
    # equality and hashing ignore them).

    def charge_for(self, code: str) -> Decimal | None:
        lookup = self.__dict__.get("_charge_by_code")
        if lookup is None:
            lookup = self.__dict__["_charge_by_code"] = dict(self.charges)
        return lookup.get(code)

    def practitioner(self, name: str) -> Practitioner | None:
        """The practitioner `name` refers to (trimmed, ignoring case), or None."""
        lookup = self.__dict__.get("_practitioner_by_key")
        if lookup is None:
            lookup = self.__dict__["_practitioner_by_key"] = _with_lookup(self.practitioners)[1]
        return lookup.get(practitioner_key(name))

    def to_dict(self) -> dict[str, Any]:
        """The facts as JSON data of their version; `parse_facts` reads it back unchanged."""
        doc = self.documentation
        drug = self.drug
        data: dict[str, Any] = {
            "schema": FACTS_SCHEMA_V2 if self.version == 2 else FACTS_SCHEMA,
            "payer": {
                "code": self.payer.code,
                "program": self.payer.program,
                "allows_99211_with_drug_admin": self.payer.allows_99211_with_drug_admin,
                "modifier25_requires_note": self.payer.modifier25_requires_note,
            },
            "claim_type": self.claim_type,
            "date_of_service": self.date_of_service.isoformat(),
            "place_of_service": self.place_of_service,
            "diagnoses": list(self.diagnoses),
            "pump": {"type": self.pump.type, "service": self.pump.service},
            "drug": {
                "name": drug.name,
                "antineoplastic": drug.antineoplastic,
                "lot": drug.lot,
                "expires_on": _iso_or_none(drug.expires_on),
            },
            "documentation": {
                "weight_kg": doc.weight_kg,
                "weight_measured_on": _iso_or_none(doc.weight_measured_on),
                "cbc_collected_on": _iso_or_none(doc.cbc_collected_on),
                "cmp_collected_on": _iso_or_none(doc.cmp_collected_on),
                "verified_by": list(doc.verified_by),
                "pump_programmed": doc.pump_programmed,
                "pump_primed": doc.pump_primed,
                "pump_function_verified": doc.pump_function_verified,
                "teaching": {"alarms": doc.teaching.alarms, "site_care": doc.teaching.site_care},
                "infusion_started_at": _iso_or_none(doc.infusion_started_at),
                "adverse_reaction": doc.adverse_reaction,
                "signed_by": doc.signed_by,
                "supervising_practitioner": doc.supervising_practitioner,
            },
            "same_day_services": [
                {
                    "code": service.code,
                    "performed_by_role": service.performed_by_role,
                    "separately_identifiable": service.separately_identifiable,
                    "diagnoses": list(service.diagnoses),
                }
                for service in self.same_day_services
            ],
            "charges": {code: str(amount) for code, amount in self.charges},
            "lab_window_days": self.lab_window_days,
        }
        if self.version == 2:
            data["drug"].update(
                supplied_by_practice=drug.supplied_by_practice,
                hcpcs=drug.hcpcs,
                hcpcs_unit_mg=json_number(drug.hcpcs_unit_mg),
                dose_mg=json_number(drug.dose_mg),
                discarded_mg=json_number(drug.discarded_mg),
                container=drug.container,
                ndc=drug.ndc,
                ndc_quantity=json_number(drug.ndc_quantity),
                ndc_unit=drug.ndc_unit,
            )
            for service, entry in zip(
                self.same_day_services, data["same_day_services"], strict=True
            ):
                entry["performed_by"] = service.performed_by
            data["practitioners"] = {
                p.key: {"npi": p.npi, "role": p.role} for p in self.practitioners
            }
            data["patient"] = {"established": self.patient_established}
        return data


def json_number(amount: Decimal | None) -> int | float | None:
    """An exact decimal as a JSON number: a whole number stays an integer."""
    if amount is None:
        return None
    numerator, denominator = amount.as_integer_ratio()
    if denominator == 1:
        return numerator
    return float(amount)


def _iso_or_none(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_facts(data: object) -> RefillFacts:
    """Validate JSON-like `refill-facts/1` or `/2` data and build the facts, or raise
    `SchemaError` naming the field. Unknown keys are ignored, so the `/2` keys are read
    only from a `/2` input."""
    if not isinstance(data, _OBJECT_TYPES):
        raise SchemaError("facts", f"must be an object, got {_type_name(data)}")
    schema = data.get("schema")
    version = SCHEMA_VERSIONS.get(schema) if isinstance(schema, str) else None
    if version is None:
        if schema is None:
            raise _absent(data, "schema", "")
        raise SchemaError(
            "schema", f"must be {FACTS_SCHEMA!r} or {FACTS_SCHEMA_V2!r}, got {_show(schema)}"
        )
    v2 = version == 2
    diagnoses = data.get("diagnoses")
    if diagnoses is None:
        raise _absent(data, "diagnoses", "")
    if v2:
        patient = _optional_object(data, "patient", "")
        practitioners, by_name = _practitioners(data.get("practitioners"))
        established = None if patient is None else _optional_flag(patient, "established", "patient")
    else:
        practitioners, by_name, established = (), _NOTHING, None
    charges, by_code = _charges(data.get("charges"))
    facts = RefillFacts(  # in field order, each field as RefillFacts names it
        _payer(_object(data, "payer", "")),  # payer
        _choice(data, "claim_type", "", CLAIM_TYPES),  # claim_type
        _date(data, "date_of_service", ""),  # date_of_service
        _place_of_service(data),  # place_of_service
        _diagnoses(diagnoses),  # diagnoses
        _pump(_object(data, "pump", "")),  # pump
        _drug(_object(data, "drug", ""), v2),  # drug
        _documentation(_object(data, "documentation", "")),  # documentation
        _same_day_services(data.get("same_day_services"), v2),  # same_day_services
        charges,  # charges
        _lab_window_days(data.get("lab_window_days")),  # lab_window_days
        version,  # version
        practitioners,  # practitioners
        established,  # patient_established
    )
    # The lookups come with the (remembered) charges and practitioners they were read with.
    facts.__dict__["_charge_by_code"] = by_code
    facts.__dict__["_practitioner_by_key"] = by_name
    return facts


# Each object has a fast path for what the app sends every day (every field present, of its
# type, documented) and the checked path that reads each field on its own, says exactly what
# is wrong, and handles the rest (null, false, absent). The fast path builds nothing the
# checked path would build differently: a test compares them on arbitrary input.

_PAYER_KEYS = ("code", "program", "allows_99211_with_drug_admin", "modifier25_requires_note")


def _payer(obj: Mapping[str, Any]) -> Payer:
    code, program, allows_99211, requires_note = map(obj.get, _PAYER_KEYS)
    if (
        type(code) is str
        and code
        and not code.isspace()
        and type(program) is str
        and program in PROGRAMS
        and type(allows_99211) is bool
        and type(requires_note) is bool
    ):
        return _plain_payer(code, program, allows_99211, requires_note)
    return _payer_checked(obj)


# A practice has a handful of payers and pump set-ups: each one is built once and shared
# (value objects are immutable).
_plain_payer = lru_cache(maxsize=256)(Payer)


def _payer_checked(obj: Mapping[str, Any]) -> Payer:
    return Payer(
        code=_name(obj, "code", "payer"),
        program=_choice(obj, "program", "payer", PROGRAMS),
        allows_99211_with_drug_admin=_flag(obj, "allows_99211_with_drug_admin", "payer"),
        modifier25_requires_note=_flag(obj, "modifier25_requires_note", "payer"),
    )


_PUMPS = {(kind, service): Pump(kind, service) for kind in PUMP_TYPES for service in PUMP_SERVICES}


def _pump(obj: Mapping[str, Any]) -> Pump:
    kind, service = obj.get("type"), obj.get("service")
    if type(kind) is str and type(service) is str:
        pump = _PUMPS.get((kind, service))
        if pump is not None:
            return pump
    return _pump_checked(obj)


def _pump_checked(obj: Mapping[str, Any]) -> Pump:
    return Pump(
        type=_choice(obj, "type", "pump", PUMP_TYPES),
        service=_choice(obj, "service", "pump", PUMP_SERVICES),
    )


_DRUG_KEYS = ("name", "antineoplastic", "lot", "expires_on")
_DRUG_V2_KEYS = (
    "supplied_by_practice",
    "hcpcs",
    "hcpcs_unit_mg",
    "dose_mg",
    "discarded_mg",
    "container",
    "ndc",
    "ndc_quantity",
    "ndc_unit",
)


def _drug(obj: Mapping[str, Any], v2: bool) -> Drug:
    name, antineoplastic, lot, expires_on = map(obj.get, _DRUG_KEYS)
    if not (
        type(name) is str
        and name
        and not name.isspace()
        and type(antineoplastic) is bool
        and type(lot) is str
        and type(expires_on) is str
    ):
        return _drug_checked(obj, v2)
    try:
        expires = _parse_date(expires_on)
    except ValueError:
        return _drug_checked(obj, v2)
    if not v2:
        return Drug(name, antineoplastic, lot, expires)
    try:
        supply = _plain_supply(*map(obj.get, _DRUG_V2_KEYS))
    except (TypeError, ValueError):  # what cannot be a key, or not as the app sends it
        return _drug_checked(obj, v2)
    return Drug(name, antineoplastic, lot, expires, *supply)


_NUMBER_TYPES = (int, float)
_Supply = tuple[bool, str, Decimal, Decimal, Decimal, str, str, Decimal, str]


# The drug lines' values are the catalogue's, the same from one claim to the next: each set
# is read once. Types are part of the key (typed cache), so 1 and 1.0 are read apart.
@lru_cache(maxsize=4096, typed=True)
def _plain_supply(
    supplied: Any,
    hcpcs: Any,
    per_unit: Any,
    dose: Any,
    discarded: Any,
    container: Any,
    ndc: Any,
    quantity: Any,
    unit: Any,
) -> _Supply:
    """The fast path's refill-facts/2 drug values (`_DRUG_V2_KEYS`, in order), amounts as
    exact decimals, or ValueError for the checked path."""
    if not (
        type(supplied) is bool
        and type(hcpcs) is str
        and hcpcs
        and hcpcs.strip().upper() == hcpcs
        and type(per_unit) is int
        and 0 < per_unit <= _LARGEST_AMOUNT
        and type(dose) in _NUMBER_TYPES
        and type(discarded) in _NUMBER_TYPES
        and type(quantity) in _NUMBER_TYPES
        and type(container) is str
        and container in CONTAINERS
        and type(ndc) is str
        and _NDC.fullmatch(ndc)
        and type(unit) is str
        and unit in NDC_UNITS
    ):
        raise ValueError("not a fast-path drug")
    dose_mg = _plain_amount(dose)
    discarded_mg = _plain_amount(discarded)
    ndc_quantity = _plain_amount(quantity)
    if dose_mg <= 0 or discarded_mg < 0 or ndc_quantity <= 0:
        raise ValueError("not a fast-path amount")
    return (
        supplied,
        hcpcs,
        Decimal(per_unit),
        dose_mg,
        discarded_mg,
        container,
        ndc,
        ndc_quantity,
        unit,
    )


def _plain_amount(value: float) -> Decimal:
    if type(value) is int:
        if -_LARGEST_AMOUNT <= value <= _LARGEST_AMOUNT:
            return Decimal(value)
    elif math.isfinite(value):
        return _float_amount(value)
    raise ValueError("not a finite amount")


def _float_amount(value: float) -> Decimal:
    """A finite float as the shortest decimal that names it (2400.1 is 2400.1, not the binary
    fraction nearest to it); a whole one as the integer it is, so that 625.0 and 625, one JSON
    number, are one amount everywhere, the findings' words included ("625 mg", as the facts
    written back to JSON read)."""
    amount = Decimal(repr(value))  # 1e300 is 10**300 here, not the double's binary value
    return Decimal(int(amount)) if amount == amount.to_integral_value() else amount


def _drug_checked(obj: Mapping[str, Any], v2: bool) -> Drug:
    name = _name(obj, "name", "drug")
    antineoplastic = _flag(obj, "antineoplastic", "drug")
    lot = _documented_text(obj, "lot", "drug")
    expires_on = _documented_parsed(obj, "expires_on", "drug", _parse_date)
    if not v2:
        return Drug(name, antineoplastic, lot, expires_on)
    hcpcs = _optional_text(obj, "hcpcs", "drug")
    ndc = _optional_text(obj, "ndc", "drug")
    if ndc is not None and not _NDC.fullmatch(ndc):
        raise SchemaError("drug.ndc", f"must be 11 digits (5-4-2 without dashes), got {_show(ndc)}")
    if hcpcs is not None:
        # A blank code is no code: R63 then asks for one.
        hcpcs = hcpcs.strip().upper() or None
    return Drug(
        name,
        antineoplastic,
        lot,
        expires_on,
        supplied_by_practice=_optional_flag(obj, "supplied_by_practice", "drug"),
        hcpcs=hcpcs,
        hcpcs_unit_mg=_amount(obj, "hcpcs_unit_mg", "drug", positive=True),
        dose_mg=_amount(obj, "dose_mg", "drug", positive=True),
        discarded_mg=_amount(obj, "discarded_mg", "drug", positive=False),
        container=_optional_choice(obj, "container", "drug", CONTAINERS),
        ndc=ndc,
        ndc_quantity=_amount(obj, "ndc_quantity", "drug", positive=True),
        ndc_unit=_optional_choice(obj, "ndc_unit", "drug", NDC_UNITS),
    )


_DOCUMENTATION_KEYS = (
    "weight_kg",
    "weight_measured_on",
    "cbc_collected_on",
    "cmp_collected_on",
    "verified_by",
    "pump_programmed",
    "pump_primed",
    "pump_function_verified",
    "teaching",
    "infusion_started_at",
    "adverse_reaction",
    "signed_by",
    "supervising_practitioner",
)
_TAUGHT = Teaching(alarms=True, site_care=True)


def _documentation(obj: Mapping[str, Any]) -> Documentation:
    (
        weight,
        measured,
        cbc,
        cmp,
        verified_by,
        programmed,
        primed,
        function_verified,
        teaching,
        started,
        reaction,
        signed,
        supervising,
    ) = map(obj.get, _DOCUMENTATION_KEYS)
    if (
        type(weight) is float
        and 0 < weight <= MAX_WEIGHT_KG
        and type(measured) is str
        and type(cbc) is str
        and type(cmp) is str
        and type(verified_by) is list
        and len(verified_by) == 2
        and type(verified_by[0]) is str
        and type(verified_by[1]) is str
        and programmed is True
        and primed is True
        and function_verified is True
        and type(teaching) is dict
        and teaching.get("alarms") is True
        and teaching.get("site_care") is True
        and type(started) is str
        and type(reaction) is str
        and type(signed) is str
        and (supervising is None or type(supervising) is str)
    ):
        try:
            return Documentation(
                weight,
                _parse_date(measured),
                _parse_date(cbc),
                _parse_date(cmp),
                tuple(verified_by),
                True,
                True,
                True,
                _TAUGHT,
                _parse_datetime(started),
                reaction,
                signed,
                supervising,
            )
        except ValueError:
            pass  # a date that is not one: the checked path names it
    return _documentation_checked(obj)


def _documentation_checked(obj: Mapping[str, Any]) -> Documentation:
    where = "documentation"
    teaching = obj.get("teaching")
    if teaching is None or teaching is False:
        taught = Teaching()
    elif isinstance(teaching, _OBJECT_TYPES):
        where_taught = "documentation.teaching"
        taught = Teaching(
            alarms=_documented_flag(teaching, "alarms", where_taught),
            site_care=_documented_flag(teaching, "site_care", where_taught),
        )
    else:
        raise _wrong_type(teaching, "documentation.teaching", "an object")
    verified_by = obj.get("verified_by")
    return Documentation(
        weight_kg=_weight(obj.get("weight_kg")),
        weight_measured_on=_documented_parsed(obj, "weight_measured_on", where, _parse_date),
        cbc_collected_on=_documented_parsed(obj, "cbc_collected_on", where, _parse_date),
        cmp_collected_on=_documented_parsed(obj, "cmp_collected_on", where, _parse_date),
        verified_by=()
        if verified_by is None or verified_by is False
        else _strings(verified_by, "documentation.verified_by"),
        pump_programmed=_documented_flag(obj, "pump_programmed", where),
        pump_primed=_documented_flag(obj, "pump_primed", where),
        pump_function_verified=_documented_flag(obj, "pump_function_verified", where),
        teaching=taught,
        infusion_started_at=_documented_parsed(obj, "infusion_started_at", where, _parse_datetime),
        adverse_reaction=_documented_text(obj, "adverse_reaction", where),
        signed_by=_documented_text(obj, "signed_by", where),
        supervising_practitioner=_documented_text(obj, "supervising_practitioner", where),
    )


def _same_day_services(value: object, v2: bool) -> tuple[SameDayService, ...]:
    if value is None:
        return ()
    if not isinstance(value, _LIST_TYPES):
        raise _wrong_type(value, "same_day_services", "a list")
    if not value:
        return ()
    return tuple([_same_day_service(item, index, v2) for index, item in enumerate(value)])


_SERVICE_KEYS = ("code", "performed_by_role", "separately_identifiable", "performed_by")
# Codes the app sends as they are (upper case, trimmed): the fast path reads only these.
_PLAIN_CODES = (
    EM_CODES
    | REFILL_CODES
    | PUMP_INITIATION_CODES
    | STATUS_T_BLOOD_DRAWS
    | OTHER_CHEMO_ADMINISTRATION
    | {IMPLANTED_DEVICE_IRRIGATION}
)


def _same_day_service(value: object, index: int, v2: bool) -> SameDayService:
    if type(value) is dict:
        code, role, identifiable, performed_by = map(value.get, _SERVICE_KEYS)
        if (
            type(code) is str
            and code in _PLAIN_CODES
            and (
                (type(role) is str and role in PERFORMER_ROLES and type(identifiable) is bool)
                if code in EM_CODES
                else (role is None and identifiable is None)
            )
            and (performed_by is None or type(performed_by) is str)
        ):
            diagnoses = value.get("diagnoses")
            return SameDayService(
                code,
                role,
                identifiable,
                () if diagnoses is None else _diagnoses(diagnoses, index),
                performed_by if v2 else None,
            )
    return _same_day_service_checked(value, index, v2)


def _same_day_service_checked(value: object, index: int, v2: bool) -> SameDayService:
    where = f"same_day_services[{index}]"
    if not isinstance(value, _OBJECT_TYPES):
        raise _wrong_type(value, where, "an object")
    code = _code(value, "code", where)
    if code in EM_CODES:
        role: str | None = _choice(value, "performed_by_role", where, PERFORMER_ROLES)
        identifiable: bool | None = _flag(value, "separately_identifiable", where)
    else:
        role = _optional_choice(value, "performed_by_role", where, PERFORMER_ROLES)
        identifiable = _optional_flag(value, "separately_identifiable", where)
    diagnoses = value.get("diagnoses")
    return SameDayService(
        code=code,
        performed_by_role=role,
        separately_identifiable=identifiable,
        diagnoses=() if diagnoses is None else _diagnoses(diagnoses, index),
        performed_by=_optional_text(value, "performed_by", where) if v2 else None,
    )


_Charges = tuple[tuple[tuple[str, Decimal], ...], Mapping[str, Decimal]]


def _charges(value: object) -> _Charges:
    """The charges as sorted (code, amount) pairs, and a read-only lookup by code."""
    if value is None:
        return (), _NOTHING
    if not isinstance(value, _OBJECT_TYPES):
        raise _wrong_type(value, "charges", "an object")
    # Every claim of a day carries the same charge master: each one is read once, and the
    # last one read is compared as it is given (sorted, so the keys' order does not matter).
    last_given, last_read = _last_charges
    if value == last_given:
        return last_read
    try:
        read = _charges_read_once(tuple(value.items()))
    except TypeError:  # an amount that cannot be a key (a list, an object): refused below
        return _charges_with_lookup(value.items())
    _last_charges[:] = dict(value), read
    return read


# The last charges read: a copy of what was given, and what it read as.
_last_charges: list[Any] = [{}, ((), _NOTHING)]


def _charges_with_lookup(items: Iterable[tuple[str, object]]) -> _Charges:
    pairs = _read_charges(items)
    return pairs, dict(pairs)


_charges_read_once = lru_cache(maxsize=256)(_charges_with_lookup)


def _read_charges(items: Iterable[tuple[str, object]]) -> tuple[tuple[str, Decimal], ...]:
    amounts: dict[str, Decimal] = {}
    for raw_code, amount in items:
        if not isinstance(raw_code, str):
            raise SchemaError("charges", "object keys must be strings")
        code = raw_code.strip().upper()
        if not code:
            raise SchemaError(f"charges.{raw_code}", "a charge needs a procedure code")
        if code in amounts:
            raise SchemaError(f"charges.{raw_code}", f"names the same code as another key ({code})")
        if not isinstance(amount, str):
            raise SchemaError(
                f"charges.{raw_code}",
                f'must be a decimal string such as "175.00", got {_type_name(amount)}',
            )
        try:
            amounts[code] = _charge_amount(amount)
        except ValueError:
            raise SchemaError(
                f"charges.{raw_code}",
                'must be a decimal string such as "175.00" (at most 9 digits and cents), '
                f"got {_show(amount)}",
            ) from None
    return tuple(sorted(amounts.items()))


@lru_cache(maxsize=1024)
def _charge_amount(text: str) -> Decimal:
    if not _CHARGE.fullmatch(text):
        raise ValueError(text)
    return Decimal(text).quantize(_CENTS, context=EXACT)


_Practitioners = tuple[tuple[Practitioner, ...], Mapping[str, Practitioner]]


def _practitioners(value: object) -> _Practitioners:
    """The practitioners in input order, and a read-only lookup by compared name."""
    if value is None:
        return (), _NOTHING
    if not isinstance(value, _OBJECT_TYPES):
        raise _wrong_type(value, "practitioners", "an object")
    # The practice's practitioners are the same from one claim to the next: read each set once,
    # and the last set read is compared as it is given (in order: the order is kept).
    last_given, last_keys, last_read = _last_practitioners
    if value == last_given and tuple(value) == last_keys:
        return last_read
    try:
        entries = tuple([(key, tuple(entry.items())) for key, entry in value.items()])
        read = _practitioners_read_once(entries)
    except (AttributeError, TypeError):  # not an object, or what cannot be a key: read below
        return _with_lookup(_read_practitioners(value.items()))
    _last_practitioners[:] = {key: dict(items) for key, items in entries}, tuple(value), read
    return read


# The last practitioners read: a copy of what was given, its keys in order, and what it read as.
_last_practitioners: list[Any] = [{}, (), ((), _NOTHING)]


@lru_cache(maxsize=256)
def _practitioners_read_once(
    entries: tuple[tuple[str, tuple[tuple[str, object], ...]], ...],
) -> _Practitioners:
    return _with_lookup(_read_practitioners((key, dict(items)) for key, items in entries))


def _with_lookup(practitioners: tuple[Practitioner, ...]) -> _Practitioners:
    return practitioners, {practitioner_key(p.key): p for p in practitioners}


def _read_practitioners(items: Iterable[tuple[str, object]]) -> tuple[Practitioner, ...]:
    seen: dict[str, str] = {}
    practitioners = []
    for key, entry in items:
        if not isinstance(key, str):
            raise SchemaError("practitioners", "object keys must be strings")
        where = f"practitioners.{key}"
        if not isinstance(entry, _OBJECT_TYPES):
            raise _wrong_type(entry, where, "an object")
        npi = entry.get("npi")
        if npi is not None and not (isinstance(npi, str) and _NPI.fullmatch(npi)):
            raise SchemaError(
                f"{where}.npi", f"must be a string of 10 digits or null, got {_show(npi)}"
            )
        role = _choice(entry, "role", where, PERFORMER_ROLES)
        compared = practitioner_key(key)
        if compared in seen:
            raise SchemaError(
                where,
                f"names the same practitioner as {_show(seen[compared])} "
                "(keys compare after trimming, ignoring case)",
            )
        seen[compared] = key
        practitioners.append(Practitioner(key, npi, role))
    return tuple(practitioners)


# Field readers. Each takes (object, key, where the object sits) and returns the converted
# value or raises SchemaError; the dotted path is built only for the error.


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _absent(obj: Mapping[str, Any], key: str, where: str) -> SchemaError:
    return SchemaError(_path(where, key), "must not be null" if key in obj else "is required")


def _wrong_type(value: object, path: str, expected: str) -> SchemaError:
    return SchemaError(path, f"must be {expected}, got {_type_name(value)}")


def _object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if isinstance(value, _OBJECT_TYPES):
        return value
    if value is None:
        raise _absent(obj, key, where)
    raise _wrong_type(value, _path(where, key), "an object")


def _optional_object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, _OBJECT_TYPES):
        return value
    raise _wrong_type(value, _path(where, key), "an object")


def _name(obj: Mapping[str, Any], key: str, where: str) -> str:
    """A required string that is not blank."""
    value = obj.get(key)
    if isinstance(value, str):
        if value.strip():
            return value
        raise SchemaError(_path(where, key), "must not be blank")
    if value is None:
        raise _absent(obj, key, where)
    raise _wrong_type(value, _path(where, key), "a string")


def _code(obj: Mapping[str, Any], key: str, where: str) -> str:
    """A required procedure code: trimmed and upper-cased, not blank."""
    return _name(obj, key, where).strip().upper()


def _flag(obj: Mapping[str, Any], key: str, where: str) -> bool:
    value = obj.get(key)
    if value is True or value is False:
        return value
    if value is None:
        raise _absent(obj, key, where)
    raise _wrong_type(value, _path(where, key), "true or false")


def _choice(obj: Mapping[str, Any], key: str, where: str, options: tuple[str, ...]) -> str:
    value = obj.get(key)
    if isinstance(value, str) and value in options:
        return value
    if value is None:
        raise _absent(obj, key, where)
    if not isinstance(value, str):
        raise _wrong_type(value, _path(where, key), "a string")
    raise SchemaError(_path(where, key), f"must be one of {', '.join(options)}; got {_show(value)}")


def _optional_choice(
    obj: Mapping[str, Any], key: str, where: str, options: tuple[str, ...]
) -> str | None:
    if obj.get(key) is None:
        return None
    return _choice(obj, key, where, options)


def _optional_flag(obj: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is None or value is True or value is False:
        return value
    raise _wrong_type(value, _path(where, key), "true or false")


def _optional_text(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong_type(value, _path(where, key), "a string")


# Documentation not done arrives as null or false (or is left out); the rules then hold the
# claim, so all three mean "not documented" rather than a schema error.


def _documented_text(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if obj.get(key) is False else _optional_text(obj, key, where)


def _documented_flag(obj: Mapping[str, Any], key: str, where: str) -> bool:
    return _optional_flag(obj, key, where) is True


def _documented_parsed(
    obj: Mapping[str, Any], key: str, where: str, parse: Callable[[str], _Parsed]
) -> _Parsed | None:
    """A date or a datetime, as ``parse`` reads its text."""
    value = obj.get(key)
    if value is None or value is False:
        return None
    return _parsed(value, where, key, parse)


def _date(obj: Mapping[str, Any], key: str, where: str) -> date:
    value = obj.get(key)
    if value is None:
        raise _absent(obj, key, where)
    return _parsed(value, where, key, _parse_date)


def _parsed(value: object, where: str, key: str, parse: Callable[[str], _Parsed]) -> _Parsed:
    if not isinstance(value, str):
        raise _wrong_type(value, _path(where, key), "a string")
    try:
        return parse(value)
    except ValueError as error:
        raise SchemaError(_path(where, key), str(error)) from None


# Dates and datetimes repeat from one decision to the next: each text is read once.


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date:
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(f"must be a date as YYYY-MM-DD, got {_show(text)}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"is not a calendar date: {_show(text)}") from None


@lru_cache(maxsize=4096)
def _parse_datetime(text: str) -> datetime:
    match = _DATETIME.fullmatch(text)
    if not match:
        if _DATETIME.fullmatch(f"{text}Z") or _DATETIME.fullmatch(f"{text}:00Z"):
            raise ValueError("datetime needs a UTC offset (Z or +HH:MM)")
        raise ValueError(
            f"must be a datetime as YYYY-MM-DDTHH:MM[:SS[.f]] with Z or +HH:MM, got {_show(text)}"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int(f"{fraction or ''}000000"[:6]),
            tzinfo=_zone(offset),
        )
    except ValueError:
        raise ValueError(f"is not a calendar date and time: {_show(text)}") from None


@lru_cache(maxsize=64)
def _zone(offset: str) -> timezone:
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def _place_of_service(obj: Mapping[str, Any]) -> str:
    value = obj.get("place_of_service")
    if isinstance(value, str) and value in _PLACES_OF_SERVICE:
        return value
    if value is None:
        raise _absent(obj, "place_of_service", "")
    if not isinstance(value, str):
        raise _wrong_type(value, "place_of_service", "a string")
    raise SchemaError(
        "place_of_service", f"must be a two-digit place of service code, got {_show(value)}"
    )


def _strings(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, _LIST_TYPES):
        raise _wrong_type(value, path, "a list")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong_type(item, f"{path}[{index}]", "a string")
    return tuple(value)


def _diagnoses(value: object, service: int | None = None) -> tuple[str, ...]:
    """ICD-10-CM codes as given, trimmed, of the patient or of same-day service `service`; one
    that is empty once its dots are removed (and so after normalisation) is refused. The rules
    normalise them ("c1.89" reads C18.9)."""
    if isinstance(value, _LIST_TYPES):
        codes = []
        for item in value:
            if type(item) is not str:
                break
            code = item.strip()
            if not code.strip("."):
                break
            codes.append(code)
        else:
            return tuple(codes)
    path = "diagnoses" if service is None else f"same_day_services[{service}].diagnoses"
    if not isinstance(value, _LIST_TYPES):
        raise _wrong_type(value, path, "a list")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong_type(item, f"{path}[{index}]", "a string")
        if not item.strip().replace(".", ""):
            raise SchemaError(f"{path}[{index}]", f"must be a diagnosis code, got {_show(item)}")
    return tuple(item.strip() for item in value)


def _weight(value: object) -> float | None:
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(value, "documentation.weight_kg", "a number")
    # Compared as given, so that integers too large for a float are refused, not converted.
    if not 0 < value <= MAX_WEIGHT_KG:
        raise SchemaError(
            "documentation.weight_kg",
            f"must be a number of kilograms greater than 0 and at most {MAX_WEIGHT_KG}, "
            f"got {_show(value)}",
        )
    return float(value)


def _amount(obj: Mapping[str, Any], key: str, where: str, *, positive: bool) -> Decimal | None:
    """An optional amount (mg, NDC units) as an exact decimal (a float as _float_amount
    reads it)."""
    value = obj.get(key)
    if value is None:
        return None
    path = _path(where, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(value, path, "a number")
    if isinstance(value, int):
        if value > _LARGEST_AMOUNT or value < -_LARGEST_AMOUNT:
            raise SchemaError(path, "must be a finite number, got one too large to hold")
        amount = Decimal(value)
    else:
        if not math.isfinite(value):
            raise SchemaError(path, f"must be a finite number, got {_show(value)}")
        amount = _float_amount(value)
    if positive and amount <= 0:
        raise SchemaError(path, f"must be greater than 0, got {_show(value)}")
    if amount < 0:
        raise SchemaError(path, f"must not be negative, got {_show(value)}")
    return amount


def _lab_window_days(value: object) -> int:
    if value is None:
        return DEFAULT_LAB_WINDOW_DAYS
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(value, "lab_window_days", "a whole number")
    if value < 0:
        raise SchemaError("lab_window_days", f"must be 0 or more, got {_show(value)}")
    return value


_TYPE_NAMES = {
    type(None): "null",
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    tuple: "a list",
    dict: "an object",
}


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: object) -> str:
    """A value for an error message: short, on one line, and never too large to print."""
    if isinstance(value, int) and not -(10**15) < value < 10**15:
        return "a number too large to show"
    text = repr(value) if isinstance(value, str | int | float) else _type_name(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
