"""The biller's queue. Thin views: access, form, one service, message, redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import cms1500, selectors, services
from billing.exporting import Unwritable, claim_number
from billing.forms import (
    BulkActionForm,
    ClaimSearchForm,
    CorrectionForm,
    ExportSelectionForm,
    QueueFilterForm,
    ReasonForm,
    RedecideForm,
    X12UploadForm,
)
from billing.models import Claim, ClaimExport, PracticeSettings, X12Import
from billing.selectors import DEFAULT_QUEUE_SORT, QUEUE_SORTS, QueueFilters
from billing.services import BillingError
from billing.services.corrections import CORRECTABLE
from config import search
from config.audit import audit_page
from config.paging import page_of

# The claims a biller may decide again from their page: not yet sent, or rejected.
REDECIDABLE = frozenset(
    {Claim.Status.HOLD, Claim.Status.READY, Claim.Status.APPROVED, Claim.Status.REJECTED}
)

# The query-string keys of the queue: its filters, order and page, never a name or an MRN.
QUEUE_PARAMS = (*QueueFilterForm.base_fields, "page")

# Each sortable column: the order of its first click, then the reverse.
COLUMN_SORTS = {
    "number": ("-number", "number"),
    "patient": ("patient", "-patient"),
    "date": ("-date", "date"),
    "payer": ("payer", "-payer"),
    "total": ("-total", "total"),
    "status": ("status", "-status"),
    "age": ("date", "-date"),
}


def _queue_query(params, *, drop: tuple[str, ...] = ()) -> str:
    """The queue's own parameters out of ``params`` (anything else is dropped), re-encoded."""
    return urlencode(
        [(k, params.get(k)) for k in QUEUE_PARAMS if k not in drop and params.get(k)],
    )


def _queue_url(params) -> str:
    query = _queue_query(params)
    return reverse("billing:queue") + (f"?{query}" if query else "")


def _sort_links(params, current: str) -> dict[str, dict[str, str]]:
    base = _queue_query(params, drop=("sort", "page"))
    links = {}
    for column, (first, second) in COLUMN_SORTS.items():
        key = second if current == first else first
        aria = ""
        if column != "age" and current in (first, second):
            aria = "descending" if current.startswith("-") else "ascending"
        links[column] = {"href": "?" + "&".join(filter(None, [base, f"sort={key}"])), "aria": aria}
    return links


@require_http_methods(["GET", "POST"])
@permission_required("billing.view_claim", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    """The biller's claims. The patient search is POSTed and kept in the session; filters
    and order are in the query string. A filter or search that fails shows its error and no
    claims at all: an unfiltered list would look like an answer."""
    terms = search.recall(request, "claims")
    failed = False
    if request.method == "POST":
        search_form = ClaimSearchForm(request.POST)
        if search_form.is_valid():
            search.remember(request, "claims", {"q": search_form.cleaned_data["q"]})
            return redirect(_queue_url(request.GET))
        failed = True
    else:
        search_form = ClaimSearchForm(initial=terms)
    filter_form = QueueFilterForm(request.GET or None)
    filters = QueueFilters(search=terms.get("q", ""))
    if filter_form.is_bound:
        if filter_form.is_valid():
            data = filter_form.cleaned_data
            filters = QueueFilters(
                status=data["status"],
                payer=data["payer"].pk if data["payer"] else None,
                date_from=data["date_from"],
                date_to=data["date_to"],
                rule=data["rule"],
                search=filters.search,
                sort=data["sort"] or DEFAULT_QUEUE_SORT,
                age=data["age"],
                outcome=data["outcome"],
                carc=data["carc"],
                paid_in=data["paid_in"],
            )
        else:
            failed = True
    if failed:
        page, totals = page_of(Claim.objects.none(), None), None
    else:
        claims = selectors.claim_queue(request.user, filters)
        page = page_of(claims, request.GET.get("page"))
        totals = selectors.queue_totals(request.user, filters, claims)
    today = timezone.localdate()
    for claim in page:
        claim.age_days = (today - claim.date_of_service).days
    return render(
        request,
        "billing/queue.html",
        {
            "page": page,
            "totals": totals,
            "failed": failed,
            "filter_form": filter_form,
            "search_form": search_form,
            "query": _queue_query(request.GET, drop=("page",)),
            "sort_links": _sort_links(request.GET, filters.sort),
            "sort_label": QUEUE_SORTS[filters.sort][0].lower(),
        },
    )


def _claim_or_404(request: HttpRequest, pk: int) -> Claim:
    try:
        return selectors.claim_detail(request.user, pk)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@permission_required("billing.view_claim", raise_exception=True)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    can_redecide = (
        request.user.has_perm("billing.approve_claim") and claim.is_live and not claim.was_sent
    )
    return render(
        request,
        "billing/claim_detail.html",
        {
            "claim": claim,
            "payments": selectors.claim_payments(claim),
            "acknowledgments": claim.acknowledgments.select_related("x12_import").defer(
                "x12_import__content"
            ),
            # Messages that ask for a re-decision get the button beside them (base.html).
            "redecide_url": reverse("billing:claim_redecide", args=[claim.pk])
            if can_redecide
            else "",
            "visits": selectors.same_day_visits(claim),
            "redecidable": REDECIDABLE,
            "correctable": CORRECTABLE,
        },
    )


# The refusals that tell the biller to fix something and re-decide.
REDECIDE_CODES = {"no_payer"}


def _refused(request: HttpRequest, exc: BillingError) -> None:
    messages.error(
        request, exc.message, extra_tags="redecide" if exc.code in REDECIDE_CODES else ""
    )


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.claim_approve, "Claim approved.")


