"""Thin views: check access, bind the form, call one service, add a message, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import verifier_authenticate
from config import search
from config.paging import page_of
from refills import links, selectors, services
from refills.forms import (
    AddendumForm,
    EncounterForm,
    PatientForm,
    PatientSearchForm,
    ProviderVisitForm,
    SignForm,
    VerificationForm,
)
from refills.models import Encounter, Patient, Role
from refills.permissions import has_role
from refills.services import BLIND_CHECK_FIELDS, DuplicateSubmissionError, RefillError


def _apply_error(form, exc: RefillError) -> None:
    errors = getattr(exc, "errors", None) or {exc.field: exc.message}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


def _get_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


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
    return render(request, "refills/worklist.html", {"today": today, **groups})


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
        data = {k: v for k, v in form.cleaned_data.items() if k != "diagnosis_codes"}
        try:
            patient = services.patient_create(
                by=request.user, data=data, diagnoses=form.cleaned_data["diagnosis_codes"]
            )
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Patient registered.")
            return redirect("refills:patient_detail", pk=patient.pk)
    return render(request, "refills/patient_form.html", {"form": form, "title": "New patient"})


@require_http_methods(["GET", "POST"])
@permission_required("refills.change_patient", raise_exception=True)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "diagnosis_codes"}
        try:
            services.patient_update(
                by=request.user,
                patient=patient,
                data=data,
                diagnoses=form.cleaned_data["diagnosis_codes"],
            )
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Patient updated.")
            return redirect("refills:patient_detail", pk=patient.pk)
    return render(request, "refills/patient_form.html", {"form": form, "title": "Edit patient"})


@require_GET
@permission_required("refills.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(
        selectors.patients_visible_to(request.user).prefetch_related("diagnoses"), pk=pk
    )
    encounters = selectors.encounters_visible_to(request.user).filter(patient=patient)[:50]
    visits = patient.provider_visits.select_related("provider")[:50]
    return render(
        request,
        "refills/patient_detail.html",
        {"patient": patient, "encounters": encounters, "visits": visits},
    )


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_encounter", raise_exception=True)
def encounter_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=patient_pk)
    form = EncounterForm(request.POST or None, initial=_encounter_defaults(patient))
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_create(
                by=request.user,
                patient=patient,
                data=form.cleaned_data,
                submission_id=form.cleaned_data["submission_id"],
            )
        except DuplicateSubmissionError as exc:
            messages.info(request, "This refill was already saved: here is the draft.")
            return redirect("refills:encounter_detail", pk=exc.encounter.pk)
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Draft saved. A second clinician must now verify it.")
            return redirect("refills:encounter_detail", pk=encounter.pk)
    return render(
        request,
        "refills/encounter_form.html",
        {"form": form, "patient": patient, "title": "Document a pump refill"},
    )


def _encounter_defaults(patient: Patient) -> dict:
    now = timezone.localtime()
    defaults = {
        "date_of_service": now.date(),
        "weight_measured_on": now.date(),
        "infusion_started_at": now.replace(second=0, microsecond=0),
    }
    last = selectors.last_encounter_for(patient)
    if last is not None:
        for field in (
            "place_of_service",
            "supervising_practitioner",
            "drug_name",
            "drug_antineoplastic",
            "drug_concentration_mg_ml",
            "drug_dose_mg",
            "drug_volume_ml",
            "drug_ndc",
            "pump_type",
            "pump_model",
            "pump_serial",
            "rate_ml_h",
            "pump_volume_ml",
            "taught_person",
        ):
            defaults[field] = getattr(last, field)
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
    form = EncounterForm(request.POST or None, instance=encounter)
    if request.method == "POST" and form.is_valid():
        try:
            services.encounter_update(by=request.user, encounter=encounter, data=form.cleaned_data)
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("refills:encounter_detail", pk=encounter.pk)
    return render(
        request,
        "refills/encounter_form.html",
        {"form": form, "patient": encounter.patient, "title": "Edit refill draft"},
    )


@require_GET
@permission_required("refills.view_encounter", raise_exception=True)
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        encounter = selectors.encounter_detail(request.user, pk)
    except Encounter.DoesNotExist as exc:
        raise Http404 from exc
    visits = selectors.provider_visits_for(
        request.user, encounter.patient, encounter.date_of_service
    )
    return render(
        request,
        "refills/encounter_detail.html",
        {
            "encounter": encounter,
            "effective": services.encounter_effective_values(encounter),
            "visits": visits,
            "sign_form": SignForm(),
            "links": links.encounter_links(request.user, encounter),
            "can_sign": encounter.status == Encounter.Status.VERIFIED
            and encounter.performing_nurse_id == request.user.pk,
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
    mismatch = None
    if request.method == "POST" and form.is_valid():
        verifier, problem = verifier_authenticate(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if verifier is None:
            form.add_error("password", problem)
        else:
            try:
                result = services.encounter_verify(
                    verifier=verifier,
                    encounter=encounter,
                    entered={f: form.cleaned_data[f] for f in BLIND_CHECK_FIELDS},
                )
            except RefillError as exc:
                _apply_error(form, exc)
            else:
                if result.matched:
                    messages.success(request, "Verified. The nurse can now sign.")
                    return redirect("refills:encounter_detail", pk=encounter.pk)
                mismatch = [form.fields[f].label for f in result.attempt.mismatched_fields]
                for field in result.attempt.mismatched_fields:
                    form.add_error(
                        field,
                        "Does not match the first entry. Recheck the label and the pump; "
                        "the nurse corrects the draft if the first entry is wrong.",
                    )
    return render(
        request,
        "refills/encounter_verify.html",
        {"form": form, "encounter": encounter, "mismatch": mismatch},
    )


@require_POST
@permission_required("refills.sign_encounter", raise_exception=True)
def encounter_sign(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["attest"][0])
        return redirect("refills:encounter_detail", pk=encounter.pk)
    try:
        services.encounter_sign(by=request.user, encounter=encounter)
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
        try:
            services.addendum_create(
                by=request.user,
                encounter=encounter,
                text=form.cleaned_data["text"],
                corrections=form.corrections(),
            )
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Addendum added.")
            return redirect("refills:encounter_detail", pk=encounter.pk)
    return render(request, "refills/addendum_form.html", {"form": form, "encounter": encounter})


@require_http_methods(["GET", "POST"])
@permission_required("refills.add_providervisit", raise_exception=True)
def provider_visit_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=patient_pk)
    form = ProviderVisitForm(
        request.POST or None, initial={"date_of_service": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "diagnosis_codes"}
        try:
            services.provider_visit_record(
                by=request.user,
                patient=patient,
                data=data,
                diagnoses=form.cleaned_data["diagnosis_codes"],
            )
        except RefillError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Visit recorded.")
            return redirect("refills:patient_detail", pk=patient.pk)
    profile = getattr(request.user, "clinician", None)
    return render(
        request,
        "refills/provider_visit_form.html",
        {"form": form, "patient": patient, "profile": profile},
    )


@require_GET
@permission_required("refills.view_audit", raise_exception=True)
def patient_audit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_or_404(selectors.patients_visible_to(request.user), pk=pk)
    return render(
        request,
        "audit.html",
        {
            "title": "Audit trail of the patient",
            "subject": patient,
            "back": reverse("refills:patient_detail", args=[patient.pk]),
            "entries": selectors.patient_audit(patient),
        },
    )


@require_GET
@permission_required("refills.view_audit", raise_exception=True)
def encounter_audit(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _get_or_404(selectors.encounters_visible_to(request.user), pk=pk)
    return render(
        request,
        "audit.html",
        {
            "title": f"Audit trail of refill #{encounter.pk}",
            "subject": encounter.patient,
            "back": reverse("refills:encounter_detail", args=[encounter.pk]),
            "entries": selectors.encounter_audit([encounter.pk]),
        },
    )
