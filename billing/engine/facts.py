"""The engine's input: `refill-facts/1` as frozen dataclasses, and the one place that parses it.

`parse_facts` is the only door from JSON-like data into the engine, so every shape and type
check lives here and the rules can trust what they are given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from billing.engine.codes import EM_CODES

FACTS_SCHEMA = "refill-facts/1"
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

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A charge master amount: plain digits with at most cents; exponents, signs and NaN are refused
# so that what the biller typed is exactly what reaches the claim.
_CHARGE = re.compile(r"^\d+(\.\d{1,2})?$")
_PLACE_OF_SERVICE = re.compile(r"^\d{2}$")
_CENTS = Decimal("0.01")
_MISSING = object()

T = TypeVar("T")


class SchemaError(ValueError):
    """The input does not fit `refill-facts/1`; `field` is the dotted path of the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Payer:
    code: str
    program: str
    allows_99211_with_drug_admin: bool
    modifier25_requires_note: bool

    @property
    def is_medicare(self) -> bool:
        return self.program == "medicare"


@dataclass(frozen=True)
class Pump:
    type: str
    service: str


@dataclass(frozen=True)
class Drug:
    name: str
    antineoplastic: bool
    lot: str | None
    expires_on: date | None


@dataclass(frozen=True)
class Teaching:
    alarms: bool = False
    site_care: bool = False


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SameDayService:
    code: str
    performed_by_role: str | None = None
    separately_identifiable: bool | None = None
    diagnoses: tuple[str, ...] = ()

    @property
    def is_em(self) -> bool:
        return self.code in EM_CODES


