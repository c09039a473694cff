"""Refill pages take billing's links and home page through ``refills.links`` only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from refills.models import Role
from tests.factories import UserFactory, approved_claim, claim_row

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("roles", "superuser", "home"),
    [
        ((Role.NURSE,), False, "refills:worklist"),
        ((Role.PROVIDER,), False, "refills:worklist"),
        ((Role.NURSE, Role.BILLER), False, "refills:worklist"),
        ((Role.PROVIDER, Role.BILLER), False, "billing:queue"),
        ((Role.BILLER,), False, "billing:queue"),
        ((Role.ADMIN,), False, "billing:queue"),
        ((Role.PROVIDER, Role.ADMIN), False, "refills:worklist"),
        ((), True, "billing:queue"),
    ],
)
def test_home_sends_each_role_to_its_page(client, db, roles, superuser, home):
    user = UserFactory(username="someone", is_superuser=superuser)
    user.groups.set(Group.objects.filter(name__in=roles))
    client.force_login(user)

    response = client.get(reverse("home"))

    assert (response.status_code, response["Location"]) == (302, reverse(home))


def test_home_without_a_role_is_refused(client, outsider):
    client.force_login(outsider)

    assert client.get(reverse("home")).status_code == 403


def _claim_buttons(client, encounter) -> list[str]:
    page = client.get(reverse("refills:encounter_detail", args=[encounter.pk])).content.decode()
    return re.findall(r'<a class="btn btn-outline-secondary" href="([^"]*)">Claim</a>', page)


def test_the_encounter_page_links_its_live_claim_for_those_who_see_claims(
    client, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider)

    client.force_login(admin_user)
    assert _claim_buttons(client, claim.encounter) == [
        reverse("billing:claim_detail", args=[claim.pk])
    ]
    client.force_login(nurse)
    assert _claim_buttons(client, claim.encounter) == []


def test_a_void_claim_gets_no_link(client, admin_user):
    claim = claim_row(status="void")
    client.force_login(admin_user)

    assert _claim_buttons(client, claim.encounter) == []


def _names_billing(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "billing" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "billing"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.search(r"\bbilling[.:/]", node.value) is not None and not _is_prose(node)
    return False


def _is_prose(node: ast.Constant) -> bool:
    return "\n" in node.value or " " in node.value


def test_nothing_under_refills_names_billing():
    """No import, URL name, permission or template of billing in refills' code or pages
    (prose that says what billing does is fine)."""
    offenders = []
    for path in sorted((ROOT / "refills").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if _names_billing(node)
        ]
    for path in sorted((ROOT / "templates" / "refills").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bbilling[.:/]", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")

    assert offenders == []