def _act(request: HttpRequest, pk: int, service, done: str, **reason: str) -> HttpResponse:
    """Run a claim service on the claim as the signed-in biller, say what came of it and go
    back to the claim."""
    claim = _claim_or_404(request, pk)
    try:
        service(claim=claim, by=request.user, **reason)
    except BillingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect("billing:claim_detail", pk=claim.pk)


def _with_reason(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        claim = _claim_or_404(request, pk)
        messages.error(request, str(form.errors["reason"][0]))
        return redirect("billing:claim_detail", pk=claim.pk)
    return _act(request, pk, service, done, reason=form.cleaned_data["reason"])


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_hold(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(request, pk, services.claim_hold, "Claim put on hold.")


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(request, pk, services.claim_release, "Hold released; the claim is ready.")


def _refusals(refused) -> str:
    return "; ".join(f"{number}: {why}" for number, why in refused)


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claims_bulk(request: HttpRequest) -> HttpResponse:
    """Approve or hold the claims ticked in the queue, then back to the same queue view."""
    form = BulkActionForm(request.POST)
    back = redirect(_queue_url(request.GET))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return back
    ids = form.cleaned_data["claims"]
    if form.cleaned_data["action"] == "approve":
        outcome = services.claims_approve_many(claim_ids=ids, by=request.user)
        done, verb = "Approved", "Not approved"
    else:
        outcome = services.claims_hold_many(
            claim_ids=ids, by=request.user, reason=form.cleaned_data["reason"]
        )
        done, verb = "Put on hold", "Not held"
    if outcome.done:
        count = len(outcome.done)
        messages.success(request, f"{done}: {count} claim{pluralize(count)}.")
    if outcome.refused:
        messages.error(request, f"{verb}: {_refusals(outcome.refused)}.")
    return back


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_redecide(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide the claim again from the documentation as it stands (a claim not yet sent, or
    rejected); the reason is optional (the queue's and the hold's buttons send none)."""
    claim = _claim_or_404(request, pk)
    form = RedecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["reason"][0]))
        return redirect("billing:claim_detail", pk=claim.pk)
    try:
        live = services.claim_redecide(
            claim=claim, by=request.user, reason=form.cleaned_data["reason"]
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:claim_detail", pk=claim.pk)
    if live.pk == claim.pk:
        messages.info(
            request,
            f"Re-decided: {live.number} came out the same and is "
            f"{live.get_status_display().lower()}.",
        )
    else:
        messages.success(
            request,
            f"Re-decided: {live.number} replaces {claim.number} and is "
            f"{live.get_status_display().lower()}.",
        )
    return redirect("billing:claim_detail", pk=live.pk)


@require_POST
@permission_required("billing.export_claim", raise_exception=True)
def export_create(request: HttpRequest) -> HttpResponse:
    """Export every approved claim now and hand the file straight to the browser."""
    return _export(request, request.POST.get("format", ""), claim_ids=None)


@require_POST
@permission_required("billing.export_claim", raise_exception=True)
def export_selected(request: HttpRequest) -> HttpResponse:
    """Export the approved claims among those ticked in the queue."""
    form = ExportSelectionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect(_queue_url(request.GET))
    return _export(request, form.cleaned_data["format"], claim_ids=form.cleaned_data["claims"])


def _export(request: HttpRequest, fmt: str, *, claim_ids: list[int] | None) -> HttpResponse:
    """The file, with a message for the queue the browser shows next (the page reloads
    after the download), or back to the queue when there is nothing to export."""
    back = redirect(_queue_url(request.GET))
    left_out: list[Unwritable] = []
    try:
        export = services.claims_export(
            by=request.user, fmt=fmt, claim_ids=claim_ids, left_out=left_out
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return back
    if left_out:
        # By claim number and field only: no name or member ID reaches a message.
        messages.warning(
            request,
            f"Left out of the file and held ({len(left_out)}): "
            + "; ".join(f"{claim_number(p.pk)}: {p.message}" for p in left_out),
        )
    held = {p.pk for p in left_out}
    if export is None:
        if claim_ids is None:
            if not left_out:
                messages.info(request, "No approved claim is waiting for export.")
        elif set(claim_ids) - held:
            messages.error(request, f"Nothing exported: {_not_exported(claim_ids, held)}.")
        return back
    count = export.claim_count
    messages.success(
        request,
        f"Exported {count} claim{pluralize(count)} in {export.filename}; "
        "both formats stay under Exports.",
    )
    if claim_ids is not None:
        named = held | set(export.claims.values_list("pk", flat=True))
        if set(claim_ids) - named:
            messages.error(request, f"Not exported: {_not_exported(claim_ids, named)}.")
    return _file_response(export, export.format)


def _not_exported(claim_ids: list[int], named: set[int]) -> str:
    """Why the selected claims outside ``named`` were not exported: not approved."""
    rest = sorted(set(claim_ids) - named)
    statuses = dict(Claim.objects.filter(pk__in=rest).values_list("pk", "status"))
    return "; ".join(
        f"{Claim(pk=pk).number}: "
        + (
            f"it is {Claim.Status(statuses[pk]).label.lower()}, not approved"
            if pk in statuses
            else "no such claim"
        )
        for pk in rest
    )


def _file_response(export: ClaimExport, fmt: str) -> HttpResponse:
    filename, content = export.file(fmt)
    content_type = "text/csv" if fmt == ClaimExport.Format.CSV else "application/edi-x12"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@permission_required("billing.export_claim", raise_exception=True)
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's file, in the format asked for first or in ``?format=``."""
    try:
        export = selectors.exports_visible_to(request.user).defer(None).get(pk=pk)
    except ClaimExport.DoesNotExist as exc:
        raise Http404 from exc
    fmt = request.GET.get("format") or export.format
    if fmt not in export.formats:
        raise Http404
    return _file_response(export, fmt)


@require_GET
@permission_required("billing.view_claim", raise_exception=True)
def claim_form_1500(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    practice = PracticeSettings.objects.first()
    return render(
        request,
        "billing/claim_1500.html",
        {"claim": claim, "practice": practice, "form": cms1500.layout(claim, practice)},
    )


@require_GET
@permission_required("billing.view_claimexport", raise_exception=True)
def export_list(request: HttpRequest) -> HttpResponse:
    page = page_of(selectors.exports_visible_to(request.user), request.GET.get("page"))
    return render(request, "billing/export_list.html", {"page": page})


@require_GET
@permission_required("refills.view_audit", raise_exception=True)
def claim_audit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    return audit_page(
        request,
        title=f"Audit trail of claim #{claim.pk}",
        patient=claim.patient,
        back=reverse("billing:claim_detail", args=[claim.pk]),
        entries=selectors.claim_audit(claim),
    )


def _imports_page(request: HttpRequest, form: X12UploadForm, status: int = 200) -> HttpResponse:
    imports = X12Import.objects.select_related("imported_by").defer("content")
    page = page_of(imports, request.GET.get("page"))
    return render(request, "billing/import_list.html", {"page": page, "form": form}, status=status)


@require_GET
@permission_required("billing.view_x12import", raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    return _imports_page(request, X12UploadForm())


@require_POST
@permission_required("billing.add_x12import", raise_exception=True)
def import_create(request: HttpRequest) -> HttpResponse:
    form = X12UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        record = services.x12_import(data=upload.read(), filename=upload.name, by=request.user)
    except BillingError as exc:
        form.add_error("file", exc.message)
        return _imports_page(request, form, status=400)
    messages.success(request, f"Imported {record.filename}: {record.outcome}")
    return redirect("billing:import_detail", pk=record.pk)


@require_GET
@permission_required("billing.view_x12import", raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        record = X12Import.objects.select_related("imported_by").defer("content").get(pk=pk)
    except X12Import.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "billing/import_detail.html",
        {
            "record": record,
            "payments": selectors.payments_of_import(record),
            "acknowledgments": record.acknowledgments.select_related("claim"),
            "provider_adjustments": record.provider_adjustments.all(),
        },
    )


@require_GET
@permission_required("billing.view_claimpayment", raise_exception=True)
def unmatched_list(request: HttpRequest) -> HttpResponse:
    page = page_of(selectors.unmatched_payments(), request.GET.get("page"))
    return render(
        request,
        "billing/unmatched_list.html",
        {"page": page, "acknowledgments": selectors.unmatched_acknowledgments()},
    )


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_correct(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect("billing:claim_detail", pk=claim.pk)
    try:
        new = services.claim_correct(claim=claim, by=request.user, **form.cleaned_data)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:claim_detail", pk=claim.pk)
    messages.success(
        request, f"{new.get_frequency_display()}: claim #{new.pk}. Approve it to export."
    )
    return redirect("billing:claim_detail", pk=new.pk)


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.claim_review_redecision, "Marked as looked at.")
