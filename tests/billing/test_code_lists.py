"""CARC and RARC as tables an administrator keeps: loaded from the shipped lists, edited in
the admin with an audit trail, and read by the app in place of the files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.inbound import read_code_list
from billing.models import AdjustmentReason, RemarkCode
from billing.selectors import code_words
from tests.admin_forms import assert_refused_in_words


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "name"), [(AdjustmentReason, "carc"), (RemarkCode, "rarc")])
def test_the_migration_loads_the_shipped_list(model, name):
    assert dict(model.objects.values_list("code", "description")) == read_code_list(name)


@pytest.mark.django_db
def test_code_words_reads_the_table_and_says_when_a_code_is_missing(django_assert_num_queries):
    with django_assert_num_queries(1):
        words = code_words(AdjustmentReason, ["29", "ZZ9", "29"])

    assert words == {
        "29": "The time limit for filing has expired.",
        "ZZ9": "code ZZ9 is not in the code list",
    }


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_rewords_a_code_and_the_app_uses_the_new_words(as_admin, admin_user):
    carc = AdjustmentReason.objects.get(code="29")

    response = as_admin.post(
        reverse("admin:billing_adjustmentreason_change", args=[carc.pk]),
        {
            "description": "Filing limit passed.",
            "effective_from": "2026-01-01",
            "effective_to": "",
        },
    )

    assert response.status_code == 302
    assert code_words(AdjustmentReason, ["29"]) == {"29": "Filing limit passed."}
    change = carc.history.first()
    assert change.history_user == admin_user
    assert change.history_change_reason == "admin change: description, effective from"


def test_an_admin_adds_a_remark_code(as_admin):
    response = as_admin.post(
        reverse("admin:billing_remarkcode_add"),
        {"code": "N999", "description": "A new remark.", "effective_from": "", "effective_to": ""},
    )

    assert response.status_code == 302
    assert code_words(RemarkCode, ["N999"]) == {"N999": "A new remark."}


def test_a_code_cannot_be_renumbered_or_retired_before_it_starts(as_admin):
    rarc = RemarkCode.objects.get(code="N20")

    response = as_admin.post(
        reverse("admin:billing_remarkcode_change", args=[rarc.pk]),
        {
            "code": "N21",
            "description": rarc.description,
            "effective_from": "2026-05-01",
            "effective_to": "2026-04-30",
        },
    )

    assert_refused_in_words(
        response, "The code cannot stop being used before it starts.", "rarc_dates_ordered"
    )
    rarc.refresh_from_db()
    assert (rarc.code, rarc.effective_from, rarc.effective_to) == ("N20", None, None)


def test_a_biller_may_read_the_lists_but_not_change_them(biller):
    assert biller.has_perm("billing.view_adjustmentreason")
    assert biller.has_perm("billing.view_remarkcode")
    assert not biller.has_perm("billing.change_adjustmentreason")
    assert not biller.has_perm("billing.add_remarkcode")


def test_the_admin_role_may_change_the_lists(admin_user):
    for perm in ("add", "change", "delete", "view"):
        assert admin_user.has_perm(f"billing.{perm}_adjustmentreason")
        assert admin_user.has_perm(f"billing.{perm}_remarkcode")
