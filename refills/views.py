"""Thin views: check access, bind the form, call one service, add a message, redirect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import verifier_authenticate
from config import search
from config.audit import audit_page
from config.paging import page_of
from config.users import acting_user
from refills import drafts, links, selectors, services
from refills.blind import BLIND_CHECK_FIELDS
from refills.forms import (
    AddendumForm,
    EncounterForm,
    OrderDiscontinueForm,
    OrderForm,
    OverrideForm,
    PatientForm,
    PatientSearchForm,
    ProviderVisitCorrectionForm,
    ProviderVisitForm,
    ProviderVisitWithdrawForm,
    SignForm,
    VerificationForm,
)
from refills.models import Encounter, FormDraft, Order, Patient, ProviderVisit, Role
from refills.permissions import has_role
from refills.services import DuplicateSubmissionError, RefillError


def _apply_error(form, exc: RefillError) -> None:
    errors = getattr(exc, "errors", None) or {exc.field: exc.message}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


@contextmanager
def _refusal_shown_on(form) -> Iterator[None]:
    """Run the block; a service's refusal (RefillError) ends it there and is shown on the
    form, at its field or above the form. What follows the service call in the block runs
    only when the service accepted."""
    try:
        yield
    except RefillError as exc:
        _apply_error(form, exc)


def _done(request: HttpRequest, message: str, to: str, **kwargs: Any) -> HttpResponse:
    """The service accepted: say so, and go on to ``to``."""
    messages.success(request, message)
    return redirect(to, **kwargs)


def _data_and_diagnoses(form) -> dict[str, Any]:
    """A patient's or a visit's form as its service takes it: the diagnosis codes apart
    (``diagnoses``) from the other fields (``data``)."""
    data = {k: v for k, v in form.cleaned_data.items() if k != "diagnosis_codes"}
    return {"data": data, "diagnoses": form.cleaned_data["diagnosis_codes"]}


def _get_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def _banner(patient: Patient) -> selectors.PatientBanner:
    return selectors.patient_banner(patient, timezone.localdate())


def _form_page(
    request: HttpRequest,
    template: str,
    form,
    *,
    back: str,
    banner: selectors.PatientBanner,
    draft_key: str | None = None,
    draft: FormDraft | None = None,
    **context: Any,
) -> HttpResponse:
    """A page with a form about one patient: the form guarded (Cancel goes to ``back``, and
    with ``draft_key`` it keeps a draft), the patient banner above it, and ``context``."""
    drafts.guard(form, back=back, draft_key=draft_key, draft=draft)
    return render(request, template, {"form": form, "banner": banner, **context})


def _refill_form_page(
    request: HttpRequest, template: str, form, encounter: Encounter, **context: Any
) -> HttpResponse:
    """A form page about one refill: Cancel goes back to the refill, under its patient's
    banner."""
    return _form_page(
        request,
        template,
        form,
        back=reverse("refills:encounter_detail", args=[encounter.pk]),
        banner=_banner(encounter.patient),
        encounter=encounter,
        **context,
    )


def _encounter_form(request: HttpRequest, patient: Patient, **kwargs) -> EncounterForm:
    return EncounterForm(
        request.POST or None,
        order_for=lambda day: selectors.refill_order(patient, day),
        tolerance_percent=selectors.clinic_settings().dose_tolerance_percent,
        **kwargs,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    # A provider who also bills starts where billing sends them; a nurse, at the worklist.
    if has_role(user, Role.NURSE) or (
        has_role(user, Role.PROVIDER) and not has_role(user, Role.BILLER)
    ):
        return redirect("refills:worklist")
    url = links.home_page(user)
    if url is not None:
        return redirect(url)
    return render(request, "refills/no_role.html", status=403)


@require_GET
@permission_required("refills.view_encounter", raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    groups = selectors.worklist(request.user, today)
    held = links.holds(request.user)
    return render(request, "refills/worklist.html", {"today": today, "held": held, **groups})


@require_http_methods(["GET", "POST"])
@permission_required("refills.view_patient", raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    terms = search.recall(request, "patients")
    if request.method == "POST":
        form = PatientSearchForm(request.POST)
        if form.is_valid():
            search.remember(request, "patients", {"q": form.cleaned_data["q"]})
            return redirect("refills:patient_list")
    else:
        form = PatientSearchForm(initial=terms)
    patients = selectors.patient_search(request.user, terms.get("q", ""))
    page = page_of(patients, request.GET.get("page"))
    return render(request, "refills/patient_list.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_patient", raise_exception=True)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            patient = services.patient_create(by=acting_user(request), **_data_and_diagnoses(form))
            return _done(request, "Patient registered.", "refills:patient_detail", pk=patient.pk)
    drafts.guard(form, back=reverse("refills:patient_list"))
    return render(request, "refills/patient_form.html", {"form": form, "title": "New patient"})


@require_http_methods(["GET", "POST"])
@permission_required("refills.change_patient", raise_exception=True)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            services.patient_update(
                by=acting_user(request), patient=patient, **_data_and_diagnoses(form)
            )
            return _done(request, "Patient updated.", "refills:patient_detail", pk=patient.pk)
    drafts.guard(form, back=reverse("refills:patient_detail", args=[patient.pk]))
    return render(request, "refills/patient_form.html", {"form": form, "title": "Edit patient"})


@require_GET
@permission_required("refills.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(
        selectors.patients_visible_to(request.user).prefetch_related("diagnoses"), pk=pk
    )
    encounters = selectors.encounters_visible_to(request.user).filter(patient=patient)[:50]
    visits = patient.provider_visits.select_related("provider")[:50]
    orders = (
        selectors.orders_of(patient)[:20] if request.user.has_perm("refills.view_order") else []
    )
    return render(
        request,
        "refills/patient_detail.html",
        {
            "patient": patient,
            "encounters": encounters,
            "visits": visits,
            "orders": orders,
            "banner": _banner(patient),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_encounter", raise_exception=True)
def encounter_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=patient_pk)
    back = reverse("refills:patient_detail", args=[patient.pk])
    if drafts.cancelled(request):
        drafts.discard(request)
        return redirect(back)
    restored, draft = drafts.restored_initial(request, EncounterForm)
    order = selectors.active_order(patient, timezone.localdate())
    form = _encounter_form(
        request, patient, initial={**_encounter_defaults(patient, order), **restored}
    )
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_create(
                by=acting_user(request),
                patient=patient,
                data=form.cleaned_data,
                submission_id=form.cleaned_data["submission_id"],
            )
        except DuplicateSubmissionError as exc:
            drafts.discard(request)
            messages.info(request, "This refill was already saved: here is the draft.")
            return redirect("refills:encounter_detail", pk=exc.encounter.pk)
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            drafts.discard(request)
            return _done(
                request,
                "Draft saved. A second clinician must now verify it.",
                "refills:encounter_detail",
                pk=encounter.pk,
            )
    return _encounter_form_page(
        request,
        form,
        patient,
        order,
        back=back,
        draft=draft,
        banner=selectors.patient_banner_with(patient, timezone.localdate(), order),
        title="Document a pump refill",
        same_day=selectors.same_day_encounters(request.user, patient, timezone.localdate()),
    )


def _encounter_form_page(
    request: HttpRequest,
    form: EncounterForm,
    patient: Patient,
    order: Order | None,
    *,
    back: str,
    draft: FormDraft | None,
    banner: selectors.PatientBanner | None = None,
    **context: Any,
) -> HttpResponse:
    """The refill form, new or a draft, with the order it is checked against (the one in
    force on the date entered, once the form has looked it up) and a draft kept at the
    page's own path."""
    return _form_page(
        request,
        "refills/encounter_form.html",
        form,
        back=back,
        banner=banner or _banner(patient),
        draft_key=request.path,
        draft=draft,
        patient=patient,
        order=form.order or order,
        **context,
    )


