"""Templates compare statuses and roles with the models' choices, never with string literals.

A literal like ``{% if claim.status == "denied" %}`` keeps working after the value is renamed
in the model, silently never true; ``claim.Status.DENIED`` fails loudly instead.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string

from billing.models import Claim
from refills.models import Encounter, Order, Role

# A comparison in a template tag with a quoted string on either side.
LITERAL_RIGHT = re.compile(r"([\w.]+)\s*(?:==|!=)\s*([\"'])(.*?)\2")
LITERAL_LEFT = re.compile(r"([\"'])(.*?)\1\s*(?:==|!=)\s*([\w.]+)")
TAG = re.compile(r"{%\s*(?:if|elif)\b(.*?)%}", re.DOTALL)


# Also a finding's severity (``f.severity == 'hold'``): it counts as a status only where the
# operand is named status.
SHARED_WITH_SEVERITIES = {"hold"}


def status_and_role_values() -> set[str]:
    """Every value of a model's ``Status`` choices, and the role names."""
    values = set(Role.values)
    for model in apps.get_models():
        status = getattr(model, "Status", None)
        if status is not None and hasattr(status, "values"):
            values.update(status.values)
    return values - SHARED_WITH_SEVERITIES


def literal_comparisons(text: str, known: set[str]) -> list[str]:
    """The comparisons in ``text``'s if-tags that test a status or a role against a literal:
    the operand is named ``status`` or ``role``, or the literal is a known status or role."""
    found = []
    for tag in TAG.finditer(text):
        pairs = [(m.group(1), m.group(3)) for m in LITERAL_RIGHT.finditer(tag.group(1))]
        pairs += [(m.group(3), m.group(2)) for m in LITERAL_LEFT.finditer(tag.group(1))]
        for operand, literal in pairs:
            name = operand.rsplit(".", 1)[-1]
            if name in ("status", "role") or literal in known:
                found.append(f"{operand} vs {literal!r}")
    return found


def test_the_scan_finds_a_status_literal_and_passes_the_choices():
    known = status_and_role_values()
    assert literal_comparisons('{% if claim.status == "denied" %}x{% endif %}', known)
    assert literal_comparisons("{% elif 'draft' != e.state %}", known)
    assert literal_comparisons('{% if c.status == "no_such_status" %}', known)
    assert literal_comparisons('{% if c.status == "hold" %}', known)
    assert literal_comparisons('{% if user.role == "Biller" %}', known)
    assert not literal_comparisons("{% if claim.status == claim.Status.DENIED %}", known)
    assert not literal_comparisons("{% if f.severity == 'hold' %}", known)


def test_no_template_compares_a_status_or_role_with_a_literal():
    known = status_and_role_values()
    assert {"draft", "signed", "active", "denied", "Nurse"} <= known
    root = Path(settings.BASE_DIR) / "templates"
    templates = sorted(root.rglob("*.html"))
    assert templates
    found = {}
    for path in templates:
        hits = literal_comparisons(path.read_text(encoding="utf-8"), known)
        if hits:
            found[str(path.relative_to(root))] = hits
    assert found == {}, "compare with the model's choices (obj.Status.X), not a literal"


# The status badge of each model: its template and the name the template gives the row.
BADGE_TEMPLATES = {Encounter: ("refills/_status.html", "e"), Claim: ("billing/_status.html", "c")}


@pytest.mark.parametrize(
    ("model", "status", "badge"),
    [
        (Encounter, Encounter.Status.SIGNED, "text-bg-success"),
        (Encounter, Encounter.Status.VERIFIED, "text-bg-info"),
        (Encounter, Encounter.Status.DRAFT, "text-bg-warning"),
        (Claim, Claim.Status.READY, "text-bg-primary"),
        (Claim, Claim.Status.APPROVED, "text-bg-success"),
        (Claim, Claim.Status.EXPORTED, "text-bg-secondary"),
        (Claim, Claim.Status.HOLD, "text-bg-warning"),
        (Claim, Claim.Status.DENIED, "text-bg-light"),
    ],
)
def test_the_status_badges_read_the_choices(model, status, badge):
    template, name = BADGE_TEMPLATES[model]
    html = render_to_string(template, {name: model(status=status)})
    assert badge in html
    assert model.Status(status).label in html


def test_the_choices_keep_their_values():
    # The constraints and the stored rows use these values; the enums only name them.
    assert Encounter.Status.values == ["draft", "verified", "signed"]
    assert Order.Status.values == ["active", "discontinued"]
    assert Claim.Status.values[0] == "hold" and Claim.Status.VOID == "void"


@pytest.mark.parametrize(
    ("frequency", "shown"),
    [(Claim.Frequency.ORIGINAL, False), (Claim.Frequency.REPLACEMENT, True)],
)
def test_the_payer_section_reads_the_frequency_choices(frequency, shown):
    # Nothing from the payer yet: an original claim has no section, a replacement has one.
    html = render_to_string(
        "billing/_claim_payer.html", {"claim": Claim(pk=5, frequency=frequency)}
    )
    assert ("From the payer" in html) is shown
