"""Form drafts on the server: the autosave endpoint, and what a form page needs to restore
a draft, offer Cancel and guard against leaving with unsaved changes (static/js/drafts.js).

A draft is keyed by its form page's path and belongs to one person: it is saved only for a
form that person may use, and read back only into their own form on that page.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import HTML
from django import forms
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from config.middleware import mark_background
from config.users import acting_user
from refills import selectors, services
from refills.errors import RefillError
from refills.models import Encounter, FormDraft

# POST fields that are not what the person typed.
NOT_TYPED = {"csrfmiddlewaretoken", "draft_key", "save", "cancel"}


def _may_use_form(request: HttpRequest, key: str) -> None:
    """Raise Http404 unless ``key`` is the path of a form page with drafts that the user
    may use right now."""
    try:
        match = resolve(key)
    except Resolver404 as exc:
        raise Http404 from exc
    if reverse(match.view_name, kwargs=match.kwargs) != key:
        raise Http404
    user = acting_user(request)
    if match.view_name == "refills:encounter_create":
        if not user.has_perm("refills.add_encounter"):
            raise Http404
        if not selectors.patients_visible_to(user).filter(pk=match.kwargs["patient_pk"]).exists():
            raise Http404
    elif match.view_name == "refills:encounter_edit":
        if (
            not user.has_perm("refills.change_encounter")
            or not selectors.encounters_visible_to(user)
            .filter(pk=match.kwargs["pk"], performing_nurse=user)
            .exclude(status=Encounter.Status.SIGNED)
            .exists()
        ):
            raise Http404
    else:
        raise Http404


@require_POST
def draft_save(request: HttpRequest) -> JsonResponse:
    """Keep what the form holds as the user's draft. Sent by the page on its own, so it does
    not postpone the idle logoff."""
    mark_background(request)
    key = request.POST.get("draft_key", "")
    _may_use_form(request, key)
    data = {
        name: values[0] if len(values) == 1 else values
        for name, values in request.POST.lists()
        if name not in NOT_TYPED
    }
    try:
        draft = services.draft_save(user=acting_user(request), key=key, data=data)
    except RefillError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"saved_at": f"{timezone.localtime(draft.updated_at):%H:%M}"})


def restored_initial(request: HttpRequest, form_class: type[forms.BaseForm]) -> tuple[dict, Any]:
    """(initial values, draft) from the user's draft of this page, or ({}, None).

    A box that was not ticked is not sent with a form, so every box the draft does not name
    is restored unticked."""
    draft = selectors.draft_for(request.user, request.path)
    if draft is None:
        return {}, None
    initial: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():  # type: ignore[attr-defined]
        if name in draft.data:
            initial[name] = draft.data[name]
        elif isinstance(field, forms.BooleanField):
            initial[name] = False
    return initial, draft


def discard(request: HttpRequest) -> None:
    services.draft_discard(user=acting_user(request), key=request.path)


def cancelled(request: HttpRequest) -> bool:
    return request.method == "POST" and "cancel" in request.POST


def guard(
    form: forms.BaseForm,
    *,
    back: str,
    draft_key: str | None = None,
    draft: FormDraft | None = None,
) -> forms.BaseForm:
    """Give a form page its Cancel (back to ``back``) and the guard against leaving with
    unsaved changes; with ``draft_key`` (the page's path) also the server-side draft: Cancel
    then posts, so the view can discard the draft before it goes back."""
    helper = form.helper  # type: ignore[attr-defined]
    helper.attrs = {**helper.attrs, "data-guard": "unsaved"}
    if draft_key is not None:
        helper.attrs.update(
            {"data-draft-url": reverse("refills:draft_save"), "data-draft-key": draft_key}
        )
    if draft is not None or form.is_bound:
        # The page opens holding what has not been saved: leaving it asks first.
        helper.attrs["data-unsaved"] = "true"
    if draft_key is not None:
        cancel = format_html(
            '<button type="submit" name="cancel" value="1" formnovalidate '
            'class="btn btn-outline-secondary ms-2" data-leave>Cancel</button>'
            '<p class="small text-body-secondary mt-2 mb-0" data-draft-status '
            'aria-live="polite">{}</p>',
            _draft_note(draft),
        )
    else:
        cancel = format_html(
            '<a class="btn btn-outline-secondary ms-2" href="{}" data-leave>Cancel</a>', back
        )
    helper.layout.append(HTML(cancel))
    return form


def _draft_note(draft: FormDraft | None) -> str:
    if draft is None:
        return "What you type is kept as a draft for you until you save or cancel."
    return (
        f"Restored your draft of {timezone.localtime(draft.updated_at):%H:%M}. Check it, then save."
    )