def _encounter_defaults(patient: Patient, order: Order | None) -> dict:
    """Drug and pump values come from the active order, never from an earlier refill; the
    earlier refill gives only what does not change between refills (place, device)."""
    now = timezone.localtime()
    defaults: dict[str, Any] = {
        "date_of_service": now.date(),
        "weight_measured_on": now.date(),
        "infusion_started_at": now.replace(second=0, microsecond=0),
    }
    last = selectors.last_encounter_for(patient)
    if last is not None:
        for field in (
            "place_of_service",
            "supervising_practitioner",
            "pump_type",
            "pump_model",
            "pump_serial",
            "taught_person",
        ):
            defaults[field] = getattr(last, field)
    if order is not None:
        defaults |= {
            "drug_name": order.drug_name,
            "drug_concentration_mg_ml": order.concentration_mg_ml,
            "drug_dose_mg": order.dose_mg,
            "drug_volume_ml": (order.dose_mg / order.concentration_mg_ml).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            ),
            "rate_ml_h": order.rate_ml_h,
            "pump_volume_ml": order.final_volume_ml,
        }
    return defaults


@require_http_methods(["GET", "POST"])
@permission_required("refills.change_encounter", raise_exception=True)
def encounter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    if encounter.is_locked:
        messages.info(request, "This encounter is signed. Corrections are made by addendum.")
        return redirect("refills:encounter_detail", pk=encounter.pk)
    if encounter.performing_nurse_id != request.user.pk:
        raise Http404
    back = reverse("refills:encounter_detail", args=[encounter.pk])
    if drafts.cancelled(request):
        drafts.discard(request)
        return redirect(back)
    restored, draft = drafts.restored_initial(request, EncounterForm)
    form = _encounter_form(request, encounter.patient, instance=encounter, initial=restored)
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            services.encounter_update(
                by=acting_user(request), encounter=encounter, data=form.cleaned_data
            )
            drafts.discard(request)
            return _done(request, "Changes saved.", "refills:encounter_detail", pk=encounter.pk)
    return _encounter_form_page(
        request,
        form,
        encounter.patient,
        encounter.order,
        back=back,
        draft=draft,
        title="Edit refill draft",
    )


