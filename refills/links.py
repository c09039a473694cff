"""Where other apps hook into refill pages: ``refills`` must not import them.

An app that builds on refill documentation (billing) registers, when it starts, the links
it adds to an encounter's page and the home page it offers a user whom the worklist does
not serve. Each hook answers for one user, so it applies its own permission checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from refills.models import Encounter


@dataclass(frozen=True)
class Link:
    label: str
    url: str


EncounterLinks = Callable[[Any, Encounter], Iterable[Link]]
HomePage = Callable[[Any], str | None]

_encounter_links: dict[str, EncounterLinks] = {}
_home_pages: dict[str, HomePage] = {}


def register_encounter_links(key: str, links: EncounterLinks) -> None:
    """``links(user, encounter)`` gives the links to show on the encounter's page."""
    _encounter_links[key] = links


def register_home_page(key: str, page: HomePage) -> None:
    """``page(user)`` gives the URL of the user's home page, or None if it is not theirs."""
    _home_pages[key] = page


def encounter_links(user, encounter: Encounter) -> list[Link]:
    return [link for links in _encounter_links.values() for link in links(user, encounter)]


def home_page(user) -> str | None:
    return next((url for page in _home_pages.values() if (url := page(user)) is not None), None)
