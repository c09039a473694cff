"""Granting the Provider role: a provider bills in their own name, so their clinician profile
must be complete first, whoever grants the role."""

from __future__ import annotations

from refills.models import ClinicianProfile
from tests.accounts.test_user_admin import change_url, form_data, group_ids
from tests.factories import UserFactory


def _grant_provider(client, admin_user, user):
    client.force_login(admin_user)
    data = form_data(client, user)
    data.update(groups=group_ids("Nurse", "Provider"), reason="Now practising as an NP.")
    return client.post(change_url(user), data)


def test_the_provider_role_needs_a_complete_profile_first(client, admin_user):
    user = UserFactory(username="np.new", role="Nurse", credential="RN")

    response = _grant_provider(client, admin_user, user)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["groups"] == [
        "A provider is a physician (MD, DO), nurse practitioner or physician assistant. "
        "A provider needs an NPI. A provider needs a taxonomy code. Complete their clinician "
        "profile first, then grant the Provider role."
    ]
    assert not user.groups.filter(name="Provider").exists()

    profile = user.clinician
    profile.credential, profile.npi, profile.taxonomy = "NP", "1245319599", "363LA2200X"
    profile.save()
    response = _grant_provider(client, admin_user, user)

    assert response.status_code == 302
    assert set(user.groups.values_list("name", flat=True)) == {"Nurse", "Provider"}


def test_the_provider_role_needs_a_profile_at_all(client, admin_user):
    user = UserFactory(username="dr.noprofile", role="Nurse")
    ClinicianProfile.objects.filter(user=user).delete()

    response = _grant_provider(client, admin_user, user)

    assert response.context["adminform"].form.errors["groups"] == [
        "A provider bills in their own name: add their clinician profile (credential, NPI, "
        "taxonomy code) first, then grant the Provider role."
    ]