@require_GET
@permission_required("refills.view_encounter", raise_exception=True)
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_in_detail(request.user), pk=pk)
    visits = selectors.provider_visits_for(
        request.user, encounter.patient, encounter.date_of_service
    )
    pending = [] if encounter.is_locked else selectors.encounter_pending_concerns(encounter)
    return render(
        request,
        "refills/encounter_detail.html",
        {
            "encounter": encounter,
            "effective": services.encounter_effective_values(encounter),
            "visits": visits,
            "banner": _banner(encounter.patient),
            "show_pump_values": encounter.pump_values_visible_to(request.user),
            "pending": pending,
            "mismatched": selectors.last_attempt_mismatched(encounter),
            "may_verify": selectors.may_verify(encounter, request.user),
            "sign_form": SignForm(),
            "links": links.encounter_links(request.user, encounter),
            "can_sign": encounter.status == Encounter.Status.VERIFIED
            and encounter.performing_nurse_id == request.user.pk
            and not pending,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.view_encounter", raise_exception=True)
def encounter_verify(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    if encounter.status != Encounter.Status.DRAFT:
        messages.info(request, "This encounter is not waiting for verification.")
        return redirect("refills:encounter_detail", pk=encounter.pk)
    initial = {}
    if request.user.pk != encounter.performing_nurse_id:
        initial["username"] = request.user.get_username()
    form = VerificationForm(request.POST or None, initial=initial)
    mismatch = False
    if request.method == "POST" and form.is_valid():
        verifier, problem = verifier_authenticate(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if verifier is None:
            form.add_error("password", problem)
        else:
            with _refusal_shown_on(form):
                result = services.encounter_verify(
                    verifier=verifier,
                    encounter=encounter,
                    entered={f: form.cleaned_data[f] for f in BLIND_CHECK_FIELDS},
                )
                if result.matched:
                    return _done(
                        request,
                        "Verified. The nurse can now sign.",
                        "refills:encounter_detail",
                        pk=encounter.pk,
                    )
                # Which field differed, and the values typed, stay off the page: a verifier
                # must not be able to change one number at a time until it matches.
                mismatch = True
                form = VerificationForm(initial={"username": verifier.get_username()})
    return _refill_form_page(
        request, "refills/encounter_verify.html", form, encounter, mismatch=mismatch
    )


@require_POST
@permission_required("refills.sign_encounter", raise_exception=True)
def encounter_sign(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["attest"][0]))
        return redirect("refills:encounter_detail", pk=encounter.pk)
    try:
        services.encounter_sign(by=acting_user(request), encounter=encounter)
    except RefillError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Signed and locked.")
    return redirect("refills:encounter_detail", pk=encounter.pk)


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_encounter_addendum", raise_exception=True)
def addendum_create(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    if not encounter.is_locked:
        messages.info(request, "Addenda are for signed encounters; edit the draft instead.")
        return redirect("refills:encounter_detail", pk=encounter.pk)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            services.addendum_create(
                by=acting_user(request),
                encounter=encounter,
                text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
                corrections=form.corrections(),
            )
            return _done(request, "Addendum added.", "refills:encounter_detail", pk=encounter.pk)
    return _refill_form_page(request, "refills/addendum_form.html", form, encounter)


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_providervisit", raise_exception=True)
def provider_visit_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=patient_pk)
    form = ProviderVisitForm(
        request.POST or None, initial={"date_of_service": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            services.provider_visit_record(
                by=acting_user(request), patient=patient, **_data_and_diagnoses(form)
            )
            return _done(request, "Visit recorded.", "refills:patient_detail", pk=patient.pk)
    return _form_page(
        request,
        "refills/provider_visit_form.html",
        form,
        back=reverse("refills:patient_detail", args=[patient.pk]),
        banner=_banner(patient),
        patient=patient,
        profile=getattr(request.user, "clinician", None),
    )


@require_GET
@permission_required("refills.view_audit", raise_exception=True)
def patient_audit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=pk)
    return audit_page(
        request,
        title="Audit trail of the patient",
        patient=patient,
        back=reverse("refills:patient_detail", args=[patient.pk]),
        entries=selectors.patient_audit(patient, request.user),
    )


@require_GET
@permission_required("refills.view_audit", raise_exception=True)
def encounter_audit(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    return audit_page(
        request,
        title=f"Audit trail of refill #{encounter.pk}",
        patient=encounter.patient,
        back=reverse("refills:encounter_detail", args=[encounter.pk]),
        entries=selectors.encounter_audit([encounter.pk], request.user),
    )


# Orders


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_order", raise_exception=True)
def order_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=patient_pk)
    today = timezone.localdate()
    banner = _banner(patient)
    form = OrderForm(
        request.POST or None,
        today=today,
        initial={
            "dosing_height_cm": banner.height_cm,
            "dosing_weight_kg": banner.weight_kg,
            "valid_from": today,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "attest"}
        with _refusal_shown_on(form):
            order = services.order_create(by=acting_user(request), patient=patient, data=data)
            return _done(
                request,
                "Order signed. Refills are now documented against it.",
                "refills:order_detail",
                pk=order.pk,
            )
    return _form_page(
        request,
        "refills/order_form.html",
        form,
        back=reverse("refills:patient_detail", args=[patient.pk]),
        banner=banner,
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_or_404(selectors.orders_visible_to(request.user), pk=pk)
    may_discontinue = (
        request.user.has_perm("refills.change_order") and order.status == Order.Status.ACTIVE
    )
    form = OrderDiscontinueForm(request.POST or None) if may_discontinue else None
    if form is not None:
        drafts.guard(form, back=reverse("refills:patient_detail", args=[order.patient_id]))
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            with _refusal_shown_on(form):
                services.order_discontinue(
                    by=acting_user(request),
                    order=order,
                    reason=form.cleaned_data["discontinue_reason"],
                )
                return _done(request, "Order discontinued.", "refills:order_detail", pk=order.pk)
    return render(
        request,
        "refills/order_detail.html",
        {
            "order": order,
            "refills_used": selectors.refills_signed_on(order),
            "discontinue_form": form,
            "banner": _banner(order.patient),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.override_encounter", raise_exception=True)
def encounter_override(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_in_detail(request.user), pk=pk)
    concerns = [] if encounter.is_locked else selectors.encounter_pending_concerns(encounter)
    if not concerns:
        messages.info(request, "This refill needs no provider override.")
        return redirect("refills:encounter_detail", pk=encounter.pk)
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider, problem = verifier_authenticate(
            request, request.user.get_username(), form.cleaned_data["password"]
        )
        if provider is None:
            form.add_error("password", problem)
        else:
            with _refusal_shown_on(form):
                services.encounter_override(
                    provider=provider, encounter=encounter, reason=form.cleaned_data["reason"]
                )
                return _done(
                    request,
                    "Override recorded. The nurse can sign once verified.",
                    "refills:encounter_detail",
                    pk=encounter.pk,
                )
    return _refill_form_page(
        request, "refills/override_form.html", form, encounter, concerns=concerns
    )


@require_GET
@permission_required("refills.view_encounter", raise_exception=True)
def teaching_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(
        selectors.encounters_visible_to(request.user).select_related("order"), pk=pk
    )
    return render(
        request,
        "refills/teaching_sheet.html",
        {"encounter": encounter, "phone": selectors.clinic_settings().after_hours_phone},
    )


# Provider visits: the provider opens, corrects or withdraws their own, until the claim of
# the day is exported, and sees what the change did to the claim.


def _visit_or_404(request: HttpRequest, pk: int) -> ProviderVisit:
    return _get_or_404(selectors.provider_visits_visible_to(request.user), pk=pk)


def _own_changeable_visit(request: HttpRequest, pk: int) -> ProviderVisit:
    visit = _visit_or_404(request, pk)
    if visit.provider_id != request.user.pk:
        raise Http404
    return visit


def _visit_change_page(
    request: HttpRequest, form, visit: ProviderVisit, title: str
) -> HttpResponse:
    """The page that corrects or withdraws a visit: Cancel goes back to the visit."""
    return _form_page(
        request,
        "refills/visit_change.html",
        form,
        back=reverse("refills:visit_detail", args=[visit.pk]),
        banner=_banner(visit.patient),
        visit=visit,
        title=title,
    )


def _changed(request: HttpRequest, change: services.VisitChange, done: str) -> HttpResponse:
    messages.success(request, done)
    for outcome in change.outcomes:
        messages.info(request, outcome)
    return redirect("refills:patient_detail", pk=change.visit.patient_id)


@require_GET
@permission_required("refills.view_providervisit", raise_exception=True)
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    locked = None
    if visit.provider_id == request.user.pk:
        try:
            services.provider_visit_check_changeable(visit)
        except RefillError as exc:
            locked = exc.message
    return render(
        request,
        "refills/visit_detail.html",
        {
            "visit": visit,
            "banner": _banner(visit.patient),
            "can_change": visit.provider_id == request.user.pk
            and locked is None
            and request.user.has_perm("refills.change_providervisit"),
            "locked": locked,
            "history": selectors.visit_history(visit),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.change_providervisit", raise_exception=True)
def visit_correct(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _own_changeable_visit(request, pk)
    form = ProviderVisitCorrectionForm(request.POST or None, instance=visit)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.CORRECTABLE_VISIT_FIELDS}
        with _refusal_shown_on(form):
            change = services.provider_visit_correct(
                by=acting_user(request),
                visit=visit,
                data=data,
                diagnoses=form.cleaned_data["diagnosis_codes"],
                reason=form.cleaned_data["reason"],
            )
            return _changed(request, change, "Visit corrected.")
    return _visit_change_page(request, form, visit, "Correct the visit")


@require_http_methods(["GET", "POST"])
@permission_required("refills.delete_providervisit", raise_exception=True)
def visit_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _own_changeable_visit(request, pk)
    form = ProviderVisitWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with _refusal_shown_on(form):
            change = services.provider_visit_withdraw(
                by=acting_user(request), visit=visit, reason=form.cleaned_data["reason"]
            )
            return _changed(request, change, "Visit withdrawn.")
    return _visit_change_page(request, form, visit, "Withdraw the visit")
