"""A decision's lines as claim lines: who each line is billed under, and the drug's NDC.

The practitioner a line is billed under is decided once, here, when the claim is decided,
and stored on the line with the NPI, name and taxonomy they had then: the 837P (2310B and
2420A), the CSV and the CMS-1500 page (24J) all read it from the line.

A ``refill-decision/2`` names each line's practitioner (R41-R43). A ``refill-decision/1``
does not, so the reading the 837P always had applies: an E/M line is billed under the
practitioner who recorded the visit, the other lines under the supervising practitioner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from billing.engine import Line
from billing.engine.codes import EM_CODES
from refills.models import ProviderVisit
from refills.validators import npi_is_valid

if TYPE_CHECKING:
    from billing.models import ClaimLine


@dataclass(frozen=True, slots=True)
class Practitioner:
    """A practitioner as a claim line names them; ``npi`` is "" without a valid NPI."""

    npi: str
    last_name: str
    first_name: str
    taxonomy: str


def practitioners(usernames: Iterable[str]) -> dict[str, Practitioner]:
    """The practitioners with these user names (one query), by user name."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = (
        get_user_model()
        .objects.filter(username__in=wanted)
        .values_list("username", "last_name", "first_name", "clinician__npi", "clinician__taxonomy")
    )
    return {
        username: Practitioner(
            npi=npi if npi and npi_is_valid(npi) else "",
            last_name=last_name or username,
            first_name=first_name or "",
            taxonomy=taxonomy or "",
        )
        for username, last_name, first_name, npi, taxonomy in rows
    }


def rendering_keys(
    lines: Iterable[Line],
    *,
    version: int,
    supervising: str | None,
    visits: Iterable[ProviderVisit],
) -> list[str | None]:
    """The user name each line is billed under, in line order (None: the billing
    provider alone)."""
    if version == 2:
        return [line.rendering for line in lines]
    performer = {visit.em_code: visit.provider.get_username() for visit in visits}
    return [performer.get(line.code) if line.code in EM_CODES else supervising for line in lines]


def line_values(
    line: Line,
    rendering: Practitioner | None,
    *,
    allowed: Mapping[str, Decimal],
) -> dict[str, object]:
    """The ``ClaimLine`` fields of one decision line (all but claim and position)."""
    values: dict[str, object] = {
        "code": line.code,
        "modifiers": list(line.modifiers),
        "units": line.units,
        "place_of_service": line.place_of_service,
        "diagnosis_pointers": list(line.diagnosis_pointers),
        "charge": line.charge,
        "expected_allowed": allowed.get(line.code),
        "drug": line.drug,
    }
    if rendering is not None and rendering.npi:
        values.update(
            rendering_npi=rendering.npi,
            rendering_last_name=rendering.last_name,
            rendering_first_name=rendering.first_name,
            rendering_taxonomy=rendering.taxonomy,
        )
    if line.drug and line.ndc and line.ndc_quantity is not None and line.ndc_unit:
        values.update(ndc=line.ndc, ndc_quantity=line.ndc_quantity, ndc_unit=line.ndc_unit)
    return values


def expected_allowed(lines: Iterable[ClaimLine]) -> Decimal | None:
    """The fee schedule's expected allowed amount of a claim: the sum over its lines that
    have one, None when none has (`Claim.expected_allowed`)."""
    amounts = [line.expected_allowed for line in lines if line.expected_allowed is not None]
    return sum(amounts, Decimal("0.00")) if amounts else None
