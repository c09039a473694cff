"""The billing dashboard (a chart and a table per figure, every number a link to the claims
behind it in the biller's queue) and the denials queue, where a biller works each denial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing import dashboard, selectors, services
from billing.errors import BillingError
from billing.forms import (
    DENIAL_ACTION_CHOICES,
    DashboardForm,
    DenialActionForm,
    DenialFilterForm,
)
from billing.models import AdjustmentReason, Claim, DenialAction
from billing.selectors import code_words

# The dashboard opens on the last 90 days of dates of service (a quarter).
DEFAULT_DAYS = dashboard.DEFAULT_DAYS


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    numeric: bool = True


@dataclass
class Figure:
    """One chart (a bar per label, in each of its series) and the table that says the same."""

    key: str
    title: str
    caption: str
    unit: str  # "claims", "$", "%" or "days": how the chart labels its values
    head: list[str]
    series: list[dict]
    labels: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, label: str, cells: list[Cell], *bars: tuple[object, str]) -> None:
        """A row of the table, and a bar for ``label`` in each series: its value and the
        link to the claims behind it."""
        self.labels.append(label)
        self.rows.append(cells)
        for series, (value, url) in zip(self.series, bars, strict=True):
            series["values"].append(value)
            series["urls"].append(url)

    def chart(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "labels": self.labels,
            "series": self.series,
        }


def _series(*names: str) -> list[dict]:
    """A chart's series, still without bars."""
    return [{"label": name, "values": [], "urls": []} for name in names]


def queue_url(**params: object) -> str:
    query = urlencode([(key, str(value)) for key, value in params.items() if value])
    return f"{reverse('billing:queue')}?{query}"


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _period_params(period: dashboard.Period) -> dict[str, str]:
    return {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}


def _claims_and_amounts(
    figure: Figure, rows: Iterable[tuple[str, str, int, Decimal]], *, chart_amounts: bool
) -> Figure:
    """A row per ``(label, url, claims, amount)``, both numbers linking to the claims, and a
    bar per row charting the claims (or the amounts)."""
    for label, url, claims, amount in rows:
        figure.add(
            label,
            [Cell(label, numeric=False), Cell(f"{claims:,}", url), Cell(money(amount), url)],
            (str(amount) if chart_amounts else claims, url),
        )
    return figure


def status_figure(period: dashboard.Period) -> Figure:
    figure = Figure(
        key="status",
        title="Claims by status",
        caption="Claims with a date of service in the period, by their status today.",
        unit="claims",
        head=["Status", "Claims", "Charges"],
        series=_series("Claims"),
    )
    rows = (
        (row.label, queue_url(status=row.status, **_period_params(period)), row.claims, row.charges)
        for row in dashboard.claims_by_status(period)
    )
    return _claims_and_amounts(figure, rows, chart_amounts=False)


def aging_figure(today: dt.date) -> Figure:
    figure = Figure(
        key="aging",
        title="Accounts receivable aging",
        caption=(
            f"Claims exported and not yet answered by the payer, by days since export, as of "
            f"{today.isoformat()}."
        ),
        unit="$",
        head=["Days since export", "Claims", "Charges"],
        series=_series("Charges"),
    )
    rows = (
        (row.bucket.label, queue_url(age=row.bucket.key), row.claims, row.charges)
        for row in dashboard.ar_aging(today)
    )
    return _claims_and_amounts(figure, rows, chart_amounts=True)


def denial_rate_figure(period: dashboard.Period) -> Figure:
    figure = Figure(
        key="denials-payer",
        title="Denial rate by payer",
        caption=(
            "Of the claims in the period a payer has answered (paid, partially paid or denied), "
            "the share it denied."
        ),
        unit="%",
        head=["Payer", "Answered", "Denied", "Denial rate", "Denied charges"],
        series=_series("Denial rate"),
    )
    for row in dashboard.denials_by_payer(period):
        answered = queue_url(outcome="answered", payer=row.payer_id, **_period_params(period))
        denied = queue_url(status=Claim.Status.DENIED, payer=row.payer_id, **_period_params(period))
        cells = [
            Cell(row.payer, numeric=False),
            Cell(f"{row.answered:,}", answered),
            Cell(f"{row.denied:,}", denied),
            Cell(f"{row.rate}%", denied),
            Cell(money(row.denied_charges), denied),
        ]
        figure.add(row.payer, cells, (str(row.rate), denied))
    return figure


