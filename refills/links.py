"""Where other apps hook into refill pages: ``refills`` must not import them.

An app that builds on refill documentation (billing) registers, when it starts, the links
it adds to an encounter's page, the home page it offers a user whom the worklist does not
serve, who pays for a patient's care (the patient banner names the payer), and which of a
nurse's refills it holds (the worklist lists them with the reason). The link
and home-page hooks answer for one user, so they apply their own permission checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from refills.models import Encounter, Patient


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Hold:
    """A refill the user documented that waits elsewhere, and why."""

    encounter: Encounter
    reason: str


EncounterLinks = Callable[[Any, Encounter], Iterable[Link]]
Holds = Callable[[Any], Iterable[Hold]]
HomePage = Callable[[Any], str | None]
Payer = Callable[[Patient, dt.date], str]

_encounter_links: dict[str, EncounterLinks] = {}
_home_pages: dict[str, HomePage] = {}
_payers: dict[str, Payer] = {}
_holds: dict[str, Holds] = {}


def register_encounter_links(key: str, links: EncounterLinks) -> None:
    """``links(user, encounter)`` gives the links to show on the encounter's page."""
    _encounter_links[key] = links


def register_home_page(key: str, page: HomePage) -> None:
    """``page(user)`` gives the URL of the user's home page, or None if it is not theirs."""
    _home_pages[key] = page


def register_payer(key: str, payer: Payer) -> None:
    """``payer(patient, day)`` names the payer of the patient's primary coverage on ``day``,
    or gives "" when there is none."""
    _payers[key] = payer


def register_holds(key: str, holds: Holds) -> None:
    """``holds(user)`` gives the refills the user documented that are held, with the reason,
    for the user's worklist."""
    _holds[key] = holds


def encounter_links(user, encounter: Encounter) -> list[Link]:
    return [link for links in _encounter_links.values() for link in links(user, encounter)]


def home_page(user) -> str | None:
    return next((url for page in _home_pages.values() if (url := page(user)) is not None), None)


def payer(patient: Patient, day: dt.date) -> str:
    """The first payer a registered hook names for the patient on ``day``, or ""."""
    return next((name for hook in _payers.values() if (name := hook(patient, day))), "")


def holds(user) -> list[Hold]:
    return [hold for hook in _holds.values() for hold in hook(user)]