@dataclass(frozen=True)
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

    def charge_for(self, code: str) -> Decimal | None:
        return dict(self.charges).get(code)

    def to_dict(self) -> dict[str, Any]:
        """The facts as `refill-facts/1` JSON data; `parse_facts` reads it back unchanged."""
        doc = self.documentation
        return {
            "schema": FACTS_SCHEMA,
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
                "name": self.drug.name,
                "antineoplastic": self.drug.antineoplastic,
                "lot": self.drug.lot,
                "expires_on": _iso_or_none(self.drug.expires_on),
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


def _iso_or_none(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_facts(data: object) -> RefillFacts:
    """Validate JSON-like `refill-facts/1` data and build the facts, or raise `SchemaError`."""
    root = _object(data, "facts")
    schema = _required(root, "schema", "", _str)
    if schema != FACTS_SCHEMA:
        raise SchemaError("schema", f"must be {FACTS_SCHEMA!r}, got {schema!r}")
    return RefillFacts(
        payer=_payer(_required(root, "payer", "", _object)),
        claim_type=_required(root, "claim_type", "", _choice(CLAIM_TYPES)),
        date_of_service=_required(root, "date_of_service", "", _date),
        place_of_service=_required(root, "place_of_service", "", _place_of_service),
        diagnoses=_required(root, "diagnoses", "", _list_of(_code_str)),
        pump=_pump(_required(root, "pump", "", _object)),
        drug=_drug(_required(root, "drug", "", _object)),
        documentation=_documentation(_required(root, "documentation", "", _object)),
        same_day_services=_optional(
            root, "same_day_services", "", _list_of(_same_day_service), default=()
        ),
        charges=_optional(root, "charges", "", _charges, default=()),
        lab_window_days=_optional(
            root, "lab_window_days", "", _non_negative_int, default=DEFAULT_LAB_WINDOW_DAYS
        ),
    )


def _payer(obj: Mapping[str, Any]) -> Payer:
    return Payer(
        code=_required(obj, "code", "payer", _str),
        program=_required(obj, "program", "payer", _choice(PROGRAMS)),
        allows_99211_with_drug_admin=_required(obj, "allows_99211_with_drug_admin", "payer", _bool),
        modifier25_requires_note=_required(obj, "modifier25_requires_note", "payer", _bool),
    )


def _pump(obj: Mapping[str, Any]) -> Pump:
    return Pump(
        type=_required(obj, "type", "pump", _choice(PUMP_TYPES)),
        service=_required(obj, "service", "pump", _choice(PUMP_SERVICES)),
    )


def _drug(obj: Mapping[str, Any]) -> Drug:
    return Drug(
        name=_required(obj, "name", "drug", _str),
        antineoplastic=_required(obj, "antineoplastic", "drug", _bool),
        lot=_documented(obj, "lot", "drug", _str),
        expires_on=_documented(obj, "expires_on", "drug", _date),
    )


def _documentation(obj: Mapping[str, Any]) -> Documentation:
    prefix = "documentation"
    teaching = _documented(obj, "teaching", prefix, _object)
    return Documentation(
        weight_kg=_documented(obj, "weight_kg", prefix, _positive_number),
        weight_measured_on=_documented(obj, "weight_measured_on", prefix, _date),
        cbc_collected_on=_documented(obj, "cbc_collected_on", prefix, _date),
        cmp_collected_on=_documented(obj, "cmp_collected_on", prefix, _date),
        verified_by=_documented(obj, "verified_by", prefix, _list_of(_str)) or (),
        pump_programmed=_flag(obj, "pump_programmed", prefix),
        pump_primed=_flag(obj, "pump_primed", prefix),
        pump_function_verified=_flag(obj, "pump_function_verified", prefix),
        teaching=Teaching(
            alarms=_flag(teaching, "alarms", f"{prefix}.teaching"),
            site_care=_flag(teaching, "site_care", f"{prefix}.teaching"),
        )
        if teaching is not None
        else Teaching(),
        infusion_started_at=_documented(obj, "infusion_started_at", prefix, _aware_datetime),
        adverse_reaction=_documented(obj, "adverse_reaction", prefix, _str),
        signed_by=_documented(obj, "signed_by", prefix, _str),
        supervising_practitioner=_documented(obj, "supervising_practitioner", prefix, _str),
    )


def _same_day_service(value: object, path: str) -> SameDayService:
    obj = _object(value, path)
    code = _required(obj, "code", path, _code_str).upper()
    if code in EM_CODES:
        role = _required(obj, "performed_by_role", path, _choice(PERFORMER_ROLES))
        identifiable = _required(obj, "separately_identifiable", path, _bool)
    else:
        role = _optional(obj, "performed_by_role", path, _choice(PERFORMER_ROLES), default=None)
        identifiable = _optional(obj, "separately_identifiable", path, _bool, default=None)
    return SameDayService(
        code=code,
        performed_by_role=role,
        separately_identifiable=identifiable,
        diagnoses=_optional(obj, "diagnoses", path, _list_of(_code_str), default=()),
    )


def _charges(value: object, path: str) -> tuple[tuple[str, Decimal], ...]:
    obj = _object(value, path)
    amounts: dict[str, Decimal] = {}
    for raw_code, amount in obj.items():
        code = raw_code.strip().upper()
        if not code:
            raise SchemaError(f"{path}.{raw_code}", "a charge needs a procedure code")
        if not isinstance(amount, str) or not _CHARGE.match(amount):
            raise SchemaError(
                f"{path}.{raw_code}", f'must be a decimal string such as "175.00", got {amount!r}'
            )
        amounts[code] = Decimal(amount).quantize(_CENTS)
    return tuple(sorted(amounts.items()))


# Field readers. Each takes (value, path) and returns the converted value or raises. They run
# for every field of every decision, so paths are joined inline and each value is read once.


def _required(obj: Mapping[str, Any], key: str, prefix: str, read: Callable[[object, str], T]) -> T:
    path = f"{prefix}.{key}" if prefix else key
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise SchemaError(path, "is required")
    if value is None:
        raise SchemaError(path, "must not be null")
    return read(value, path)


def _optional(
    obj: Mapping[str, Any],
    key: str,
    prefix: str,
    read: Callable[[object, str], T],
    *,
    default: T,
) -> T:
    value = obj.get(key)
    if value is None:
        return default
    return read(value, f"{prefix}.{key}" if prefix else key)


def _documented(
    obj: Mapping[str, Any], key: str, prefix: str, read: Callable[[object, str], T]
) -> T | None:
    # Documentation not done arrives as null or false (or is left out); the rules then hold
    # the claim, so all three mean "not documented" rather than a schema error.
    value = obj.get(key)
    if value is None or value is False:
        return None
    return read(value, f"{prefix}.{key}" if prefix else key)


def _flag(obj: Mapping[str, Any], key: str, prefix: str) -> bool:
    return bool(_documented(obj, key, prefix, _bool))


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SchemaError(path, f"must be an object, got {_type_name(value)}")
    # isinstance(key, str) for every key, without a Python frame per key.
    if not all(map(str.__instancecheck__, value)):
        raise SchemaError(path, "object keys must be strings")
    return value


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise SchemaError(path, f"must be a string, got {_type_name(value)}")
    return value


def _code_str(value: object, path: str) -> str:
    text = _str(value, path).strip()
    if not text:
        raise SchemaError(path, "must not be blank")
    return text


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SchemaError(path, f"must be true or false, got {_type_name(value)}")
    return value


def _non_negative_int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(path, f"must be a whole number, got {_type_name(value)}")
    if value < 0:
        raise SchemaError(path, f"must be 0 or more, got {value}")
    return value


def _positive_number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(path, f"must be a number, got {_type_name(value)}")
    if not math.isfinite(value) or value <= 0:
        raise SchemaError(path, f"must be a positive number, got {value!r}")
    return float(value)


def _date(value: object, path: str) -> date:
    text = _str(value, path)
    if not _DATE.match(text):
        raise SchemaError(path, f"must be a date as YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SchemaError(path, f"is not a calendar date: {text!r}") from None


def _aware_datetime(value: object, path: str) -> datetime:
    text = _str(value, path)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SchemaError(path, f"must be an ISO 8601 datetime, got {text!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SchemaError(path, "datetime needs a UTC offset")
    return moment


def _place_of_service(value: object, path: str) -> str:
    text = _str(value, path)
    if not _PLACE_OF_SERVICE.match(text):
        raise SchemaError(path, f"must be a two-digit place of service code, got {text!r}")
    return text


def _choice(options: tuple[str, ...]) -> Callable[[object, str], str]:
    def read(value: object, path: str) -> str:
        text = _str(value, path)
        if text not in options:
            raise SchemaError(path, f"must be one of {', '.join(options)}; got {text!r}")
        return text

    return read


def _list_of(read_item: Callable[[object, str], T]) -> Callable[[object, str], tuple[T, ...]]:
    def read(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list | tuple):
            raise SchemaError(path, f"must be a list, got {_type_name(value)}")
        return tuple(read_item(item, f"{path}[{index}]") for index, item in enumerate(value))

    return read


def _type_name(value: object) -> str:
    names = {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)