def denial_reason_figure(period: dashboard.Period) -> Figure:
    answered, reasons = dashboard.denials_by_reason(period)
    words = code_words(AdjustmentReason, [row.carc for row in reasons])
    figure = Figure(
        key="denials-reason",
        title="Denials by reason",
        caption=(
            f"Denied claims of the period by the reason (CARC) on their remittance, as a share "
            f"of the {answered:,} claims the payers answered. A claim may give several reasons."
        ),
        unit="%",
        head=["Reason", "Denied claims", "Share of answered", "Adjusted"],
        series=_series("Share of answered claims"),
    )
    for row in reasons:
        url = queue_url(status=Claim.Status.DENIED, carc=row.carc, **_period_params(period))
        rate = dashboard.percent(row.claims, answered)
        cells = [
            Cell(f"CARC {row.carc}: {words[row.carc]}", numeric=False),
            Cell(f"{row.claims:,}", url),
            Cell(f"{rate}%", url),
            Cell(money(row.amount), url),
        ]
        figure.add(f"CARC {row.carc}", cells, (str(rate), url))
    return figure


def payment_days_figure(period: dashboard.Period) -> Figure:
    timing = dashboard.days_to_payment(period)
    average = (
        f"On average {timing.average_days} days."
        if timing.average_days is not None
        else "No payment yet."
    )
    figure = Figure(
        key="payment-days",
        title="Days from export to payment",
        caption=(
            "The period's paid claims by days from export to the payment that stands (a "
            f"payment taken back and made again counts once, when it was made again). {average}"
        ),
        unit="claims",
        head=["Paid after", "Claims", "Paid"],
        series=_series("Paid claims"),
    )
    rows = (
        (
            row.bucket.label,
            queue_url(paid_in=row.bucket.key, **_period_params(period)),
            row.claims,
            row.paid,
        )
        for row in timing.buckets
    )
    return _claims_and_amounts(figure, rows, chart_amounts=False)


def yield_figure(period: dashboard.Period) -> Figure:
    figure = Figure(
        key="yield",
        title="Paid against the fee schedule",
        caption=(
            "For the answered claims of the period, per payer: the fee schedule's expected "
            "allowed amount of their lines, what the payer allowed, and what it paid."
        ),
        unit="$",
        head=["Payer", "Expected", "Allowed", "Paid", "Paid of expected"],
        series=_series("Expected", "Allowed", "Paid"),
    )
    for row in dashboard.paid_against_expected(period):
        url = queue_url(outcome="answered", payer=row.payer_id, **_period_params(period))
        share = f"{dashboard.percent(row.paid, row.expected)}%" if row.expected else "-"
        amounts = (row.expected, row.allowed, row.paid)
        figure.add(
            row.payer,
            [
                Cell(row.payer, numeric=False),
                *(Cell(money(amount), url) for amount in amounts),
                Cell(share, url),
            ],
            *((str(amount), url) for amount in amounts),
        )
    return figure


@require_GET
@permission_required("billing.view_claim", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    default = {
        "date_from": (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "date_to": today.isoformat(),
    }
    form = DashboardForm(request.GET or default)
    figures: list[Figure] = []
    if form.is_valid():
        period = dashboard.Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        figures = [
            status_figure(period),
            aging_figure(today),
            denial_rate_figure(period),
            denial_reason_figure(period),
            payment_days_figure(period),
            yield_figure(period),
        ]
    return render(
        request,
        "billing/dashboard.html",
        {"form": form, "figures": figures, "charts": [f.chart() for f in figures]},
    )


def _denials_page(
    request: HttpRequest, *, bound: tuple[int, DenialActionForm] | None = None
) -> HttpResponse:
    form = DenialFilterForm(request.GET or None)
    failed = form.is_bound and not form.is_valid()
    payer = form.cleaned_data["payer"] if form.is_bound and not failed else None
    page, rows = (None, [])
    if not failed:
        page, rows = selectors.denials_queue(
            request.user, payer=payer.pk if payer else None, page=request.GET.get("page")
        )
    return render(
        request,
        "billing/denials.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": urlencode({"payer": payer.pk}) if payer else "",
            "bound_claim": bound[0] if bound else None,
            "bound_form": bound[1] if bound else None,
            "action_choices": DENIAL_ACTION_CHOICES,
        },
        status=400 if bound else 200,
    )


@require_GET
@permission_required("billing.view_claim", raise_exception=True)
def denials(request: HttpRequest) -> HttpResponse:
    return _denials_page(request)


@require_POST
@permission_required("billing.approve_claim", raise_exception=True)
def denial_act(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        claim = selectors.claims_visible_to(request.user).get(pk=pk)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc
    form = DenialActionForm(request.POST)
    if not form.is_valid():
        return _denials_page(request, bound=(claim.pk, form))
    try:
        services.denial_act(
            claim=claim,
            by=request.user,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except BillingError as exc:
        messages.error(request, f"Claim #{claim.pk}: {exc.message}")
    else:
        label = DenialAction.Action(form.cleaned_data["action"]).label
        messages.success(request, f"Claim #{claim.pk}: {label.lower()} recorded.")
    return redirect("billing:denials")
